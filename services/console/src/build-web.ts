// Bundles the console's web app into dist/ (app.js, app.css, index.html): everything the page
// needs is served by the console itself, nothing from a CDN. Run by `make install`.
import { copyFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { build } from "esbuild";

const here = join(import.meta.dirname, "..");
const out = join(here, "dist");
await mkdir(out, { recursive: true });
await build({
  entryPoints: { app: join(here, "web", "src", "main.tsx") },
  outdir: out,
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  sourcemap: true,
  jsx: "automatic",
  jsxImportSource: "preact",
  legalComments: "none",
  logLevel: "warning",
});
await copyFile(join(here, "web", "index.html"), join(out, "index.html"));
process.stdout.write(`console web app built in ${out}\n`);
