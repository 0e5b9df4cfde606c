// Secrets at rest, sealed with AES-256-GCM under a configured 32-byte key and bound to what they
// belong to (`boundTo` is the additional authenticated data, so a sealed value copied onto
// another row does not open). A dump of the table alone opens nothing. The sealed form names the
// key by a short fingerprint, so a service started with another key says which one. Used for
// webhook secrets (WEBHOOK_SECRET_KEY) and the data subjects' keys (PII_MASTER_KEY).
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

const prefix = "gcm1";

export interface SecretBox {
  seal(secret: string, boundTo: string): string;
  open(sealed: string, boundTo: string): string;
  /** The key's fingerprint (not the key): safe to log. */
  keyId: string;
}

/** The key as 64 hex digits or base64 of 32 bytes. */
export function parseSecretKey(raw: string): Buffer {
  const key = /^[0-9a-f]{64}$/i.test(raw) ? Buffer.from(raw, "hex") : Buffer.from(raw, "base64");
  if (key.length !== 32) throw new Error("expected 32 bytes as 64 hex digits or base64");
  return key;
}

/** `keyName` (the setting) and `what` (what is sealed) only word the errors. */
export function createSecretBox(key: Buffer, keyName = "the key", what = "secret"): SecretBox {
  const keyId = createHash("sha256").update(key).digest("hex").slice(0, 8);
  return {
    keyId,
    seal(secret, boundTo) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv).setAAD(Buffer.from(boundTo));
      const sealed = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
      return [prefix, keyId, iv, cipher.getAuthTag(), sealed]
        .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
        .join(".");
    },
    open(sealed, boundTo) {
      const [format, sealedWith, iv, tag, data] = sealed.split(".");
      if (format !== prefix || !iv || !tag || data === undefined) throw new Error(`not a sealed ${what}`);
      if (sealedWith !== keyId)
        throw new Error(`${what} sealed with key ${sealedWith}, but ${keyName} is key ${keyId}`);
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"))
        .setAAD(Buffer.from(boundTo))
        .setAuthTag(Buffer.from(tag, "base64url"));
      return Buffer.concat([decipher.update(Buffer.from(data, "base64url")), decipher.final()]).toString(
        "utf8",
      );
    },
  };
}
