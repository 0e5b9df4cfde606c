// The process manager's public surface: its documentation, and the tables the generators and tests
// read (settings, process statuses, the sagas and their steps' id namespace).
export { processManagerDocs } from "./docs.ts";
export { processManagerSettings } from "./config.ts";
export { processStatuses } from "./app.ts";
export { sagas } from "./sagas/index.ts";
export { stepNamespace } from "./sagas/step-id.ts";
