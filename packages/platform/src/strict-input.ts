// Input is taken as sent or refused, never repaired: bodies are UTF-8 (invalid bytes are a 400,
// another declared charset a 415), JSON nesting is bounded, numbers that a double cannot hold
// exactly are refused rather than rounded, and no string (value, key, path or query parameter)
// may hold NUL or a lone surrogate, which PostgreSQL refuses or the store would alter.
import { unsupportedMediaType, validationError, type FieldProblem } from "./errors.ts";

export const DEFAULT_MAX_JSON_DEPTH = 64;
const MAX_PROBLEMS = 20;

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Refuses a declared charset other than UTF-8 (JSON is UTF-8, RFC 8259 §8.1). */
export function checkCharset(contentTypeHeader: string | undefined, accepted: string[]): void {
  if (!contentTypeHeader) return;
  const m = /;\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(contentTypeHeader);
  if (m && !/^utf-?8$/i.test(m[1]!)) {
    throw unsupportedMediaType(contentTypeHeader, accepted, `charset must be utf-8, got "${m[1]}"`);
  }
}

/** Decodes a body as UTF-8, refusing invalid byte sequences. */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw validationError("request body is not valid UTF-8", [
      { field: "body", reason: "contains bytes that are not valid UTF-8" },
    ]);
  }
}

/** Why a string cannot be taken (NUL, lone surrogate), or undefined. */
export function textProblem(value: string): string | undefined {
  if (value.includes("\u0000")) return "must not contain NUL (U+0000)";
  if (!value.isWellFormed()) return "must not contain a lone surrogate";
  return undefined;
}

/** Throws a 400 naming `field` when the string cannot be taken. */
export function checkText(value: string, field: string): string {
  const reason = textProblem(value);
  if (reason) throw validationError(`invalid ${field}`, [{ field, reason }]);
  return value;
}

// Only escapes can produce NUL or a lone surrogate once a body decoded as strict UTF-8.
const suspectEscape = /\\u(?:0000|[dD][89a-fA-F])/;
// Long digit runs or three-digit exponents: the only literals that may not fit in a double.
const suspectNumber = /\d{16}|[eE][+-]?\d{3}/;

/**
 * Parses JSON strictly: depth at most `maxDepth`, every number representable, every string
 * clean. Problems name the field as a JSON pointer into the body ("/data/reason").
 */
export function parseStrictJson(text: string, maxDepth = DEFAULT_MAX_JSON_DEPTH): unknown {
  if (text.trim() === "")
    throw validationError("request body is empty", [{ field: "body", reason: "required" }]);
  checkDepth(text, maxDepth);
  // Each scan once per body: the number scan decides both the reviver and the walk.
  const numbers = suspectNumber.test(text);
  let value: unknown;
  try {
    value = numbers ? JSON.parse(text, markUnfit) : JSON.parse(text);
  } catch (error) {
    throw validationError("request body is not valid JSON", [
      { field: "body", reason: `malformed JSON: ${(error as Error).message}` },
    ]);
  }
  if (numbers || suspectEscape.test(text)) {
    const problems = findProblems(value);
    if (problems.length > 0)
      throw validationError("request body holds values that cannot be taken", problems);
  }
  return value;
}

/** Nesting depth by a scan that skips strings: a deep body is refused before anything recurses. */
function checkDepth(text: string, maxDepth: number): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth)
        throw validationError("request body is nested too deeply", [
          { field: "body", reason: `nesting deeper than ${maxDepth} levels` },
        ]);
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
}

class UnfitNumber {
  readonly source: string;
  readonly reason: string;
  constructor(source: string, reason: string) {
    this.source = source;
    this.reason = reason;
  }
}

// JSON.parse source text access (the reviver's third argument): the literal as written.
function markUnfit(this: unknown, _key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value !== "number" || context?.source === undefined) return value;
  const source = context.source;
  if (!Number.isFinite(value)) return new UnfitNumber(source, "is out of range for a number");
  if (/^-?\d+$/.test(source) && !Number.isSafeInteger(value))
    return new UnfitNumber(source, "is an integer beyond 2^53 - 1 and would be rounded");
  if (value === 0 && /[1-9]/.test(source.split(/[eE]/)[0]!))
    return new UnfitNumber(source, "is too small for a number and would become 0");
  return value;
}

const escapePointer = (key: string) => key.replaceAll("~", "~0").replaceAll("/", "~1");

function findProblems(root: unknown): FieldProblem[] {
  const problems: FieldProblem[] = [];
  // Iterative walk: depth is bounded already, but recursion is not needed either.
  const stack: [unknown, string][] = [[root, ""]];
  while (stack.length > 0 && problems.length < MAX_PROBLEMS) {
    const [value, at] = stack.pop()!;
    if (typeof value === "string") {
      const reason = textProblem(value);
      if (reason) problems.push({ field: at || "/", reason });
    } else if (value instanceof UnfitNumber) {
      problems.push({ field: at || "/", reason: `${value.source.slice(0, 40)} ${value.reason}` });
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], `${at}/${i}`]);
    } else if (value !== null && typeof value === "object") {
      for (const [key, inner] of Object.entries(value)) {
        const field = `${at}/${escapePointer(key)}`;
        const reason = textProblem(key);
        if (reason) problems.push({ field, reason: `the field name ${reason}` });
        stack.push([inner, field]);
      }
    }
  }
  return problems;
}

/** decodeURIComponent that answers 400 naming the parameter, then the text checks. */
export function decodeComponent(raw: string, field: string): string {
  let value: string;
  try {
    value = decodeURIComponent(raw);
  } catch {
    throw validationError(`invalid ${field}`, [{ field, reason: "is not valid percent-encoded UTF-8" }]);
  }
  return checkText(value, field);
}

/** The query string decoded strictly ('+' is a space); every name and value is checked. */
export function parseQuery(raw: string): URLSearchParams {
  const query = new URLSearchParams();
  if (raw === "") return query;
  for (const pair of raw.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const rawName = (eq === -1 ? pair : pair.slice(0, eq)).replaceAll("+", " ");
    const rawValue = (eq === -1 ? "" : pair.slice(eq + 1)).replaceAll("+", " ");
    const name = decodeComponent(rawName, rawName.slice(0, 100));
    query.append(name, decodeComponent(rawValue, name));
  }
  return query;
}
