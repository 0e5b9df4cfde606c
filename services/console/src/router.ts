// The console as an express 5 Router: the web app's files at `/` and its API at `/api/...`,
// relative to wherever it is mounted (standalone at the root, on the gateway at /console).
// Everything the API needs comes through `options`; the router holds a Kafka admin client and
// lets it go with `close()`.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import express, { type NextFunction, type Request, type Response, type Router } from "express";
import type { Kafka } from "kafkajs";
import { createKafkajsClient } from "@eventscope/platform/kafkajs";
import {
  checkText,
  isProblemError,
  notFound,
  toProblem,
  topicNames,
  validationError,
  type Logger,
} from "@eventscope/platform";
import type { ConsoleConfig } from "./config.ts";
import { eventJourney, searchEvents, type JourneyDeps, type Search } from "./journey.ts";
import { createKafkaView, type ServiceLag } from "./kafka-view.ts";
import { listReports, liveFigures } from "./live.ts";
import { topicSizes, withSizes, type TopicSizes } from "./topic-sizes.ts";
import { createUpstreams, upstreamProblem, type UpstreamName, type Upstreams } from "./upstream.ts";
import {
  aggregateType,
  booleanParam,
  deadLetterId,
  deadLetterService,
  deadLetterServices,
  limitParam,
  offsetParam,
  partitionNumber,
  plainId,
  readQuery,
  runId,
  timeParam,
  topicName,
  uuid,
  type DeadLetterService,
} from "./validate.ts";
import { intParam } from "@eventscope/platform";

export interface ConsoleRouterOptions {
  config: ConsoleConfig;
  logger: Logger;
  /** A Kafka client to reuse; one is made from config.kafkaBrokers otherwise. */
  kafka?: Kafka;
  /** The built web app (default: the package's dist/). */
  staticDir?: string;
}

export type ConsoleRouter = Router & { close(): Promise<void> };

export const defaultStaticDir = fileURLToPath(new URL("../dist", import.meta.url));

const deadLetterRoutes: Record<DeadLetterService, string> = {
  "event-store": "/api/eventstore/dead-letters",
  projection: "/api/projection/dead-letters",
  notification: "/api/notification/dead-letters",
  "process-manager": "/api/process-manager/dead-letters",
};
const lagServices: UpstreamName[] = ["event-store", "projection", "notification", "process-manager"];
const reportFiles = ["index.html", "report.json", "summary.json"];

/** The caller's X-API-Key, checked as any input before it is forwarded. */
function apiKeyOf(req: Request): string | undefined {
  const raw = req.headers["x-api-key"];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || value === "") return undefined;
  checkText(value, "X-API-Key");
  if (value.length > 512 || /\p{Cc}/u.test(value))
    throw validationError("invalid X-API-Key", [
      { field: "X-API-Key", reason: "must be at most 512 printable characters" },
    ]);
  return value;
}

type Handler = (req: Request, res: Response) => Promise<void>;
const json =
  (work: (req: Request) => Promise<unknown>): Handler =>
  async (req, res) => {
    res.json(await work(req));
  };

export function createConsoleRouter(options: ConsoleRouterOptions): ConsoleRouter {
  const { config, logger } = options;
  const topics = topicNames(config.topicPrefix);
  const kafka =
    options.kafka ?? createKafkajsClient({ brokers: config.kafkaBrokers, clientId: "console", logger });
  const kafkaView = createKafkaView({ kafka, topics, timeoutMs: config.upstreamTimeoutMs });
  const upstreams: Upstreams = createUpstreams(
    {
      "event-store": config.eventStoreUrl,
      projection: config.projectionUrl,
      notification: config.notificationUrl,
      "process-manager": config.processManagerUrl,
      prometheus: config.prometheusUrl,
      jaeger: config.jaegerUrl,
    },
    config.upstreamTimeoutMs,
  );
  const journeyDeps: JourneyDeps = { upstreams, kafka: kafkaView, topics, jaegerUiUrl: config.jaegerUiUrl };
  const staticDir = options.staticDir ?? defaultStaticDir;
  const router = express.Router({ strict: false, caseSensitive: true });

  router.use((_req, res, next) => {
    res.setHeader("x-content-type-options", "nosniff");
    res.setHeader("referrer-policy", "no-referrer");
    next();
  });

  router.get(
    "/api/config",
    json(async (req) => {
      readQuery(req.url, []);
      return { jaegerUiUrl: config.jaegerUiUrl, topics, maxMessages: config.maxMessages };
    }),
  );

  router.get(
    "/api/search",
    json(async (req) => {
      const query = readQuery(req.url, [
        "eventId",
        "aggregateType",
        "aggregateId",
        "userId",
        "correlationId",
      ]);
      const given = [...query.keys()].filter((k) => query.get(k) !== "");
      let search: Search;
      if (given.length === 1 && given[0] === "eventId")
        search = { by: "eventId", eventId: uuid(query.get("eventId"), "eventId") };
      else if (given.length === 1 && given[0] === "userId")
        search = { by: "userId", userId: plainId(query.get("userId"), "userId") };
      else if (given.length === 1 && given[0] === "correlationId")
        search = { by: "correlationId", correlationId: plainId(query.get("correlationId"), "correlationId") };
      else if (given.length === 2 && given.includes("aggregateType") && given.includes("aggregateId"))
        search = {
          by: "aggregate",
          aggregateType: aggregateType(query.get("aggregateType")),
          aggregateId: plainId(query.get("aggregateId"), "aggregateId"),
        };
      else
        throw validationError("say what to search by", [
          {
            field: "query",
            reason: "give one of eventId, userId, correlationId, or aggregateType with aggregateId",
          },
        ]);
      const results = await searchEvents(journeyDeps, search, apiKeyOf(req));
      return { by: search.by, count: results.length, results };
    }),
  );

  router.get(
    "/api/events/:eventId/journey",
    json(async (req) => {
      readQuery(req.url, []);
      return eventJourney(journeyDeps, uuid(req.params.eventId as string, "eventId"), apiKeyOf(req));
    }),
  );

  /** Lag in seconds and verdicts as the consuming services report them; a silent one is skipped. */
  const serviceLags = async (): Promise<{ lags: ServiceLag[]; errors: string[] }> => {
    const errors: string[] = [];
    const answers = await Promise.all(
      lagServices.map((name) =>
        upstreams.json(name, { path: ["/lag"] }).catch((error: unknown) => {
          errors.push(`${name}: ${(error as Error).message}`);
          return { groups: [] };
        }),
      ),
    );
    return {
      lags: answers.flatMap((a) => (Array.isArray(a?.groups) ? (a.groups as ServiceLag[]) : [])),
      errors,
    };
  };

  router.get(
    "/api/kafka/topics",
    json(async (req) => {
      const query = readQuery(req.url, ["all"]);
      const sizeErrors: string[] = [];
      const [list, sizes] = await Promise.all([
        kafkaView.topics(booleanParam(query, "all")),
        topicSizes(upstreams).catch((error: unknown) => {
          sizeErrors.push(`prometheus: ${(error as Error).message}`);
          return new Map() as TopicSizes;
        }),
      ]);
      const sized = withSizes(list, sizes);
      return { count: sized.length, deadLetterTopic: topics.deadLetter, topics: sized, sizeErrors };
    }),
  );

  router.get(
    "/api/kafka/groups",
    json(async (req) => {
      const query = readQuery(req.url, ["all"]);
      const all = booleanParam(query, "all");
      const { lags, errors } = await serviceLags();
      const groups = await kafkaView.groups(all, lags);
      return { count: groups.length, groups, lagErrors: errors };
    }),
  );

  router.get(
    "/api/kafka/topics/:topic/partitions/:partition/messages",
    json(async (req) => {
      const query = readQuery(req.url, ["offset", "time", "limit"]);
      const topic = topicName(req.params.topic as string);
      const partition = partitionNumber(req.params.partition as string);
      const offset = offsetParam(query);
      const time = timeParam(query);
      if (offset !== undefined && time !== undefined)
        throw validationError("give an offset or a time, not both", [
          { field: "time", reason: "not with offset" },
        ]);
      const limit = limitParam(query, config.maxMessages, 50);
      return kafkaView.messages({ topic, partition, offset, time, limit });
    }),
  );

  router.get(
    "/api/dead-letters",
    json(async (req) => {
      const query = readQuery(req.url, ["limit"]);
      const limit = intParam(query, "limit", { fallback: 100, min: 1, max: 1000 });
      const apiKey = apiKeyOf(req);
      const services = await Promise.all(
        deadLetterServices.map(async (service) => {
          const answer = await upstreams
            .call(service, { path: [deadLetterRoutes[service]], query: { limit }, apiKey })
            .catch((error: unknown) => ({ status: 503, body: { detail: (error as Error).message } }));
          if (answer.status === 200 && Array.isArray(answer.body?.deadLetters))
            return { service, ok: true, deadLetters: answer.body.deadLetters as unknown[] };
          return {
            service,
            ok: false,
            status: answer.status,
            detail: String(answer.body?.detail ?? "").slice(0, 500),
          };
        }),
      );
      return { deadLetterTopic: topics.deadLetter, services };
    }),
  );

  router.post("/api/dead-letters/:service/:id/replay", async (req, res) => {
    readQuery(req.url, []);
    const service = deadLetterService(req.params.service);
    const id = deadLetterId(req.params.id);
    const answer = await upstreams.call(service, {
      method: "POST",
      path: [deadLetterRoutes[service], "/", { value: id }, "/replay"],
      apiKey: apiKeyOf(req),
    });
    if (answer.status !== 200) throw upstreamProblem(service, answer);
    res.json({ service, replayed: answer.body });
  });

  router.get(
    "/api/live",
    json(async (req) => {
      const query = readQuery(req.url, ["minutes"]);
      return liveFigures(upstreams, intParam(query, "minutes", { fallback: 15, min: 1, max: 360 }));
    }),
  );

  router.get(
    "/api/reports",
    json(async (req) => {
      const query = readQuery(req.url, ["limit"]);
      const reports = await listReports(
        config.reportsDir,
        intParam(query, "limit", { fallback: 5, min: 1, max: 50 }),
      );
      return { count: reports.length, reports };
    }),
  );

  router.get("/reports/:runId/:file", async (req, res) => {
    readQuery(req.url, []);
    const id = runId(req.params.runId);
    const file = req.params.file;
    if (!reportFiles.includes(file))
      throw validationError("invalid file", [
        { field: "file", reason: `must be one of ${reportFiles.join(", ")}` },
      ]);
    const path = join(config.reportsDir, id, file);
    if (!existsSync(path)) throw notFound(`no ${file} in report ${id}`);
    await new Promise<void>((resolve, reject) =>
      res.sendFile(file, { root: join(config.reportsDir, id), dotfiles: "deny" }, (error) =>
        error ? reject(error) : resolve(),
      ),
    );
  });

  router.use(
    express.static(staticDir, {
      index: "index.html",
      dotfiles: "ignore",
      fallthrough: true,
      setHeaders: (res) =>
        res.setHeader(
          "content-security-policy",
          "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
        ),
    }),
  );

  router.use((req: Request) => {
    if (req.path === "/" && !existsSync(join(staticDir, "index.html")))
      throw notFound(
        "the console's web app is not built: run `make install` (or `npm run build -w @eventscope/console`)",
      );
    throw notFound(`no route for ${req.method} ${req.path.slice(0, 200)}`);
  });

  router.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    let problem = toProblem(error, req.originalUrl.split("?")[0]!.slice(0, 200));
    const status = (error as { status?: unknown }).status;
    if (!isProblemError(error) && typeof status === "number" && status >= 400 && status < 500) {
      // express's own refusals (a path that does not decode, ...)
      problem = toProblem(
        validationError("invalid request", [
          { field: "path", reason: (error as Error).message.slice(0, 200) },
        ]),
        req.originalUrl.split("?")[0]!.slice(0, 200),
      );
    }
    if (problem.status >= 500 && problem.status !== 503)
      logger.error({ err: error, path: req.path }, "console request failed");
    const retryAfter = (error as { retryAfterSeconds?: number }).retryAfterSeconds;
    if (retryAfter !== undefined) res.setHeader("retry-after", String(retryAfter));
    res.status(problem.status).type("application/problem+json").send(JSON.stringify(problem));
  });

  return Object.assign(router, { close: () => kafkaView.close() });
}
