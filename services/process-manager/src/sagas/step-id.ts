// RFC 4122 version 5 (name-based, SHA-1) ids: a step of a process always has the same event id,
// so however often it is decided (a redelivery, a restart, a rebalance) it is one event.
import { createHash } from "node:crypto";

/** The namespace of the process manager's step ids (a fixed, random uuid). */
export const stepNamespace = "6f1c7d2e-4b8a-5c3d-9e0f-1a2b3c4d5e6f";

export function uuidV5(name: string, namespace = stepNamespace): string {
  const ns = Buffer.from(namespace.replaceAll("-", ""), "hex");
  const h = createHash("sha1").update(ns).update(name, "utf8").digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const stepEventId = (processId: string, step: string): string => uuidV5(`${processId}\0${step}`);
