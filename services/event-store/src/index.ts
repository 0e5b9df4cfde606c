// The event store's public surface: its documentation, and the decide and append stages the
// benchmarks measure on their own, with the migrations that make their schema.
import { fileURLToPath } from "node:url";

export { eventStoreDocs } from "./docs.ts";
export { eventStoreSettings } from "./config.ts";
export { decideBatch, type AppendBatch, type Head } from "./decide.ts";
export { appendBatch } from "./store.ts";

/** The folder of the event store's SQL migrations (for `migrate`). */
export const eventStoreMigrations = fileURLToPath(new URL("./migrations", import.meta.url));
