import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { testEnv } from "../src/test-env.ts";

interface JaegerTrace {
  traceID: string;
  spans: {
    spanID: string;
    operationName: string;
    processID: string;
    tags: { key: string; value: unknown }[];
  }[];
  processes: Record<string, { serviceName: string }>;
}

describe("Jaeger", () => {
  it("returns through its query API a span sent over OTLP/HTTP", async () => {
    const traceId = randomBytes(16).toString("hex");
    const spanId = randomBytes(8).toString("hex");
    const service = `infra-test-${randomBytes(4).toString("hex")}`;
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    const payload = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: "service.name", value: { stringValue: service } }] },
          scopeSpans: [
            {
              scope: { name: "infra-int-test" },
              spans: [
                {
                  traceId,
                  spanId,
                  name: "infra.roundtrip",
                  kind: 2,
                  startTimeUnixNano: (nowNs - 5_000_000n).toString(),
                  endTimeUnixNano: nowNs.toString(),
                  attributes: [{ key: "test.marker", value: { stringValue: traceId } }],
                  status: { code: 1 },
                },
              ],
            },
          ],
        },
      ],
    };
    const sent = await fetch(`${testEnv.otlpUrl}/v1/traces`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(payload),
    });
    expect(sent.status).toBe(200);

    let trace: JaegerTrace | undefined;
    const deadline = Date.now() + 20_000;
    while (trace === undefined && Date.now() < deadline) {
      const res = await fetch(`${testEnv.jaegerQueryUrl}/api/traces/${traceId}`);
      if (res.status === 200) trace = ((await res.json()) as { data: JaegerTrace[] }).data[0];
      else await new Promise((r) => setTimeout(r, 250));
    }
    expect(trace, `trace ${traceId} not found within 20 s`).toBeDefined();
    expect(trace?.traceID).toBe(traceId);
    const span = trace?.spans.find((s) => s.spanID === spanId);
    expect(span?.operationName).toBe("infra.roundtrip");
    expect(trace?.processes[span?.processID ?? ""]?.serviceName).toBe(service);
    expect(span?.tags).toContainEqual(expect.objectContaining({ key: "test.marker", value: traceId }));

    const services = (await (await fetch(`${testEnv.jaegerQueryUrl}/api/services`)).json()) as {
      data: string[];
    };
    expect(services.data).toContain(service);
  });
});
