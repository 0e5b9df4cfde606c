// /openapi.json and /swagger on every service: its own routes of the project's document.
import type { Express } from "express";
import { notFound } from "./errors.ts";
import { labelRoute } from "./http-observe.ts";
import type { Logger } from "./logger.ts";
import { loadOpenApi, serviceDocument, swaggerUi } from "./swagger.ts";

export function mountDocs(
  app: Express,
  source: string | Record<string, unknown>,
  routes: { method: string; path: string }[],
  logger: Logger,
): void {
  // Read and cut once, at the first request: a service without the document still starts.
  let served: Promise<string | undefined> | undefined;
  const document = () =>
    (served ??= loadOpenApi(source).then(
      (doc) => JSON.stringify(serviceDocument(doc, routes)),
      (error: unknown) => {
        logger.warn({ err: error }, "no OpenAPI document for /openapi.json and /swagger");
        return undefined;
      },
    ));
  app.get("/openapi.json", (req, res, next) => {
    labelRoute(req, "/openapi.json");
    void document().then((json) => {
      if (json === undefined) return next(notFound("this service has no OpenAPI document"));
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-cache" }).end(json);
    });
  });
  app.use(
    "/swagger",
    (req, _res, next) => {
      labelRoute(req, "/swagger");
      next();
    },
    swaggerUi(),
  );
}
