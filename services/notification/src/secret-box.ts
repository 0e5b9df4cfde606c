// Webhook secrets at rest: the platform's secret box under WEBHOOK_SECRET_KEY, each secret bound
// to its subscription (the id is the additional authenticated data).
import { createSecretBox as platformSecretBox, type SecretBox } from "@eventscope/platform";

export { parseSecretKey, type SecretBox } from "@eventscope/platform";

export const createSecretBox = (key: Buffer): SecretBox =>
  platformSecretBox(key, "WEBHOOK_SECRET_KEY", "webhook secret");
