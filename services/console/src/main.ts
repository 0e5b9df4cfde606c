// The console on a port of its own (CONSOLE_PORT, 8085): for tests, and for users until a
// front door mounts the same router.
import { createServer } from "node:http";
import express from "express";
import { applyServerLimits, createLogger, serve } from "@eventscope/platform";
import { readConsoleConfig } from "./config.ts";
import { createConsoleRouter } from "./router.ts";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";
const config = readConsoleConfig();
const logger = createLogger({ service: "console", level: config.logLevel, format: config.logFormat });
const router = createConsoleRouter({ config, logger });
const app = express();
app.disable("x-powered-by");
app.use(router);
const server = createServer(app);
applyServerLimits(server);
await serve({ logger, server, port: config.port, host: config.host, stop: () => router.close() });
