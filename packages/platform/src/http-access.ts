// Who may call a route: the scope its X-API-Key must hold (401 without a known key, 403 without
// the scope), checked before anything of the request is read.
import type { RequestHandler } from "express";
import type { Keyring, Scope } from "./api-keys.ts";

const open: RequestHandler = (_req, _res, next) => next();

/** A middleware asking for `scope`; a route without one (or a keyring without keys) is open. */
export function requireScope(keyring: Keyring, scope: Scope | undefined): RequestHandler {
  if (!scope || !keyring.enabled) return open;
  return (req, _res, next) => {
    keyring.authorize(req.headers["x-api-key"], scope);
    next();
  };
}
