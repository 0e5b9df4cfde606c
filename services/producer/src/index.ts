// The producer's public surface: its documentation and the tables the generators and tests read.
export { producerDocs } from "./docs.ts";
export { commandRoutes, type CommandRoute } from "./commands.ts";
export { producerSettings } from "./config.ts";
