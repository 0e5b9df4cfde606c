import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TopicNames } from "@eventscope/platform";
import {
  createTopics,
  deleteTopics,
  startService,
  uniqueName,
  type RunningProcess,
} from "@eventscope/testkit";
import { keys, apiKeysSetting, routeTables } from "./support.ts";

// The producer as a process on the real Kafka with RATE_LIMIT_WRITES_PER_MINUTE=5: a key's 6th
// write in a minute is a 429 problem with Retry-After and publishes nothing, another key and
// reads go on; /openapi.json lists exactly the producer's routes and /swagger is the page.
const name = uniqueName("limit");
let topics: TopicNames;
let producer: RunningProcess;

beforeAll(async () => {
  topics = await createTopics(`${name}.`, 1);
  producer = await startService("producer", {
    TOPIC_PREFIX: `${name}.`,
    LOG_LEVEL: "warn",
    API_KEYS: apiKeysSetting,
    RATE_LIMIT_WRITES_PER_MINUTE: "5",
    EVENT_STORE_URL: "http://127.0.0.1:9",
  });
});

afterAll(async () => {
  await producer?.kill();
  await deleteTopics(topics);
});

const login = (key: string) =>
  fetch(`${producer.url}/api/events`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": key },
    body: JSON.stringify({ userId: "u1", eventType: "login", metadata: {} }),
  });

describe("the producer's write limit", () => {
  it("answers a key's 6th write in a minute with a 429 problem and Retry-After; reads and other keys go on", async () => {
    for (let i = 1; i <= 5; i++) expect((await login(keys.write)).status, `write ${i}`).toBe(202);
    const refused = await login(keys.write);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    const problem = (await refused.json()) as any;
    expect(problem).toMatchObject({ status: 429, code: "RATE_LIMITED", retriable: true });
    expect(problem.errors[0].field).toBe("X-API-Key");
    for (let i = 0; i < 3; i++) expect((await fetch(`${producer.url}/health/live`)).status).toBe(200);
    expect((await fetch(`${producer.url}/openapi.json`)).status).toBe(200);
    expect((await login(keys.all)).status).toBe(202);
  });
});

describe("the producer's own Swagger UI", () => {
  it("/openapi.json lists exactly the producer's routes, /swagger answers the page", async () => {
    const doc = (await (await fetch(`${producer.url}/openapi.json`)).json()) as any;
    const listed = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, item]) =>
        Object.keys(item)
          .filter((k) => ["get", "post", "put", "patch", "delete"].includes(k))
          .map((m) => `${m.toUpperCase()} ${path}`),
    );
    const own = routeTables().producer.map((r) => `${r.method} ${r.path.replace(/:([A-Za-z]+)/g, "{$1}")}`);
    expect(listed.sort()).toEqual([...new Set(own)].sort());
    expect(doc.servers).toEqual([{ url: "/", description: "producer (this service)" }]);
    const page = await fetch(`${producer.url}/swagger`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await page.text()).toContain("swagger-ui-bundle.js");
  });
});
