/**
 * The four platform services as the infrastructure sees them: HTTP port (also the Prometheus
 * scrape target) and the environment each one is started with on the native stack.
 * docker-compose.yml gives each service the same variable names (checked by
 * infra/test/compose.unit.spec.ts), with container host names instead of 127.0.0.1.
 */
export const SERVICE_PORTS = {
  producer: 8081,
  "event-store": 8082,
  projection: 8083,
  notification: 8084,
} as const;

export type ServiceName = keyof typeof SERVICE_PORTS;

export const SERVICE_NAMES = Object.keys(SERVICE_PORTS) as ServiceName[];

/** Environment of a service on the native stack (every part on 127.0.0.1 at its default port). */
export function nativeServiceEnv(name: ServiceName): Record<string, string> {
  const env: Record<string, string> = {
    HOST: "127.0.0.1",
    PORT: String(SERVICE_PORTS[name]),
    KAFKA_BROKERS: "127.0.0.1:9092",
    DATABASE_URL: "postgres://eventscope:eventscope@127.0.0.1:55432/eventscope",
    OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318",
    OTEL_SERVICE_NAME: name,
    // Every service asks for a key (the demo key holds every scope: read, write, admin).
    API_KEYS: "eventscope-demo-key",
  };
  if (name === "producer")
    Object.assign(env, {
      EVENT_STORE_URL: "http://127.0.0.1:8082",
      EVENT_STORE_INTERNAL_URL: "http://127.0.0.1:8082",
    });
  if (name === "projection") env.EVENT_STORE_URL = "http://127.0.0.1:8082";
  if (name === "notification") {
    Object.assign(env, {
      SMTP_HOST: "127.0.0.1",
      SMTP_PORT: "1025",
      SMS_PROVIDER_URL: "http://127.0.0.1:8025/api/v1/sms",
      PUSH_PROVIDER_URL: "http://127.0.0.1:8025/api/v1/push",
      // The demo configuration lets webhooks reach local receivers (services/stack.sh).
      WEBHOOK_ALLOWED_TARGETS: "127.0.0.0/8,::1/128",
      WEBHOOK_SECRET_KEY: "6576656e7473636f70652d64656d6f2d776562686f6f6b2d7365637265742d31",
    });
  }
  return env;
}
