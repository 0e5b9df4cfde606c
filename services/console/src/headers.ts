// A Kafka record as a person reads it: key and header values as text (or base64 when they are
// not UTF-8), the CloudEvents attributes of the Kafka binding (`ce_*` headers) gathered, the
// W3C traceparent taken apart, and the value parsed as JSON when it is JSON. Pure.

export interface DecodedBytes {
  /** utf8 text, or base64 of bytes that are not valid UTF-8. */
  encoding: "utf8" | "base64";
  text: string;
  /** Set when only the first `limit` bytes are shown. */
  truncatedFrom?: number;
}

export interface Traceparent {
  version: string;
  traceId: string;
  spanId: string;
  sampled: boolean;
}

export interface DecodedHeaders {
  headers: Record<string, DecodedBytes>;
  cloudEvents: Record<string, string>;
  traceparent: Traceparent | null;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

export function decodeBytes(bytes: Buffer | Uint8Array, limit = 64 * 1024): DecodedBytes {
  const shown = bytes.byteLength > limit ? bytes.subarray(0, limit) : bytes;
  const truncated = bytes.byteLength > limit ? { truncatedFrom: bytes.byteLength } : {};
  try {
    return { encoding: "utf8", text: strictUtf8.decode(shown), ...truncated };
  } catch {
    // A cut may split a character (at most 3 bytes of it remain): only a whole value is judged
    // not to be UTF-8.
    if (truncated.truncatedFrom !== undefined) {
      for (let drop = 1; drop <= 3 && drop < shown.byteLength; drop++) {
        try {
          return {
            encoding: "utf8",
            text: strictUtf8.decode(shown.subarray(0, shown.byteLength - drop)),
            ...truncated,
          };
        } catch {
          // not yet a character boundary
        }
      }
    }
    return { encoding: "base64", text: Buffer.from(shown).toString("base64"), ...truncated };
  }
}

const traceparentForm = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export function parseTraceparent(value: string | undefined): Traceparent | null {
  const m = value === undefined ? null : traceparentForm.exec(value.trim());
  if (!m || m[1] === "ff" || /^0+$/.test(m[2]!) || /^0+$/.test(m[3]!)) return null;
  return { version: m[1]!, traceId: m[2]!, spanId: m[3]!, sampled: (parseInt(m[4]!, 16) & 1) === 1 };
}

type RawHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

export function decodeHeaders(raw: RawHeaders | undefined): DecodedHeaders {
  const headers: Record<string, DecodedBytes> = {};
  const cloudEvents: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first === undefined) continue;
    const decoded = decodeBytes(typeof first === "string" ? Buffer.from(first) : first, 8 * 1024);
    headers[name] = decoded;
    if (name.startsWith("ce_") && decoded.encoding === "utf8") cloudEvents[name.slice(3)] = decoded.text;
  }
  const tp = headers.traceparent;
  return { headers, cloudEvents, traceparent: tp?.encoding === "utf8" ? parseTraceparent(tp.text) : null };
}

export interface DecodedValue {
  /** json when the value parsed as JSON, text when it is UTF-8 otherwise, base64 else; null for a tombstone. */
  kind: "json" | "text" | "base64" | "null";
  json?: unknown;
  text?: string;
  size: number;
  truncatedFrom?: number;
}

export function decodeValue(value: Buffer | null, limit = 64 * 1024): DecodedValue {
  if (value === null) return { kind: "null", size: 0 };
  const bytes = decodeBytes(value, limit);
  const base = {
    size: value.byteLength,
    ...(bytes.truncatedFrom ? { truncatedFrom: bytes.truncatedFrom } : {}),
  };
  if (bytes.encoding === "base64") return { kind: "base64", text: bytes.text, ...base };
  if (bytes.truncatedFrom === undefined) {
    try {
      return { kind: "json", json: JSON.parse(bytes.text), ...base };
    } catch {
      // plain text
    }
  }
  return { kind: "text", text: bytes.text, ...base };
}
