/**
 * docker-compose.yml cannot run here (no Docker engine): this checks it against the native
 * configuration instead, so that the two stacks cannot drift apart unnoticed.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { topicNames } from "@eventscope/platform";
import { PLATFORM_TOPICS } from "../src/topics.ts";
import { SERVICE_NAMES, SERVICE_PORTS, nativeServiceEnv } from "../src/services.ts";
import { TEST_ENV_DEFAULTS } from "../src/test-env.ts";
import { gatewaySettings } from "../../services/gateway/src/config.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** Loaded before a service's modules so the OpenTelemetry instrumentations can patch them. */
const instrumentHook = "./packages/platform/src/instrument.ts";
const read = (p: string): string => readFileSync(path.join(root, p), "utf8");

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string | number>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  profiles?: string[];
}
interface PromConfig {
  rule_files: string[];
  scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[] }[] }[];
}

const compose = parse(read("docker-compose.yml"), { merge: true }) as {
  services: Record<string, ComposeService>;
};
const services = compose.services;
const promNative = parse(read("observability/prometheus/prometheus.native.yml")) as PromConfig;
const promCompose = parse(read("observability/prometheus/prometheus.compose.yml")) as PromConfig;

/** Default ports of the native stack, from infra/native/common.sh (`export X=${X:-1234}`). */
const nativePorts: Record<string, number> = Object.fromEntries(
  [...read("infra/native/common.sh").matchAll(/^export (\w+)=\$\{\1:-(\d+)\}$/gm)].map((m) => [
    m[1],
    Number(m[2]),
  ]),
);
const shellDefault = (file: string, name: string): string | undefined =>
  new RegExp(`^${name}=\\$\\{${name}:-([^}]+)\\}`, "m").exec(read(file))?.[1];

const hostPorts = (s: ComposeService | undefined): number[] =>
  (s?.ports ?? []).map((p) => Number(p.split(":").at(-2))).sort((a, b) => a - b);
const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);

// Paths that others are still writing: a missing one is reported as a skipped test.
const PENDING = new Set(["dashboards", "loadtests/scenarios/smoke.ts"]);

describe("docker-compose.yml against the native stack", () => {
  it("creates the same topics as the native stack and as the platform's contracts", () => {
    const env = services.topics?.environment ?? {};
    expect(String(env.TOPICS).split(/\s+/)).toEqual([...PLATFORM_TOPICS]);
    expect(env.KAFKA_PARTITIONS).toBe("${KAFKA_PARTITIONS:-6}");
    expect(Object.values(topicNames("")).sort()).toEqual([...PLATFORM_TOPICS].sort());
  });

  it("publishes each part on the native stack's default host ports", () => {
    const expected: Record<string, number[]> = {
      kafka: [nativePorts.KAFKA_PORT ?? NaN, nativePorts.KAFKA_METRICS_PORT ?? NaN],
      postgres: [nativePorts.PGPORT ?? NaN],
      "postgres-exporter": [nativePorts.PG_EXPORTER_PORT ?? NaN],
      prometheus: [nativePorts.PROMETHEUS_PORT ?? NaN],
      jaeger: [
        "JAEGER_OTLP_GRPC_PORT",
        "JAEGER_OTLP_HTTP_PORT",
        "JAEGER_QUERY_PORT",
        "JAEGER_HEALTH_PORT",
        "JAEGER_METRICS_PORT",
      ].map((k) => nativePorts[k] ?? NaN),
      mailpit: [nativePorts.SMTP_PORT ?? NaN, nativePorts.MAIL_API_PORT ?? NaN],
      ...Object.fromEntries(SERVICE_NAMES.map((n) => [n, [SERVICE_PORTS[n]]])),
    };
    for (const [name, ports] of Object.entries(expected)) {
      expect(hostPorts(services[name]), name).toEqual(sorted(ports));
    }
    // Host ports bind to loopback only, like the native processes.
    for (const [name, s] of Object.entries(services)) {
      for (const p of s.ports ?? []) expect(p, name).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    }
  });

  it("agrees with the connection defaults tests use (infra/src/test-env.ts)", () => {
    expect(TEST_ENV_DEFAULTS.KAFKA_BROKERS).toBe(`127.0.0.1:${nativePorts.KAFKA_PORT}`);
    expect(new URL(TEST_ENV_DEFAULTS.DATABASE_URL).port).toBe(String(nativePorts.PGPORT));
    expect(new URL(TEST_ENV_DEFAULTS.PROMETHEUS_URL).port).toBe(String(nativePorts.PROMETHEUS_PORT));
    expect(new URL(TEST_ENV_DEFAULTS.JAEGER_QUERY_URL).port).toBe(String(nativePorts.JAEGER_QUERY_PORT));
    expect(new URL(TEST_ENV_DEFAULTS.OTEL_EXPORTER_OTLP_ENDPOINT).port).toBe(
      String(nativePorts.JAEGER_OTLP_HTTP_PORT),
    );
    expect(TEST_ENV_DEFAULTS.SMTP_PORT).toBe(String(nativePorts.SMTP_PORT));
    expect(new URL(TEST_ENV_DEFAULTS.MAIL_API_URL).port).toBe(String(nativePorts.MAIL_API_PORT));
  });

  it("runs the same Kafka and Jaeger versions as the native stack, and a pinned k6 image", () => {
    const kafka = shellDefault("infra/native/kafka.sh", "KAFKA_VERSION");
    expect(kafka).toMatch(/^4\.\d+\.\d+$/);
    expect(services.kafka?.image).toBe(`apache/kafka:${kafka}`);
    expect(services.topics?.image).toBe(`apache/kafka:${kafka}`);
    expect(read("infra/kafka/pom.xml")).toContain(`<kafka.version>${kafka}</kafka.version>`);
    expect(services.jaeger?.image).toBe(
      `jaegertracing/jaeger:${shellDefault("infra/native/jaeger.sh", "JAEGER_RELEASE")}`,
    );
    // k6 (AGPL-3.0) is never installed by the native set-up: in compose it is the official image.
    expect(services.k6?.image).toMatch(/^grafana\/k6:\d+\.\d+\.\d+$/);
    expect(services.postgres?.image).toBe("postgres:15");
  });

  it("starts the broker with the same JMX exporter agent and rules as the native stack", () => {
    const version = shellDefault("infra/native/kafka.sh", "JMX_EXPORTER_VERSION");
    expect(version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(read("infra/kafka/jmx-exporter.pom.xml")).toContain(
      `<jmx.exporter.version>${version}</jmx.exporter.version>`,
    );
    const jar = `jmx_prometheus_javaagent-${version}.jar`;
    const agent = services["jmx-agent"];
    expect(agent?.volumes).toContain("./infra/kafka/jmx-exporter.pom.xml:/build/pom.xml:ro");
    expect(agent?.command?.join(" ")).toContain(`/agent/${jar}`);
    expect(services.kafka?.depends_on?.["jmx-agent"]?.condition).toBe("service_completed_successfully");
    const opts = String(services.kafka?.environment?.KAFKA_OPTS);
    // The JIT as natively (KAFKA_JIT=c1): the client compiler only, unless KAFKA_JIT_OPTS says otherwise.
    const jit = "${KAFKA_JIT_OPTS--XX:TieredStopAtLevel=1} ";
    expect(opts.startsWith(jit), opts).toBe(true);
    expect(shellDefault("infra/native/kafka.sh", "KAFKA_JIT")).toBe("c1");
    const m = /^-javaagent:(\S+)=(\d+):(\S+)$/.exec(opts.slice(jit.length));
    expect(m, opts).not.toBeNull();
    const [, jarPath, port, config] = m!;
    expect(jarPath).toBe(`/opt/jmx-exporter/${jar}`);
    expect(services.kafka?.volumes).toContain("jmx-agent:/opt/jmx-exporter:ro");
    expect(Number(port)).toBe(nativePorts.KAFKA_METRICS_PORT);
    expect(services.kafka?.volumes).toContain(`./observability/kafka/jmx-exporter.yml:${config}:ro`);
    // Natively: the same jar and rules file, bound to loopback on KAFKA_METRICS_PORT.
    const kafkaSh = read("infra/native/kafka.sh");
    expect(kafkaSh).toContain("JMX_EXPORTER_CONFIG=$REPO_DIR/observability/kafka/jmx-exporter.yml");
    expect(kafkaSh).toContain(
      '-javaagent:"$JMX_EXPORTER_JAR=127.0.0.1:$KAFKA_METRICS_PORT:$JMX_EXPORTER_CONFIG"',
    );
  });

  it("gives Kafka's log cleaner the same 16 MiB offset map as the native broker", () => {
    expect(services.kafka?.environment?.KAFKA_LOG_CLEANER_DEDUPE_BUFFER_SIZE).toBe(16 * 2 ** 20);
    expect(read("infra/native/kafka.sh")).toContain(`log.cleaner.dedupe.buffer.size=${16 * 2 ** 20}`);
  });

  it("runs the postgres exporter of Debian's version with the same queries, pointed at the store", () => {
    const exporter = services["postgres-exporter"];
    expect(exporter?.image).toBe("prometheuscommunity/postgres-exporter:v0.11.1");
    expect(exporter?.command).toEqual(["--extend.query-path=/etc/postgres-exporter/queries.yml"]);
    expect(exporter?.volumes).toContain(
      "./observability/postgres-exporter/queries.yml:/etc/postgres-exporter/queries.yml:ro",
    );
    expect(exporter?.environment?.DATA_SOURCE_NAME).toBe(
      "postgresql://eventscope:eventscope@postgres:5432/eventscope?sslmode=disable",
    );
    expect(exporter?.depends_on?.postgres?.condition).toBe("service_healthy");
    const native = read("infra/native/pg_exporter.sh");
    expect(native).toContain("PG_EXPORTER_QUERIES=$REPO_DIR/observability/postgres-exporter/queries.yml");
    expect(native).toContain(
      "postgresql://eventscope:eventscope@127.0.0.1:$PGPORT/eventscope?sslmode=disable",
    );
    expect(native).toContain('--web.listen-address="127.0.0.1:$PG_EXPORTER_PORT"');
  });

  describe.each(SERVICE_NAMES)("service %s", (name) => {
    const s = services[name];
    const native = nativeServiceEnv(name);

    it("is given the same environment variables as on the native stack, pointing at the containers", () => {
      // SERVICE besides: it picks the service the image's command runs.
      expect(Object.keys(s?.environment ?? {}).sort()).toEqual([...Object.keys(native), "SERVICE"].sort());
      const env = s?.environment ?? {};
      expect(String(env.PORT)).toBe(native.PORT);
      expect(env.OTEL_SERVICE_NAME).toBe(name);
      expect(env.HOST).toBe("0.0.0.0");
      expect(env.KAFKA_BROKERS).toBe("kafka:9092");
      expect(env.DATABASE_URL).toBe("postgres://eventscope:eventscope@postgres:5432/eventscope");
      expect(env.OTEL_EXPORTER_OTLP_ENDPOINT).toBe("http://jaeger:4318");
    });

    it("runs services/<name>/src/main.ts (the instrumentation hook loaded first) from the one Dockerfile, once Kafka, topics and PostgreSQL are ready", () => {
      // Run by the image's command for its SERVICE: checked for every service below.
      expect(s?.build).toEqual({ context: ".", dockerfile: "Dockerfile" });
      expect(existsSync(path.join(root, "services", name, "package.json"))).toBe(true);
      expect(s?.depends_on?.kafka?.condition).toBe("service_healthy");
      expect(s?.depends_on?.topics?.condition).toBe("service_completed_successfully");
      expect(s?.depends_on?.postgres?.condition).toBe("service_healthy");
      expect(s?.healthcheck?.test.join(" ")).toContain("/health/ready");
    });

    it("is scraped by both Prometheus configurations on its port", () => {
      const target = (c: PromConfig): string[] =>
        c.scrape_configs.find((j) => j.job_name === name)?.static_configs.flatMap((sc) => sc.targets) ?? [];
      expect(target(promNative)).toEqual([`127.0.0.1:${SERVICE_PORTS[name]}`]);
      expect(target(promCompose)).toEqual([`${name}:${SERVICE_PORTS[name]}`]);
    });
  });

  describe("the gateway", () => {
    const gateway = services.gateway;
    const env = gateway?.environment ?? {};
    const upstreams = {
      producer: "PRODUCER_URL",
      "event-store": "EVENT_STORE_URL",
      projection: "PROJECTION_URL",
      notification: "NOTIFICATION_URL",
    } as const;

    it("listens on the native stack's port (services/stack.sh) and waits for the four services", () => {
      const native = /\[gateway\]=(\d+)/.exec(read("services/stack.sh"))?.[1];
      expect(native).toBe(String(gatewaySettings.port.default));
      expect(hostPorts(gateway)).toEqual([Number(native)]);
      expect(String(env.PORT)).toBe(native);
      expect(env.HOST).toBe("0.0.0.0");
      expect(env.OTEL_SERVICE_NAME).toBe("gateway");
      expect(env.OTEL_EXPORTER_OTLP_ENDPOINT).toBe("http://jaeger:4318");
      expect(gateway?.build).toEqual({ context: ".", dockerfile: "Dockerfile" });
      expect(gateway?.healthcheck?.test.join(" ")).toContain("/health/ready");
      for (const name of SERVICE_NAMES)
        expect(gateway?.depends_on?.[name]?.condition, name).toBe("service_healthy");
    });

    it("proxies to each service's container on its port, as its defaults do natively", () => {
      expect(env.PROCESS_MANAGER_URL).toBe(
        `http://process-manager:${services["process-manager"]?.environment?.PORT}`,
      );
      expect(gatewaySettings.processManagerUrl.default).toBe(
        `http://127.0.0.1:${services["process-manager"]?.environment?.PORT}`,
      );
      expect(gateway?.depends_on?.["process-manager"]?.condition).toBe("service_healthy");
      for (const name of SERVICE_NAMES) {
        expect(env[upstreams[name]], name).toBe(`http://${name}:${SERVICE_PORTS[name]}`);
        const setting = Object.values(gatewaySettings).find((s) => s.env === upstreams[name]);
        expect(setting?.default, name).toBe(`http://127.0.0.1:${SERVICE_PORTS[name]}`);
      }
    });

    it("reads docs/openapi.yaml, which the image does not hold, from a mount", () => {
      expect(gateway?.volumes).toContain(`./docs/openapi.yaml:${env.OPENAPI_FILE}:ro`);
    });
  });

  it("gives both Prometheus configurations the same jobs, metrics paths and rule files", () => {
    const jobs = (c: PromConfig): string[] =>
      c.scrape_configs.map((j) => `${j.job_name} ${j.metrics_path ?? "/metrics"}`);
    expect(jobs(promCompose)).toEqual(jobs(promNative));
    expect(promNative.scrape_configs.map((j) => j.job_name).sort()).toEqual(
      [
        "event-store",
        "jaeger",
        "kafka",
        "notification",
        "postgres",
        "process-manager",
        "producer",
        "projection",
        "prometheus",
      ].sort(),
    );
    const targets = (c: PromConfig, job: string): string[] =>
      c.scrape_configs.find((j) => j.job_name === job)?.static_configs.flatMap((sc) => sc.targets) ?? [];
    expect(targets(promNative, "kafka")).toEqual([`127.0.0.1:${nativePorts.KAFKA_METRICS_PORT}`]);
    expect(targets(promCompose, "kafka")).toEqual([`kafka:${nativePorts.KAFKA_METRICS_PORT}`]);
    expect(targets(promNative, "postgres")).toEqual([`127.0.0.1:${nativePorts.PG_EXPORTER_PORT}`]);
    expect(targets(promCompose, "postgres")).toEqual([`postgres-exporter:${nativePorts.PG_EXPORTER_PORT}`]);
    expect(promCompose.rule_files).toEqual(promNative.rule_files);
    expect(promNative.rule_files).toEqual(["rules/*.yml"]);
  });

  it("runs every service built from the Dockerfile by the image's command (its flags checked below), for the SERVICE it names", () => {
    const built = Object.entries(services).filter(
      ([, s]) => s.build?.dockerfile === "Dockerfile" && s.environment?.SERVICE !== undefined,
    );
    expect(built.map(([n]) => n).sort()).toEqual([...SERVICE_NAMES, "gateway", "process-manager"].sort());
    for (const [name, s] of built) {
      expect(s.command, name).toBeUndefined();
      expect(s.environment?.SERVICE, name).toBe(name);
      expect(existsSync(path.join(root, "services", name, "src", "main.ts")), name).toBe(true);
    }
  });

  it("installs the production dependencies of every workspace in the image (npm ci --omit=dev on node:24-slim)", () => {
    const dockerfile = read("Dockerfile");
    const ignored = read(".dockerignore")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#"));
    const workspaces = (JSON.parse(read("package.json")) as { workspaces: string[] }).workspaces;
    const dirs = workspaces.flatMap((w) => (w.endsWith("/*") ? subdirs(w.slice(0, -2)) : [w]));
    expect(dirs.length).toBeGreaterThan(4);
    // The manifests stage gathers every package.json of the build context: none may be ignored.
    for (const dir of dirs) {
      for (const pattern of ignored) {
        expect(
          path.matchesGlob(`${dir}/package.json`, pattern.replace(/^\*\*\//, "**/")),
          `${dir} vs ${pattern}`,
        ).toBe(false);
        expect(path.matchesGlob(dir, pattern), `${dir} vs ${pattern}`).toBe(false);
      }
    }
    expect(dockerfile).toContain('find . -name package.json -not -path "*/node_modules/*"');
    expect(dockerfile).toMatch(/^FROM node:24-slim$/m);
    expect(dockerfile).toContain("npm ci --omit=dev");
    expect(dockerfile).toContain("COPY services/ services/");
    expect(dockerfile).toContain("COPY packages/ packages/");
    // each service serves its part of the OpenAPI document (/openapi.json, /swagger)
    expect(dockerfile).toContain("COPY docs/openapi.yaml docs/asyncapi.yaml docs/");
    expect(dockerfile).toContain(
      `node --max-semi-space-size=\${NODE_SEMI_SPACE_MB:-16} --heap-growing-percent=\${NODE_HEAP_GROWING_PERCENT:-50} --import ${instrumentHook} services/\${SERVICE}/src/main.ts`,
    );
  });

  // Every file or folder the compose file points at must exist in the repository.
  const referenced = new Set<string>(["Dockerfile", ".dockerignore"]);
  for (const s of Object.values(services)) {
    if (s.build !== undefined) {
      referenced.add(s.build.context);
      referenced.add(path.join(s.build.context, s.build.dockerfile));
    }
    for (const v of s.volumes ?? []) {
      const source = v.split(":")[0] ?? "";
      if (source.startsWith("./")) referenced.add(path.normalize(source));
    }
  }
  for (const [file, config] of [
    ["observability/prometheus/prometheus.native.yml", promNative],
    ["observability/prometheus/prometheus.compose.yml", promCompose],
  ] as const) {
    for (const rule of config.rule_files) referenced.add(path.join(path.dirname(file), path.dirname(rule)));
  }
  const k6 = services.k6;
  for (const arg of k6?.command ?? []) {
    if (arg.startsWith("/loadtests/")) referenced.add(arg.slice(1));
  }

  for (const p of [...referenced].sort()) {
    const present = existsSync(path.join(root, p));
    // A pending path that is still missing shows as a skipped test, not a pass.
    (PENDING.has(p) && !present ? it.skip : it)(`references ${p}, which exists`, () => {
      expect(present, p).toBe(true);
    });
  }

  it("references the Grafana provisioning for both data sources and the dashboards folder", () => {
    const ds = parse(read("observability/grafana/provisioning/datasources/datasources.yml")) as {
      datasources: { uid: string; type: string; url: string; jsonData?: Record<string, unknown> }[];
    };
    const byUid = new Map(ds.datasources.map((d) => [d.uid, d]));
    expect(byUid.get("prometheus")?.url).toBe("http://prometheus:9090");
    expect(byUid.get("jaeger")?.url).toBe("http://jaeger:16686");
    expect(byUid.get("prometheus")?.jsonData?.exemplarTraceIdDestinations).toEqual([
      { name: "trace_id", datasourceUid: "jaeger" },
    ]);
    const boards = parse(read("observability/grafana/provisioning/dashboards/dashboards.yml")) as {
      providers: { options: { path: string } }[];
    };
    expect(boards.providers[0]?.options.path).toBe("/var/lib/grafana/dashboards");
    expect(services.grafana?.volumes).toContain("./dashboards:/var/lib/grafana/dashboards:ro");
  });
});

function subdirs(dir: string): string[] {
  const full = path.join(root, dir);
  if (!existsSync(full)) return [];
  return readdirSync(full, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => `${dir}/${d.name}`);
}
