import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, waitFor } from "@eventscope/testkit";
import { committedEvent, notificationUnderTest, produceCommitted } from "./support.ts";
import { metricValue, startDnsServer, startRoutedReceiver } from "./webhook-support.ts";

// The webhook policy against the real service: the allow-list admits exactly the test's own
// receiver (127.0.0.1:<port>), so every other loopback, private, link-local, metadata... target
// is refused, at subscription time and again at send time on the address actually connected
// to. A DNS server of the test's own lets a name change its answer (DNS rebinding).
let n: Awaited<ReturnType<typeof notificationUnderTest>>;
let receiver: Awaited<ReturnType<typeof startRoutedReceiver>>;
let trap: Awaited<ReturnType<typeof startRoutedReceiver>>;
let dns: Awaited<ReturnType<typeof startDnsServer>>;
let hugeBytesSent = 0;
const uniqueType = (label: string) => `${label}_${randomBytes(4).toString("hex")}`;
const userEvent = (type: string) => committedEvent(type, "User", `user-${randomBytes(4).toString("hex")}`);
const rss = () => metricValue(n.service.url, "process_resident_memory_bytes");

beforeAll(async () => {
  const port = await freePort();
  receiver = await startRoutedReceiver("127.0.0.1", port, {
    "/redirect": (res) => void res.writeHead(302, { location: `http://127.0.0.1:${port}/landing` }).end(),
    "/huge": (res) => {
      // 256 MiB offered, written only as fast as the client reads.
      const chunk = Buffer.alloc(1024 * 1024, 120);
      let left = 256;
      res.writeHead(200, { "content-length": String(left * chunk.length) });
      const pump = () => {
        while (left > 0 && !res.destroyed) {
          left--;
          hugeBytesSent += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        res.end();
      };
      pump();
    },
  });
  // Same port on another loopback address: where a rebound name would lead.
  trap = await startRoutedReceiver("127.0.0.2", port, {});
  dns = await startDnsServer();
  dns.records.set("internal.hooks.test", "10.0.0.7");
  n = await notificationUnderTest("notify_policy", {
    WEBHOOK_ALLOWED_TARGETS: `127.0.0.1:${port}`,
    WEBHOOK_DNS_SERVERS: dns.server,
    MAX_ATTEMPTS: "2",
    RETRY_BASE_MS: "50",
    RETRY_MAX_MS: "100",
  });
});

afterAll(async () => {
  await n?.stop();
  await receiver?.close();
  await trap?.close();
  await dns?.close();
});

describe("notification: the webhook policy", () => {
  it.each([
    ["http://169.254.169.254/latest/meta-data/iam/", "metadata"],
    ["http://0xa9fea9fe/", "metadata"],
    ["http://2852039166/", "metadata"],
    ["http://[::ffff:169.254.169.254]/", "metadata"],
    ["http://[fd00:ec2::254]/", "metadata"],
    ["http://[fe80::1]/", "link-local"],
    ["http://127.0.0.1:9090/-/quit", "loopback"],
    ["http://0177.0.0.1:9090/-/quit", "loopback"],
    ["http://[::1]:9090/", "loopback"],
    ["http://localhost:9090/", "loopback"],
    ["http://api.localhost/", "loopback"],
    ["http://10.1.2.3/", "private"],
    ["http://192.168.0.10/", "private"],
    ["http://[fd12:3456::1]/", "private"],
    ["http://internal.hooks.test/", "private"],
    ["http://100.64.1.1/", "cgnat"],
    ["http://224.0.0.251/", "multicast"],
    ["http://0.0.0.0:8084/", "unspecified"],
    ["http://nowhere.hooks.test/", "does not resolve"],
  ])("refuses a subscription to %s (%s) with a problem naming url", async (url, reason) => {
    const res = await n.api("/api/subscriptions", { body: { url, eventTypes: ["*"] } });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(res.body.errors).toEqual([{ field: "url", reason: expect.stringContaining(reason) }]);
  });

  it("counts refusals and stores nothing for them", async () => {
    expect(
      await metricValue(n.service.url, "webhook_targets_refused_total", {
        stage: "subscribe",
        class: "metadata",
      }),
    ).toBeGreaterThanOrEqual(5);
    expect((await n.api("/api/subscriptions")).body.count).toBe(0);
  });

  it("refuses at send time a name that resolved to an admitted address when subscribed and to loopback since", async () => {
    const name = `rebind-${randomBytes(3).toString("hex")}.hooks.test`;
    dns.records.set(name, "127.0.0.1");
    const port = new URL(receiver.url).port;
    const type = uniqueType("rebind");
    const created = await n.subscribe(`http://${name}:${port}/rebound`, [type]);
    dns.records.set(name, "127.0.0.2");
    const event = userEvent(type);
    await produceCommitted(n.topics.committed, [event]);

    const dead = await waitFor(
      async () => (await n.deliveriesOf(event.eventId)).find((r) => r.status === "dead"),
      30_000,
      "the rebound delivery to be refused",
    );
    // Refused before connecting, once: retrying cannot make the address acceptable.
    expect(dead).toMatchObject({ attempts: 1, rule: `webhook:${created.id}` });
    expect(dead.lastError).toContain("127.0.0.2 is a loopback address");
    expect(trap.hits).toEqual([]);
    expect(receiver.on("/rebound")).toEqual([]);
    expect(
      await metricValue(n.service.url, "webhook_targets_refused_total", { stage: "send", class: "loopback" }),
    ).toBeGreaterThanOrEqual(1);
  });

  it("does not follow a redirect: a 3xx is a failed attempt with its reason", async () => {
    const type = uniqueType("redirect");
    await n.subscribe(`${receiver.url}/redirect`, [type]);
    const event = userEvent(type);
    await produceCommitted(n.topics.committed, [event]);

    const dead = await waitFor(
      async () => (await n.deliveriesOf(event.eventId)).find((r) => r.status === "dead"),
      30_000,
      "the redirected delivery to use up its attempts",
    );
    expect(dead.attempts).toBe(2);
    expect(dead.lastError).toBe(`HTTP 302: redirect to ${receiver.url}/landing not followed`);
    expect(receiver.on("/redirect")).toHaveLength(2);
    expect(receiver.on("/landing")).toEqual([]);
  });

  it("reads at most 64 KiB of a 256 MiB answer, and the service's memory stays flat", async () => {
    const type = uniqueType("huge");
    await n.subscribe(`${receiver.url}/huge`, [type]);
    const before = await rss();
    const events = [userEvent(type), userEvent(type), userEvent(type)];
    await produceCommitted(n.topics.committed, events);

    for (const event of events) {
      const [row] = await n.delivered(event.eventId, 1);
      expect(row).toMatchObject({ attempts: 1, lastError: null });
    }
    // The service hung up after the first chunks: the receiver could write little of its 768 MiB.
    expect(hugeBytesSent).toBeLessThan(3 * 16 * 1024 * 1024);
    expect((await rss()) - before).toBeLessThan(64 * 1024 * 1024);
  });
});
