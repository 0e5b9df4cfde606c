import { describe, expect, it } from "vitest";
import { decodeBytes, decodeHeaders, decodeValue, parseTraceparent } from "./headers.ts";

describe("Kafka header and value decoding", () => {
  it("gathers the CloudEvents attributes and takes the traceparent apart", () => {
    const decoded = decodeHeaders({
      ce_specversion: Buffer.from("1.0"),
      ce_id: Buffer.from("7f0c1a52-0000-4000-8000-000000000001"),
      ce_type: Buffer.from("OrderCreated"),
      traceparent: Buffer.from("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
      "content-type": "application/json",
    });
    expect(decoded.cloudEvents).toEqual({
      specversion: "1.0",
      id: "7f0c1a52-0000-4000-8000-000000000001",
      type: "OrderCreated",
    });
    expect(decoded.traceparent).toEqual({
      version: "00",
      traceId: "0af7651916cd43dd8448eb211c80319c",
      spanId: "b7ad6b7169203331",
      sampled: true,
    });
    expect(decoded.headers["content-type"]).toEqual({ encoding: "utf8", text: "application/json" });
  });

  it("shows bytes that are not UTF-8 as base64, and never as a CloudEvents attribute", () => {
    const decoded = decodeHeaders({
      ce_id: Buffer.from([0xff, 0xfe, 0x00]),
      x: [Buffer.from("first"), Buffer.from("second")],
    });
    expect(decoded.headers.ce_id).toEqual({ encoding: "base64", text: "//4A" });
    expect(decoded.cloudEvents).toEqual({});
    expect(decoded.headers.x!.text).toBe("first");
    expect(decoded.traceparent).toBeNull();
  });

  it("refuses malformed or invalid traceparents", () => {
    expect(parseTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00")?.sampled).toBe(false);
    for (const bad of [
      "00-00000000000000000000000000000000-b7ad6b7169203331-01",
      "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
      "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
      "garbage",
      undefined,
    ])
      expect(parseTraceparent(bad)).toBeNull();
  });

  it("parses a JSON value, keeps text as text, and bounds what it shows", () => {
    expect(decodeValue(Buffer.from('{"a":1}'))).toEqual({ kind: "json", json: { a: 1 }, size: 7 });
    expect(decodeValue(Buffer.from("not json"))).toEqual({ kind: "text", text: "not json", size: 8 });
    expect(decodeValue(null)).toEqual({ kind: "null", size: 0 });
    expect(decodeValue(Buffer.from([0xc3, 0x28]))).toMatchObject({ kind: "base64", text: "wyg=" });
    const big = decodeValue(Buffer.from(`"${"x".repeat(100)}"`), 10);
    expect(big).toMatchObject({ kind: "text", size: 102, truncatedFrom: 102 });
    expect(big.text).toHaveLength(10);
  });

  it("does not call a UTF-8 value binary because the cut split a character", () => {
    const euro = Buffer.from("€€€€"); // 3 bytes each
    expect(decodeBytes(euro, 4)).toEqual({ encoding: "utf8", text: "€", truncatedFrom: 12 });
    expect(decodeBytes(Buffer.concat([Buffer.from([0xff]), euro]), 4).encoding).toBe("base64");
  });
});
