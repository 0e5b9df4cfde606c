// The projection's public surface: its documentation and settings.
export { projectionDocs } from "./docs.ts";
export { projectionSettings } from "./config.ts";
