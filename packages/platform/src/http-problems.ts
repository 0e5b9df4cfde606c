// Every error of the HTTP layer, ours or express's, becomes one RFC 7807 problem here: the
// error middleware is the only place an error answer is written.
import type { ServerResponse } from "node:http";
import type { ErrorRequestHandler, RequestHandler } from "express";
import {
  ProblemError,
  isProblemError,
  methodNotAllowed,
  notFound,
  payloadTooLarge,
  publishInDoubt,
  toProblem,
  unavailable,
  validationError,
} from "./errors.ts";
import type { HttpResult } from "./http-types.ts";
import { PublishError } from "./kafka/types.ts";
import { labelRoute, spanOf } from "./http-observe.ts";
import type { PathMatch, RouteTable } from "./http-routes.ts";
import type { Logger } from "./logger.ts";
import { decodeComponent } from "./strict-input.ts";
import { failSpan } from "./telemetry.ts";

const pathOf = (url: string): string => {
  const q = url.indexOf("?");
  return q === -1 ? url : url.slice(0, q);
};

/** Writes a handler's result: JSON, text, or nothing; an error status is a problem body. */
export function send(res: ServerResponse, result: HttpResult): void {
  const headers: Record<string, string> = { ...result.headers };
  if (result.body === undefined) {
    res.writeHead(result.status, headers).end();
    return;
  }
  if (typeof result.body === "string") {
    headers["content-type"] ??= "text/plain; charset=utf-8";
    res.writeHead(result.status, headers).end(result.body);
    return;
  }
  headers["content-type"] ??= result.status >= 400 ? "application/problem+json" : "application/json";
  res.writeHead(result.status, headers).end(JSON.stringify(result.body));
}

/** After every route: a known path with another method is a 405 with Allow, anything else a 404. */
export function unmatched(table: RouteTable): RequestHandler {
  return (req, _res, next) => {
    const path = pathOf(req.url);
    const found = table.match(path);
    if (!found) return next(notFound(`no route for ${req.method} ${path.slice(0, 200)}`));
    labelRoute(req, found.pattern);
    next(methodNotAllowed(`${req.method} is not allowed on ${found.pattern}`, found.allowed));
  };
}

interface ExpressError {
  status?: number;
  type?: string;
  message?: string;
}

/** An error raised by express or its middleware, as one of ours. */
function translate(error: unknown, found: PathMatch | undefined, bodyLimit: number): unknown {
  if (isProblemError(error)) return error;
  // The Kafka publisher speaks of records: not sent is a 503, sent without an answer a 504.
  if (error instanceof PublishError)
    return error.outcome === "in-doubt"
      ? publishInDoubt(error.message, error.retryAfterSeconds)
      : unavailable(error.message, error.retryAfterSeconds, error);
  const { status, type, message = "" } = (error ?? {}) as ExpressError;
  if (typeof status !== "number" || status < 400 || status >= 500) return error;
  if (type === "entity.too.large") return payloadTooLarge(bodyLimit);
  if (type === "encoding.unsupported")
    return new ProblemError("unsupported content encoding", {
      code: "UNSUPPORTED_MEDIA_TYPE",
      status: 415,
      problems: [{ field: "content-encoding", reason: "bodies are taken as sent: identity only" }],
    });
  if (message.startsWith("Failed to decode param")) {
    // Express's router could not decode a path parameter: name it, as the strict decoder does.
    if (found) {
      try {
        for (const [name, raw] of Object.entries(found.rawParams)) decodeComponent(raw, name);
      } catch (named) {
        return named;
      }
    }
    return validationError("invalid path", [{ field: "path", reason: "is not valid percent-encoded UTF-8" }]);
  }
  // Express's 404s (a missing Swagger UI asset) name a file of this machine: not said.
  if (status === 404) return notFound("no such document");
  if (status === 400 || type?.startsWith("request."))
    return validationError("request body could not be read", [{ field: "body", reason: message }]);
  return new ProblemError(message, { code: (type ?? "BAD_REQUEST").toUpperCase(), status });
}

export function problems(options: {
  logger: Logger;
  table: RouteTable;
  bodyLimit: number;
}): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const path = pathOf(req.url);
    // The router refuses a parameter before any route runs: the label comes from the table.
    const found = (error as ExpressError | undefined)?.message?.startsWith("Failed to decode param")
      ? options.table.match(path)
      : undefined;
    if (found) labelRoute(req, found.pattern);
    const translated = translate(error, found, options.bodyLimit);
    const body = toProblem(translated, path.slice(0, 200));
    if (body.status >= 500) {
      failSpan(spanOf(req), error);
      // An answer the service chose (unavailable, stale, in doubt) is a warning; anything else a failure.
      if (isProblemError(translated) && body.status !== 500)
        options.logger.warn(
          { path, method: req.method, status: body.status, code: translated.code },
          translated.message,
        );
      else options.logger.error({ err: error, path, method: req.method }, "request failed");
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const headers: Record<string, string> = {};
    const retryAfter = (translated as { retryAfterSeconds?: number }).retryAfterSeconds;
    if (retryAfter !== undefined) headers["retry-after"] = String(retryAfter);
    const allow = (translated as { extra?: { allowed?: string[] } }).extra?.allowed;
    if (body.status === 405 && allow) headers.allow = allow.join(", ");
    // A refused body is not read: close the connection rather than drain it.
    if (body.status === 413) headers.connection = "close";
    send(res, { status: body.status, body, headers });
  };
}
