import { execFileSync } from "node:child_process";

/**
 * Runs `script` (an ES module's body) in a fresh Node process and returns the JSON of its last
 * line of output. Before the script, `loaded(name)` tells whether any module of the package `name`
 * was loaded from disk so far, and `collectorUrl` is an HTTP server on the loopback that answers
 * `{}` and counts in `received` what reaches each "path content-type"; it keeps the process alive
 * only while a request is open. A script that does not end within `timeoutMs` fails the call.
 */
export function freshNode(
  script: string,
  options: { cwd: string; env?: Record<string, string>; prelude?: string; timeoutMs?: number },
): Record<string, unknown> {
  const prelude = [
    `import { registerHooks } from "node:module";`,
    `const seen = new Set();`,
    `registerHooks({ load(url, c, next) { seen.add(url); return next(url, c); } });`,
    `const loaded = (name) => [...seen].some((u) => u.startsWith("file:") && u.includes("/node_modules/" + name + "/"));`,
    `const { createServer } = await import("node:http");`,
    `const received = {};`,
    `const collector = createServer((req, res) => { req.resume(); req.on("end", () => { const key = req.url + " " + req.headers["content-type"]; received[key] = (received[key] ?? 0) + 1; res.end("{}"); }); });`,
    `await new Promise((r) => collector.listen(0, "127.0.0.1", r));`,
    `collector.unref();`,
    `const collectorUrl = "http://127.0.0.1:" + collector.address().port;`,
    options.prelude ?? "",
  ].join("\n");
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", `${prelude}\n${script}`], {
    cwd: options.cwd,
    encoding: "utf8",
    env: { ...process.env, ...options.env },
    timeout: options.timeoutMs ?? 60_000,
  });
  return JSON.parse(out.trim().split("\n").at(-1)!) as Record<string, unknown>;
}
