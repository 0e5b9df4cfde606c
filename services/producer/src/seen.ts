// What "seen before" means for an id the client chose (eventId, Idempotency-Key, CloudEvents id).
// The producer keeps no state of its own beyond a cache of recent ids, so it asks the event store,
// which knows every stored id and the hash of the payload it was stored with. When the store
// cannot tell in time (unreachable, or the first copy still on its way), the event is published
// and the store keeps the first copy: the status URL then shows the stored payload's hash.
import { hash } from "node:crypto";

export interface StoredId {
  /** The stored event's metadata.payloadHash; undefined for events stored before hashes existed. */
  payloadHash: string | undefined;
}

/** Ids the event store knows (committed or rejected), by id; unknown and pending ids are absent. */
export type StoredLookup = (eventIds: string[]) => Promise<Map<string, StoredId>>;

/** JSON with object keys sorted, so that two equal payloads hash alike whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  // Built as one string, without the entry arrays and joins of a map/filter/sort chain.
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) out += (i === 0 ? "" : ",") + canonicalJson(value[i]);
    return `${out}]`;
  }
  const object = value as Record<string, unknown>;
  // The default sort orders by UTF-16 code units, as `<` compares strings.
  const keys = Object.keys(object).sort();
  let out = "{";
  let first = true;
  for (const key of keys) {
    const inner = object[key];
    if (inner === undefined) continue;
    out += `${first ? "" : ","}${JSON.stringify(key)}:${canonicalJson(inner)}`;
    first = false;
  }
  return `${out}}`;
}

export const payloadHash = (payload: unknown): string => `sha256:${hash("sha256", canonicalJson(payload))}`;

export interface StoreLookupOptions {
  /** Base URL of the event store as this service reaches it. */
  url: string;
  /** A key with the read scope, when the store requires keys. */
  apiKey?: string | undefined;
  timeoutMs: number;
  /** Lookups in flight at once for one request. */
  concurrency?: number;
  onError?: (error: unknown) => void;
}

/**
 * Asks GET /api/eventstore/events/{id} for each id. A failed or slow answer counts as "not known":
 * the request goes on, and the store decides when the event arrives.
 */
export function storeLookup(options: StoreLookupOptions): StoredLookup {
  const headers: Record<string, string> = options.apiKey ? { "x-api-key": options.apiKey } : {};
  const one = async (id: string): Promise<StoredId | undefined> => {
    const res = await fetch(`${options.url}/api/eventstore/events/${id}`, {
      headers,
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    if (!res.ok) throw new Error(`the event store answered ${res.status} for event ${id}`);
    const body = (await res.json()) as {
      status: string;
      event?: { metadata?: { payloadHash?: string } };
      payloadHash?: string;
    };
    if (body.status === "committed") return { payloadHash: body.event?.metadata?.payloadHash };
    if (body.status === "rejected") return { payloadHash: body.payloadHash };
    return undefined;
  };
  return async (eventIds) => {
    const found = new Map<string, StoredId>();
    const queue = [...eventIds];
    const worker = async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        try {
          const stored = await one(id);
          if (stored) found.set(id, stored);
        } catch (error) {
          options.onError?.(error);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 8, queue.length) }, worker));
    return found;
  };
}
