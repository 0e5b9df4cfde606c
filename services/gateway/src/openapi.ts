// The project's OpenAPI document as the gateway serves it: the gateway itself is the server, so
// Swagger UI's "Try it out" goes through it (same origin: no CORS) to whichever service answers.
import { readFile } from "node:fs/promises";
import { parse, stringify } from "yaml";

type Json = Record<string, any>;

const methods = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];

export async function readOpenApi(file: string): Promise<Json> {
  return parse(await readFile(file, "utf8")) as Json;
}

/**
 * A copy of the document whose operations answered by one service name the gateway as their
 * server (a relative URL: the origin the page was loaded from). Operations every service answers
 * for itself (health, metrics, lag) keep their services' own servers.
 */
export function gatewayDocument(document: Json): Json {
  const copy = structuredClone(document);
  copy.servers = [{ url: "/", description: "Eventscope gateway (every service's routes)" }];
  copy.info = {
    ...copy.info,
    description:
      `${copy.info?.description ?? ""}\n\nServed by the gateway: every operation answered by one service ` +
      "is reachable at the gateway's base URL; `/health/*` and `/metrics` on the gateway are its own.",
  };
  for (const item of Object.values((copy.paths ?? {}) as Json)) {
    for (const method of methods) {
      const op = (item as Json)[method] as Json | undefined;
      if (op && (op.tags ?? []).length === 1) delete op.servers;
    }
  }
  return copy;
}

export interface ServedDocument {
  json: string;
  yaml: string;
}

export const serveDocument = (document: Json): ServedDocument => ({
  json: JSON.stringify(document),
  yaml: stringify(document, { lineWidth: 0 }),
});
