// Version 2 of the customer events that carry a name: `name` became `givenName` and
// `familyName`. A v1 name is split at its first space ("Ada King Lovelace" -> "Ada",
// "King Lovelace"); a name without a space is all given name.
import type { Upcaster } from "../domain.ts";

/** A full name as given and family names; the family name is absent when there is no space. */
export function splitFullName(name: string): { givenName: string; familyName?: string } {
  const trimmed = name.trim();
  const space = trimmed.indexOf(" ");
  if (space < 0) return { givenName: trimmed };
  return { givenName: trimmed.slice(0, space), familyName: trimmed.slice(space + 1).trim() };
}

/** The full name of given and family names (what v1 called `name`). */
export const fullName = (givenName: string | null, familyName: string | null): string | null =>
  givenName === null ? familyName : familyName ? `${givenName} ${familyName}` : givenName;

/** CustomerCreated / CustomerRegistered v1 -> v2. */
export const namesOfCreated: Upcaster = (data) => {
  const { name, ...rest } = data;
  return typeof name === "string" ? { ...splitFullName(name), ...rest } : data;
};

/** CustomerUpdated v1 -> v2: a new name replaces both parts, so a one-word name clears the family name. */
export const namesOfUpdated: Upcaster = (data) => {
  const { name, ...rest } = data;
  if (typeof name !== "string") return data;
  const { givenName, familyName } = splitFullName(name);
  return { givenName, familyName: familyName ?? null, ...rest };
};
