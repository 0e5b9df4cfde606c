// Swagger UI at /swagger from the swagger-ui-dist package's own files: nothing is loaded from
// another origin (no CDN, no validator badge), so the page works on a machine without a network.
// A service shows the project's OpenAPI document cut down to the routes it answers itself, with
// itself as the server, so "Try it out" goes to the page's own origin.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import express, { type Router } from "express";

type Json = Record<string, any>;

const assets = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));

/** docs/openapi.yaml of this checkout: what a service shows unless told otherwise. */
export const defaultOpenApiFile = fileURLToPath(new URL("../../../docs/openapi.yaml", import.meta.url));

const page = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>Eventscope API (Swagger UI)</title>
    <link rel="stylesheet" href="/swagger/swagger-ui.css" />
    <link rel="icon" type="image/png" href="/swagger/favicon-32x32.png" sizes="32x32" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/swagger/swagger-ui-bundle.js"></script>
    <script src="/swagger/initializer.js"></script>
  </body>
</html>
`;

const initializer = `window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  persistAuthorization: true,
  displayRequestDuration: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
`;

/** Mounted at /swagger: the page reads /openapi.json of the same origin. */
export function swaggerUi(): Router {
  const router = express.Router({ strict: false });
  const html = (_req: express.Request, res: express.Response) => {
    res.type("html").set("cache-control", "no-cache").send(page);
  };
  router.get(["/", "/index.html"], html);
  router.get("/initializer.js", (_req, res) => {
    res.type("js").set("cache-control", "no-cache").send(initializer);
  });
  router.use(express.static(assets, { index: false, fallthrough: false, maxAge: "1h", dotfiles: "ignore" }));
  return router;
}

const methods = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];

/** `/customer/:id` as OpenAPI writes it: `/customer/{id}`. */
export const openApiPath = (path: string): string => path.replace(/:([A-Za-z]+)/g, "{$1}");

/**
 * The operations of `document` that `routes` answer, and nothing else, with the page's origin as
 * their server. The service is the tag its operations carry alone: operations every service
 * answers (health, metrics) are listed under it, and the title names it.
 */
export function serviceDocument(document: Json, routes: { method: string; path: string }[]): Json {
  const wanted = new Set(routes.map((r) => `${r.method.toLowerCase()} ${openApiPath(r.path)}`));
  const copy = structuredClone(document);
  const paths: Json = {};
  const operations: Json[] = [];
  for (const [path, item] of Object.entries((copy.paths ?? {}) as Json)) {
    const kept: Json = {};
    for (const [key, value] of Object.entries(item as Json)) {
      if (!methods.includes(key)) kept[key] = value;
      else if (wanted.has(`${key} ${path}`)) {
        delete (value as Json).servers;
        operations.push((kept[key] = value as Json));
      }
    }
    if (methods.some((m) => m in kept)) paths[path] = kept;
  }
  const alone = new Map<string, number>();
  for (const op of operations)
    if (op.tags?.length === 1) alone.set(op.tags[0] as string, (alone.get(op.tags[0] as string) ?? 0) + 1);
  const own = [...alone].sort((a, b) => b[1] - a[1])[0]?.[0];
  if (own) for (const op of operations) if ((op.tags ?? []).includes(own)) op.tags = [own];
  const used = new Set(operations.flatMap((op) => (op.tags ?? []) as string[]));
  copy.paths = paths;
  copy.servers = [{ url: "/", description: own ? `${own} (this service)` : "this service" }];
  if (Array.isArray(copy.tags)) copy.tags = (copy.tags as Json[]).filter((t) => used.has(t.name as string));
  if (own)
    copy.info = {
      ...copy.info,
      title: `${copy.info?.title ?? "API"}: ${own}`,
      description:
        `Served by ${own}: the operations it answers itself, with this origin as their server. ` +
        `${copy.info?.description ?? ""}`,
    };
  return copy;
}

/**
 * The document to cut down: a file (YAML or JSON) or the parsed document itself. The YAML parser
 * is imported here, at the first request for the document, not when the service starts (4 MiB
 * of every service's memory otherwise).
 */
export async function loadOpenApi(source: string | Json): Promise<Json> {
  if (typeof source !== "string") return source;
  const { parse } = await import("yaml");
  return parse(await readFile(source, "utf8")) as Json;
}
