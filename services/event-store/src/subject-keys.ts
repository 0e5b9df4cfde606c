// Crypto-shredding: each data subject (a customer) has its own AES-256-GCM key, kept in
// subject_keys wrapped with the master key (PII_MASTER_KEY). The personal fields an event's
// domain declares are sealed with the subject's key when the event is appended and opened when
// it is read; erasing a subject deletes the key, after which those fields read "[erased]".
// Readers take the wrapped key from the row they read (a subquery of EVENT_COLUMNS), so an
// erasure on any instance holds for every read from that moment.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { erasedValue, personalFieldsOf, type EventEnvelope } from "@eventscope/contracts";
import {
  createSecretBox,
  parseSecretKey,
  type Pool,
  type PoolClient,
  type SecretBox,
} from "@eventscope/platform";

/**
 * The demo master key (32 bytes of "eventscope-demo-pii-master-key-1"): published, so data
 * sealed under it is protected from nobody. Set PII_MASTER_KEY (`openssl rand -hex 32`) elsewhere.
 */
export const demoPiiMasterKey = "6576656e7473636f70652d64656d6f2d7069692d6d61737465722d6b65792d31";

const sealedPrefix = "pii1.";

/** What a rejected event's personal fields are stored as: a rejection keeps no personal data. */
export const withheldValue = "[withheld]";

let box: SecretBox = createSecretBox(parseSecretKey(demoPiiMasterKey), "PII_MASTER_KEY", "data subject key");
// Unwrapped keys by their wrapped form: a deleted key is never read again, so none outlives its row.
const unwrapped = new Map<string, Buffer>();
const UNWRAPPED_KEPT = 10_000;

/** Uses this master key from now on (the event store's start, from PII_MASTER_KEY). */
export function usePiiMasterKey(key: Buffer): { keyId: string } {
  box = createSecretBox(key, "PII_MASTER_KEY", "data subject key");
  unwrapped.clear();
  return { keyId: box.keyId };
}

function unwrap(subject: string, wrapped: string): Buffer {
  let key = unwrapped.get(wrapped);
  if (!key) {
    key = Buffer.from(box.open(wrapped, subject), "base64");
    if (unwrapped.size >= UNWRAPPED_KEPT) unwrapped.clear();
    unwrapped.set(wrapped, key);
  }
  return key;
}

function seal(value: unknown, subject: string, key: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv).setAAD(Buffer.from(subject));
  const sealed = Buffer.concat([cipher.update(JSON.stringify(value), "utf8"), cipher.final()]);
  return sealedPrefix + [iv, cipher.getAuthTag(), sealed].map((b) => b.toString("base64url")).join(".");
}

function open(value: unknown, subject: string, key: Buffer): unknown {
  if (typeof value !== "string" || !value.startsWith(sealedPrefix)) return value;
  const [iv, tag, data] = value.slice(sealedPrefix.length).split(".");
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv!, "base64url"))
    .setAAD(Buffer.from(subject))
    .setAuthTag(Buffer.from(tag!, "base64url"));
  return JSON.parse(
    Buffer.concat([decipher.update(Buffer.from(data!, "base64url")), decipher.final()]).toString("utf8"),
  );
}

/**
 * A stored event's data with its personal fields opened: `wrappedKey` is the subject's key as
 * the row found it, null once the subject was erased (the fields then read "[erased]").
 */
export function openPersonalData(
  event: Pick<EventEnvelope, "eventType" | "aggregateId" | "data">,
  subject: string,
  wrappedKey: string | null,
): Record<string, unknown> {
  const personal = personalFieldsOf(event);
  if (!personal) return event.data;
  const data = { ...event.data };
  const key = wrappedKey === null ? undefined : unwrap(subject, wrappedKey);
  for (const field of personal.fields) data[field] = key ? open(data[field], subject, key) : erasedValue;
  return data;
}

/** A snapshot's state with the domain's personal state fields sealed with the subject's key. */
export function sealPersonalState(
  state: unknown,
  fields: readonly string[],
  subject: string,
  key: SubjectKey,
): unknown {
  if (state === null || typeof state !== "object") return state;
  const out = { ...(state as Record<string, unknown>) };
  for (const field of fields) {
    if (out[field] === undefined || out[field] === null) continue;
    out[field] = key === "erased" ? erasedValue : seal(out[field], subject, key);
  }
  return out;
}

/** A stored snapshot's state with its personal state fields opened (or "[erased]"). */
export function openPersonalState(
  state: unknown,
  fields: readonly string[],
  subject: string,
  wrappedKey: string | null,
): unknown {
  if (state === null || typeof state !== "object") return state;
  const out = { ...(state as Record<string, unknown>) };
  const key = wrappedKey === null ? undefined : unwrap(subject, wrappedKey);
  for (const field of fields) {
    if (out[field] === undefined || out[field] === null) continue;
    out[field] = key ? open(out[field], subject, key) : erasedValue;
  }
  return out;
}

/** A subject's key, or "erased" when the subject was erased (no key is made for it again). */
export type SubjectKey = Buffer | "erased";

/**
 * The keys of these subjects, made (and stored wrapped) for those that have none yet. Keys are
 * kept in `cache` between batches; a key deleted by another instance meanwhile only makes what
 * is sealed with it unreadable, which is what the erasure asked for.
 */
export async function subjectKeysFor(
  db: Pool | PoolClient,
  subjects: Iterable<string>,
  cache: Map<string, SubjectKey>,
): Promise<Map<string, SubjectKey>> {
  const out = new Map<string, SubjectKey>();
  const wanted: string[] = [];
  for (const subject of new Set(subjects)) {
    const cached = cache.get(subject);
    if (cached) out.set(subject, cached);
    else wanted.push(subject);
  }
  if (wanted.length === 0) return out;
  const fresh = wanted.map((subject) => box.seal(randomBytes(32).toString("base64"), subject));
  const { rows } = await db.query<{ subject_id: string; wrapped_key: string }>(
    `WITH wanted AS (SELECT * FROM unnest($1::text[], $2::text[]) AS w(subject_id, wrapped_key)),
     created AS (
       INSERT INTO subject_keys (subject_id, wrapped_key)
       SELECT w.subject_id, w.wrapped_key FROM wanted w
       WHERE NOT EXISTS (SELECT 1 FROM erased_subjects x WHERE x.subject_id = w.subject_id)
       ON CONFLICT (subject_id) DO NOTHING
       RETURNING subject_id, wrapped_key
     )
     SELECT subject_id, wrapped_key FROM created
     UNION ALL SELECT k.subject_id, k.wrapped_key FROM subject_keys k JOIN wanted w USING (subject_id)`,
    [wanted, fresh],
  );
  let found = new Map(rows.map((r) => [r.subject_id, r.wrapped_key]));
  // A key another writer made while this statement ran is not in its snapshot: read it again.
  const missing = wanted.filter((s) => !found.has(s));
  if (missing.length > 0) {
    const again = await db.query<{ subject_id: string; wrapped_key: string }>(
      "SELECT subject_id, wrapped_key FROM subject_keys WHERE subject_id = ANY($1::text[])",
      [missing],
    );
    found = new Map([...found, ...again.rows.map((r) => [r.subject_id, r.wrapped_key] as const)]);
  }
  for (const subject of wanted) {
    const wrapped = found.get(subject);
    const key: SubjectKey = wrapped === undefined ? "erased" : unwrap(subject, wrapped);
    if (cache.size >= UNWRAPPED_KEPT) cache.clear();
    cache.set(subject, key);
    out.set(subject, key);
  }
  return out;
}

/** The data an event is stored with: its personal fields sealed with the subject's key. */
export function sealPersonalData(
  event: Pick<EventEnvelope, "eventType" | "aggregateId" | "data">,
  keys: Map<string, SubjectKey>,
): { data: Record<string, unknown>; subject: string | null } {
  const personal = personalFieldsOf(event);
  if (!personal) return { data: event.data, subject: null };
  const key = keys.get(personal.subject) ?? "erased";
  const data = { ...event.data };
  for (const field of personal.fields)
    data[field] = key === "erased" ? erasedValue : seal(data[field], personal.subject, key);
  return { data, subject: personal.subject };
}

/** A rejected event as the store keeps it: its personal fields withheld. */
export function withholdPersonalData<E extends EventEnvelope>(event: E): E {
  const personal = personalFieldsOf(event);
  if (!personal) return event;
  const data = { ...event.data };
  for (const field of personal.fields) data[field] = withheldValue;
  return { ...event, data };
}

/**
 * Erases subjects now (the admin route): deletes their keys, records them as erased, and drops
 * the snapshots of their streams (a snapshot holds the state in the clear). Returns the subjects
 * that had a key.
 */
export async function eraseSubjects(
  db: Pool | PoolClient,
  subjects: string[],
  streams: string[],
): Promise<string[]> {
  const { rows } = await db.query<{ subject_id: string }>(
    `WITH erased AS (
       INSERT INTO erased_subjects (subject_id) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING
     ), unsnapshotted AS (
       DELETE FROM snapshots WHERE stream_id = ANY($2::text[])
     )
     DELETE FROM subject_keys WHERE subject_id = ANY($1::text[]) RETURNING subject_id`,
    [subjects, streams],
  );
  return rows.map((r) => r.subject_id);
}
