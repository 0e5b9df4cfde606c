// What the webhook-policy tests share: a receiver whose behaviour is chosen by path (ok, fail,
// hang, redirect, huge), a tiny DNS server whose answers a test changes (to rebind a name), and
// a metric read from the service's /metrics.
import { createSocket } from "node:dgram";
import { createServer, type ServerResponse } from "node:http";
import { freePort, request } from "@eventscope/testkit";

export interface Hit {
  path: string;
  deliveryId: string;
}

export type Behaviour = (res: ServerResponse, hit: Hit) => void;

export const behaviours: Record<"ok" | "fail" | "hang", Behaviour> = {
  ok: (res) => void res.writeHead(200).end("ok"),
  fail: (res) => void res.writeHead(500).end("nope"),
  /** Never answers: the request is left open until the service gives up. */
  hang: () => undefined,
};

/** An HTTP server on host:port that answers each path with its behaviour and records every hit. */
export async function startRoutedReceiver(host: string, port: number, routes: Record<string, Behaviour>) {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const hit = { path: req.url ?? "/", deliveryId: String(req.headers["x-eventscope-delivery-id"] ?? "") };
      hits.push(hit);
      const behaviour = routes[hit.path.split("?")[0]!] ?? behaviours.ok;
      behaviour(res, hit);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  return {
    url: `http://${host}:${port}`,
    hits,
    on: (path: string) => hits.filter((h) => h.path === path),
    close: () =>
      new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

/**
 * A DNS server on 127.0.0.1 that answers A queries from `records` (changeable while it runs),
 * AAAA with no answer, and unknown names with NXDOMAIN.
 */
export async function startDnsServer() {
  const records = new Map<string, string>();
  const socket = createSocket("udp4");
  socket.on("message", (query, peer) => {
    let offset = 12;
    const labels: string[] = [];
    while (query[offset]! > 0) {
      labels.push(query.subarray(offset + 1, offset + 1 + query[offset]!).toString("ascii"));
      offset += query[offset]! + 1;
    }
    const questionEnd = offset + 5;
    const type = query.readUInt16BE(offset + 1);
    const name = labels.join(".").toLowerCase();
    const address = records.get(name);
    const answer =
      address && type === 1
        ? Buffer.concat([
            Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4]),
            Buffer.from(address.split(".").map(Number)),
          ])
        : Buffer.alloc(0);
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2);
    header.writeUInt16BE(0x8180 | (records.has(name) ? 0 : 3), 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answer.length > 0 ? 1 : 0, 6);
    socket.send(Buffer.concat([header, query.subarray(12, questionEnd), answer]), peer.port, peer.address);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => socket.bind(port, "127.0.0.1", resolve));
  return {
    server: `127.0.0.1:${port}`,
    records,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** The sum of a metric's samples whose labels include all of `labels`. */
export async function metricValue(
  serviceUrl: string,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = (await request(`${serviceUrl}/metrics`)).body as string;
  let sum = 0;
  for (const line of text.split("\n")) {
    const m = /^([a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)/.exec(line);
    if (!m || m[1] !== name) continue;
    if (Object.entries(labels).every(([k, v]) => (m[2] ?? "").includes(`${k}="${v}"`))) sum += Number(m[3]);
  }
  return sum;
}
