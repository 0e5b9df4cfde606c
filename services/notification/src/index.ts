// The notification service's public surface: its documentation and settings.
export { notificationDocs } from "./docs.ts";
export { notificationSettings } from "./config.ts";
