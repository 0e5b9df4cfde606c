// API keys with scopes: `API_KEYS=key:write+read,adminkey:admin`. A key listed without scopes
// holds every scope (the demo key). Keys are compared as HMAC digests of equal length with
// timingSafeEqual, against every configured key, so neither a key's content nor its length
// shows in the answer time.
import { createHmac, createSecretKey, randomBytes, timingSafeEqual } from "node:crypto";
import { forbidden, unauthorized } from "./errors.ts";

export const scopes = ["read", "write", "admin"] as const;
export type Scope = (typeof scopes)[number];

export interface ApiKey {
  key: string;
  scopes: Scope[];
}

/**
 * Parses `key[:scope+scope],...`; a key without `:` holds every scope. A bad entry throws a plain
 * Error: readConfig names the setting and turns it into a ConfigError.
 */
export function parseApiKeys(raw: string): ApiKey[] {
  return raw
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry) => {
      const colon = entry.lastIndexOf(":");
      if (colon === -1) return { key: entry, scopes: [...scopes] };
      const key = entry.slice(0, colon);
      const named = entry.slice(colon + 1).split("+");
      if (key.length === 0) throw new Error(`"${entry}" has no key before the colon`);
      for (const scope of named) {
        if (!(scopes as readonly string[]).includes(scope))
          throw new Error(`unknown scope "${scope}" (scopes: ${scopes.join(", ")})`);
      }
      return { key, scopes: named as Scope[] };
    });
}

export interface Keyring {
  /** False when no key is configured: every route is open then. */
  readonly enabled: boolean;
  /** Throws a 401 (no or unknown key) or 403 (key without the scope) problem naming the scope. */
  authorize(given: string | string[] | undefined, scope: Scope): void;
}

export function createKeyring(keys: ApiKey[]): Keyring {
  // A per-process secret: digests are of fixed length whatever was sent, and cannot be precomputed.
  // Made a KeyObject once: from raw bytes, every createHmac would build one per request.
  const secret = createSecretKey(randomBytes(32));
  const digest = (value: string) => createHmac("sha256", secret).update(value).digest();
  const entries = keys.map((k) => ({ digest: digest(k.key), scopes: new Set<Scope>(k.scopes) }));
  const lookup = (given: string): Set<Scope> | undefined => {
    const d = digest(given);
    let found: Set<Scope> | undefined;
    // Every entry is compared, the matching one or not.
    for (const entry of entries) if (timingSafeEqual(entry.digest, d)) found ??= entry.scopes;
    return found;
  };
  return {
    enabled: entries.length > 0,
    authorize(given, scope) {
      if (entries.length === 0) return;
      const value = Array.isArray(given) ? given[0] : given;
      if (value === undefined || value === "")
        throw unauthorized(`an X-API-Key with the ${scope} scope is required`, { requiredScope: scope });
      const held = lookup(value);
      if (!held)
        throw unauthorized(`the X-API-Key is not valid; a key with the ${scope} scope is required`, {
          requiredScope: scope,
        });
      if (!held.has(scope))
        throw forbidden(`the X-API-Key lacks the ${scope} scope`, { requiredScope: scope });
    },
  };
}

/** The key a service sends to another: its own setting when given, else its first key with `scope`. */
export const outgoingKey = (explicit: string, keys: ApiKey[], scope: Scope): string | undefined =>
  explicit || keys.find((k) => k.scopes.includes(scope))?.key;
