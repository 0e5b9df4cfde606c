export {
  createConsoleRouter,
  defaultStaticDir,
  type ConsoleRouter,
  type ConsoleRouterOptions,
} from "./router.ts";
export { consoleSettings, readConsoleConfig, type ConsoleConfig } from "./config.ts";
