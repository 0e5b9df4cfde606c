// A request as a handler sees it, taken as sent or refused: parameters and query decoded strictly,
// If-Match only where a route takes an expected version, the body read by express's raw parser
// within the limit and parsed as strict JSON (express's own JSON parser repairs what we refuse:
// invalid UTF-8 becomes U+FFFD, 1e400 becomes Infinity).
import type { Request, RequestHandler } from "express";
import express from "express";
import { payloadTooLarge, unsupportedMediaType, validationError } from "./errors.ts";
import type { HttpAppOptions, RequestContext, Route } from "./http-types.ts";
import { ifMatchVersion } from "./params.ts";
import { checkCharset, checkText, decodeUtf8, parseQuery, parseStrictJson } from "./strict-input.ts";
import type { Span } from "./telemetry.ts";

const requests = new WeakMap<Request, RequestContext>();
// Requests whose body is to be read (a bodyless request to a route whose body is optional is not).
const withBody = new WeakSet<Request>();

/** The request context the input middleware built for a request. */
export const requestOf = (req: Request): RequestContext | undefined => requests.get(req);

export interface InputOptions {
  bodyLimit: number;
  jsonMaxDepth: number | undefined;
  guard: HttpAppOptions["guard"];
  spanOf: (req: Request) => Span;
}

const pathAndQuery = (url: string): [string, string] => {
  const q = url.indexOf("?");
  return q === -1 ? [url, ""] : [url.slice(0, q), url.slice(q + 1)];
};

const bodyless = (req: Request): boolean =>
  (req.headers["content-length"] === undefined || req.headers["content-length"] === "0") &&
  req.headers["transfer-encoding"] === undefined;

/** The middlewares of one route between its scope check and its handler. */
export function routeInput(route: Route, options: InputOptions): RequestHandler[] {
  const inputs: RequestHandler = (req, _res, next) => {
    const [path, rawQuery] = pathAndQuery(req.url);
    const params: Record<string, string> = {};
    const sent = req.params as Record<string, string>;
    for (const name in sent) params[name] = checkText(sent[name]!, name);
    const query = parseQuery(rawQuery);
    if (!route.ifMatch && req.headers["if-match"] !== undefined) {
      throw validationError("If-Match is not supported on this route", [
        { field: "If-Match", reason: `${route.method} ${route.path} takes no expected version` },
      ]);
    }
    const request: RequestContext = {
      method: route.method,
      path,
      route: route.path,
      params,
      query,
      headers: req.headers,
      body: undefined,
      contentType: req.headers["content-type"]?.split(";")[0]?.trim().toLowerCase(),
      expectedVersion: route.ifMatch ? ifMatchVersion(req.headers) : undefined,
      span: options.spanOf(req),
    };
    requests.set(req, request);
    if (!route.accepts) return next();
    options.guard?.(request, route);
    if (route.bodyOptional && bodyless(req)) return next();
    const type = request.contentType;
    if (!type || !route.accepts.includes(type)) throw unsupportedMediaType(type, route.accepts);
    checkCharset(req.headers["content-type"], route.accepts);
    // A body declared too large is refused unread (the connection closes), not drained.
    if (Number(req.headers["content-length"] ?? 0) > options.bodyLimit)
      throw payloadTooLarge(options.bodyLimit);
    withBody.add(req);
    next();
  };
  if (!route.accepts) return [inputs];
  const raw = express.raw({ type: () => true, limit: options.bodyLimit, inflate: false });
  const body: RequestHandler = (req, res, next) => {
    if (!withBody.has(req)) return next();
    raw(req, res, (error?: unknown) => {
      if (error) return next(error);
      try {
        const bytes = (req.body as Buffer | undefined) ?? Buffer.alloc(0);
        requests.get(req)!.body = parseStrictJson(decodeUtf8(bytes), options.jsonMaxDepth);
        next();
      } catch (parseError) {
        next(parseError);
      }
    });
  };
  return [inputs, body];
}
