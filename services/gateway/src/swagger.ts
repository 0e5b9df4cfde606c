// Swagger UI at /swagger from the swagger-ui-dist package's own files: nothing is loaded from
// another origin (no CDN, no validator badge), so the page works on a machine without a network.
import { createRequire } from "node:module";
import { dirname } from "node:path";
import express, { type Router } from "express";

const assets = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));

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

/** Mounted at /swagger. */
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
