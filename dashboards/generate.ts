/**
 * The Grafana dashboards, as code: `node dashboards/generate.ts` writes dashboards/*.json, which
 * the compose Grafana provisions (observability/grafana/provisioning/dashboards). Every panel is
 * built by the same few helpers, so data sources (uids `prometheus` and `jaeger`, as provisioned),
 * units, legends and exemplars are consistent; dashboards.unit.spec.ts checks every query with
 * promtool and that the files are what this generates; test/e2e/dashboards.e2e.spec.ts checks that
 * every query returns data from the live Prometheus after traffic.
 */
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const PROMETHEUS = { type: "prometheus", uid: "prometheus" } as const;
export const JAEGER = { type: "jaeger", uid: "jaeger" } as const;

export interface PromTarget {
  expr: string;
  legend: string;
  /** Histogram queries: Grafana shows the exemplars (trace ids) and links them to Jaeger. */
  exemplar?: boolean;
  instant?: boolean;
}

export interface PanelSpec {
  title: string;
  description: string;
  kind: "timeseries" | "stat" | "table" | "state-timeline" | "bargauge" | "traces";
  targets: PromTarget[];
  unit?: string;
  width?: number;
  height?: number;
  stacked?: boolean;
  mappings?: unknown[];
  thresholds?: { color: string; value: number | null }[];
  /** Jaeger search (traces panel). */
  jaeger?: { service: string; limit: number };
  /** Metrics this panel needs that only a load run (the native engine's) writes. */
  requires?: string;
}

export interface DashboardSpec {
  file: string;
  uid: string;
  title: string;
  description: string;
  tags: string[];
  panels: (PanelSpec | { row: string })[];
  variables?: unknown[];
  time?: string;
}

const ri = "$__rate_interval";
/** The load dashboard's run and engine selection, and the request counters of both engines. */
const run = 'testid=~"$testid",engine=~"$engine"';
const loadRequests = "loadgen_http_requests_total|k6_http_reqs_total";
const svc = 'service!=""';
const quantiles = [
  [0.5, "p50"],
  [0.95, "p95"],
  [0.99, "p99"],
] as const;

const ts = (
  title: string,
  description: string,
  targets: PromTarget[],
  unit = "short",
  extra: Partial<PanelSpec> = {},
): PanelSpec => ({
  title,
  description,
  kind: "timeseries",
  targets,
  unit,
  ...extra,
});
const t = (expr: string, legend: string, extra: Partial<PromTarget> = {}): PromTarget => ({
  expr,
  legend,
  ...extra,
});
/** The histograms whose observations carry a trace id exemplar (packages/platform/src/metrics.ts). */
export const exemplarHistograms = [
  "event_end_to_end_latency_seconds",
  "http_server_request_duration_seconds",
];

/** p50/p95/p99 of a histogram, by the given labels; with exemplars where the histogram has them. */
const histogramQuantiles = (metric: string, by: string[], selector = "", legendPrefix = ""): PromTarget[] =>
  quantiles.map(([q, name]) =>
    t(
      `histogram_quantile(${q}, sum by (${[...by, "le"].join(", ")}) (rate(${metric}_bucket${selector ? `{${selector}}` : ""}[${ri}])))`,
      `${legendPrefix}${by.map((l) => `{{${l}}}`).join(" ")} ${name}`.trim(),
      { exemplar: exemplarHistograms.includes(metric) },
    ),
  );

const verdictMappings = [
  {
    type: "value",
    options: {
      "0": { text: "OK", color: "green", index: 0 },
      "1": { text: "WARNING", color: "yellow", index: 1 },
      "2": { text: "STALL", color: "orange", index: 2 },
      "3": { text: "STOP", color: "red", index: 3 },
    },
  },
];

export const dashboardSpecs: DashboardSpec[] = [
  {
    file: "event-flow.json",
    uid: "eventscope-event-flow",
    title: "Eventscope / Event flow",
    description:
      "Events through the pipeline: published, consumed, stored, rejected, parked; by service and type.",
    tags: ["eventscope", "events"],
    panels: [
      { row: "Throughput" },
      ts(
        "Events published /s by service and type",
        "events_published_total: the producer to events.ingest, the event store to events.committed / events.rejected.",
        [
          t(
            `sum by (service, topic, event_type) (rate(events_published_total[${ri}]))`,
            "{{service}} → {{topic}} {{event_type}}",
          ),
        ],
        "ops",
        { stacked: true },
      ),
      ts(
        "Events consumed /s by service and type",
        "events_consumed_total per consuming service and group.",
        [
          t(
            `sum by (service, group, event_type) (rate(events_consumed_total[${ri}]))`,
            "{{service}} {{event_type}}",
          ),
        ],
        "ops",
        { stacked: true },
      ),
      ts(
        "Events stored /s by aggregate and type",
        "Appended to the event store (events_stored_total).",
        [
          t(
            `sum by (aggregate_type, event_type) (rate(events_stored_total[${ri}]))`,
            "{{aggregate_type}} {{event_type}}",
          ),
        ],
        "ops",
        { stacked: true },
      ),
      ts(
        "Events rejected /s by aggregate and reason",
        "Refused by the event store (state machine, expected version, invalid): events_rejected_total.",
        [
          t(
            `sum by (aggregate_type, code) (rate(events_rejected_total[${ri}])) or on() vector(0)`,
            "{{aggregate_type}} {{code}}",
          ),
        ],
        "ops",
      ),
      { row: "Store and read side" },
      ts(
        "Pipeline stages /s",
        "Accepted by the producer, stored, projected into read models, notifications sent: one line per stage.",
        [
          t(`sum(rate(events_published_total{service="producer"}[${ri}]))`, "accepted (published to ingest)"),
          t(`sum(rate(events_stored_total[${ri}]))`, "stored"),
          t(`sum(rate(events_consumed_total{service="projection"}[${ri}]))`, "projected"),
          t(`sum(rate(notifications_sent_total[${ri}]))`, "notifications sent"),
        ],
        "ops",
      ),
      ts(
        "Read-model updates /s by projection",
        "read_models_updated_total.",
        [t(`sum by (projection) (rate(read_models_updated_total[${ri}]))`, "{{projection}}")],
        "ops",
        { stacked: true },
      ),
      {
        title: "Event store",
        description: "Events and streams held (event_store_size, event_store_streams).",
        kind: "stat",
        unit: "short",
        targets: [
          t("max(event_store_size)", "events", { instant: true }),
          t("max(event_store_streams)", "streams", { instant: true }),
        ],
        width: 6,
      },
      ts(
        "Append batch size",
        "Events per append transaction (p50, p99): batching per Kafka batch is what makes the store fast.",
        [
          t(
            `histogram_quantile(0.5, sum by (le) (rate(event_store_append_batch_size_bucket[${ri}])))`,
            "p50",
          ),
          t(
            `histogram_quantile(0.99, sum by (le) (rate(event_store_append_batch_size_bucket[${ri}])))`,
            "p99",
          ),
        ],
        "short",
        { width: 6 },
      ),
      { row: "Errors" },
      ts(
        "Publish errors /s",
        "Records the broker did not acknowledge in time (events_publish_errors_total): the producer answers 503 for these.",
        [
          t(
            `sum by (service, topic, reason) (rate(events_publish_errors_total[${ri}])) or on() vector(0)`,
            "{{service}} {{topic}} {{reason}}",
          ),
        ],
        "ops",
        { width: 6 },
      ),
      ts(
        "Consume errors /s",
        "events_consume_errors_total: malformed messages (parked), batches that failed and will be redelivered.",
        [
          t(
            `sum by (service, reason) (rate(events_consume_errors_total[${ri}])) or on() vector(0)`,
            "{{service}} {{reason}}",
          ),
        ],
        "ops",
        { width: 6 },
      ),
      ts(
        "Dead letters parked",
        "Messages parked with a reason and not yet replayed (dead_letters_parked), per service.",
        [t("sum by (service) (dead_letters_parked)", "{{service}}")],
        "short",
        { width: 6 },
      ),
      ts(
        "Producer queue",
        "Records waiting for the Kafka producer (kafka_producer_queue_size).",
        [t("max by (service, topic) (kafka_producer_queue_size)", "{{service}} {{topic}}")],
        "short",
        { width: 6 },
      ),
      ts(
        "HTTP requests /s by service and status",
        "http_server_requests_total of the four services.",
        [
          t(
            `sum by (service, status) (rate(http_server_requests_total{${svc}}[${ri}]))`,
            "{{service}} {{status}}",
          ),
        ],
        "reqps",
        { width: 24 },
      ),
    ],
  },
  {
    file: "latency.json",
    uid: "eventscope-latency",
    title: "Eventscope / Latency per stage",
    description:
      "End-to-end latency from the event's acceptance to each stage, HTTP latency, and each hop's own time. Exemplars link to the traces in Jaeger.",
    tags: ["eventscope", "latency"],
    panels: [
      { row: "End to end (accepted → stage), with exemplars" },
      ...(["stored", "projected", "notified"] as const).map((stage) =>
        ts(
          `Accepted → ${stage}`,
          `event_end_to_end_latency_seconds{stage="${stage}"} p50/p95/p99, from the envelope's acceptance time. Click an exemplar for the event's trace.`,
          histogramQuantiles("event_end_to_end_latency_seconds", ["stage"], `stage="${stage}"`),
          "s",
          { width: 8 },
        ),
      ),
      ts(
        "p99 by stage (recorded)",
        "The recording rules stage:event_end_to_end_latency_seconds:p99 the alerts read. Target: accepted → projected p99 ≤ 100 ms at 1,000 events/s.",
        [t("stage:event_end_to_end_latency_seconds:p99", "{{stage}} p99")],
        "s",
        {
          thresholds: [
            { color: "green", value: null },
            { color: "red", value: 0.1 },
          ],
        },
      ),
      ts(
        "SLO: share of events projected over 100 ms",
        "Error ratio of the end-to-end latency SLO (99% within 100 ms; budget 1%), over 5 m and 1 h: the burn-rate alerts' inputs.",
        [
          t("slo:event_projected_over_100ms:ratio_rate5m", "5m"),
          t("slo:event_projected_over_100ms:ratio_rate1h", "1h"),
        ],
        "percentunit",
        {
          thresholds: [
            { color: "green", value: null },
            { color: "red", value: 0.01 },
          ],
        },
      ),
      { row: "HTTP" },
      ts(
        "HTTP p99 by service and route",
        "http_server_request_duration_seconds p99 (exemplars: the request's trace). Target: producer p99 ≤ 15 ms at 1,000 events/s.",
        [
          t(
            `histogram_quantile(0.99, sum by (service, route, le) (rate(http_server_request_duration_seconds_bucket{${svc}}[${ri}])))`,
            "{{service}} {{route}}",
            { exemplar: true },
          ),
        ],
        "s",
        { width: 24 },
      ),
      ts(
        "HTTP p50/p95/p99 by service",
        "All routes of a service together.",
        histogramQuantiles("http_server_request_duration_seconds", ["service"], svc),
        "s",
      ),
      { row: "Hops" },
      ts(
        "Publish (until acked) p99",
        "event_publish_duration_seconds: from enqueue to the broker's acks=all acknowledgement.",
        histogramQuantiles("event_publish_duration_seconds", ["service", "topic"]).slice(2),
        "s",
        { width: 8 },
      ),
      ts(
        "Consume batch p99",
        "event_consume_duration_seconds: one consumed batch, per service.",
        histogramQuantiles("event_consume_duration_seconds", ["service"]).slice(2),
        "s",
        { width: 8 },
      ),
      ts(
        "Append transaction p99",
        "event_store_append_duration_seconds: one batch append in PostgreSQL.",
        histogramQuantiles("event_store_append_duration_seconds", []).slice(1),
        "s",
        { width: 8 },
      ),
      ts(
        "Read-model batch p99",
        "read_model_update_duration_seconds per projection.",
        histogramQuantiles("read_model_update_duration_seconds", ["projection"]).slice(2),
        "s",
        { width: 12 },
      ),
      ts(
        "Notification send p99",
        "notification_send_duration_seconds: one delivery attempt per channel (SMTP, webhook, SMS, push).",
        histogramQuantiles("notification_send_duration_seconds", ["channel"]).slice(2),
        "s",
        { width: 12 },
      ),
      { row: "Traces" },
      {
        title: "Recent traces through the producer",
        description: "Jaeger search: each event's trace (HTTP → produce → store → project / notify).",
        kind: "traces",
        targets: [],
        jaeger: { service: "producer", limit: 20 },
        width: 24,
        height: 10,
      },
    ],
  },
  {
    file: "consumer-lag.json",
    uid: "eventscope-consumer-lag",
    title: "Eventscope / Consumer lag",
    description:
      "Lag per consumer group in messages and in seconds (age of the oldest unconsumed message, from its timestamp), and the Burrow-style verdict. Also on GET /lag of each consuming service.",
    tags: ["eventscope", "kafka", "lag"],
    panels: [
      {
        title: "Verdict per group",
        description:
          "0 OK, 1 WARNING (lag not decreasing over the window), 2 STALL (offsets not moving), 3 STOP (no commits).",
        kind: "state-timeline",
        targets: [t("max by (group) (kafka_consumer_lag_verdict)", "{{group}}")],
        mappings: verdictMappings,
        width: 24,
        height: 6,
      },
      ts(
        "Lag in seconds by group",
        "kafka_consumer_lag_seconds: the age of the oldest message not yet consumed. Target: back to 0 within 2 s after load stops.",
        [t("max by (group, topic) (kafka_consumer_lag_seconds)", "{{group}} ({{topic}})")],
        "s",
      ),
      ts(
        "Lag in messages by group",
        "kafka_consumer_lag summed over partitions.",
        [t("sum by (group, topic) (kafka_consumer_lag)", "{{group}} ({{topic}})")],
        "short",
      ),
      ts(
        "Lag in messages by partition",
        "kafka_consumer_lag per partition: one hot partition shows here.",
        [t("max by (group, partition) (kafka_consumer_lag)", "{{group}} p{{partition}}")],
        "short",
      ),
      ts(
        "Consumed vs produced /s",
        "What each group consumes against what reaches its topic.",
        [
          t(`sum by (group) (rate(events_consumed_total[${ri}]))`, "consumed by {{group}}"),
          t(
            `sum by (topic) (rate(events_published_total{service="producer"}[${ri}]))`,
            "produced to {{topic}}",
          ),
          t(
            `sum by (topic) (rate(events_published_total{service="event-store"}[${ri}]))`,
            "produced to {{topic}}",
          ),
        ],
        "ops",
      ),
      {
        title: "Eventscope alerts",
        description:
          "Alerts of the Eventscope rules (observability/prometheus/rules) pending or firing; 0 when none.",
        kind: "stat",
        unit: "short",
        targets: [
          t('count(ALERTS{alertname=~"Eventscope.*", alertstate="firing"}) or on() vector(0)', "firing", {
            instant: true,
          }),
        ],
        thresholds: [
          { color: "green", value: null },
          { color: "red", value: 1 },
        ],
        width: 24,
        height: 4,
      },
    ],
  },
  {
    file: "business.json",
    uid: "eventscope-business",
    title: "Eventscope / Business",
    description:
      "The shop as the e-commerce seed lists it: orders by status, revenue per hour, time from checkout to confirmed, payment failure rate, compensations, notifications by channel and outcome. From the read models (the projection's gauges, the PostgreSQL exporter's read-model queries), the stored events and the process manager.",
    tags: ["eventscope", "business"],
    panels: [
      { row: "Orders" },
      {
        title: "Orders by status",
        description:
          "Rows of the orders read model by status (read_model_rows, refreshed by the projection every 5 s).",
        kind: "bargauge",
        unit: "short",
        targets: [t('sum by (status) (read_model_rows{model="orders"})', "{{status}}", { instant: true })],
        width: 8,
      },
      ts(
        "Orders placed, confirmed, cancelled, delivered (last hour)",
        "increase(events_stored_total[1h]) of the order events the event store appended.",
        [
          t(
            'sum by (event_type) (increase(events_stored_total{aggregate_type="Order",event_type=~"OrderCreated|OrderConfirmed|OrderCancelled|OrderDelivered"}[1h]))',
            "{{event_type}}",
          ),
        ],
        "short",
        { width: 8 },
      ),
      ts(
        "Time from checkout to confirmed",
        "Seconds from an order being placed (checkout) to its confirmation, over the orders confirmed in the last hour: from the orders read model's createdAt and confirmedAt (eventscope_orders_confirmed_last_hour_*, the PostgreSQL exporter's query).",
        [
          t("max(eventscope_orders_confirmed_last_hour_avg_seconds)", "average"),
          t("max(eventscope_orders_confirmed_last_hour_p50_seconds)", "p50"),
          t("max(eventscope_orders_confirmed_last_hour_p95_seconds)", "p95"),
          t("max(eventscope_orders_confirmed_last_hour_max_seconds)", "max"),
        ],
        "s",
        { width: 8 },
      ),
      { row: "Payments and revenue" },
      ts(
        "Revenue per hour",
        'Change over the last hour of the amount of completed payments in the payments read model (eventscope_payments_amount{status="Completed"}), by currency: a refund takes its amount back.',
        [t('sum by (currency) (delta(eventscope_payments_amount{status="Completed"}[1h]))', "{{currency}}")],
        "short",
        { width: 8 },
      ),
      ts(
        "Payment failure rate",
        "PaymentFailed over PaymentCompleted + PaymentFailed stored in the last 15 minutes (declined, timed out, cancelled with the order).",
        [
          t(
            '(sum(increase(events_stored_total{aggregate_type="Payment",event_type="PaymentFailed"}[15m])) or on() vector(0)) / sum(increase(events_stored_total{aggregate_type="Payment",event_type=~"PaymentCompleted|PaymentFailed"}[15m]))',
            "failed",
          ),
        ],
        "percentunit",
        {
          width: 8,
          thresholds: [
            { color: "green", value: null },
            { color: "red", value: 0.1 },
          ],
        },
      ),
      ts(
        "Payments by status",
        "Payments of the payments read model by status (eventscope_payments_count).",
        [t("sum by (status) (eventscope_payments_count)", "{{status}}")],
        "short",
        { width: 8 },
      ),
      ts(
        "Order, payment and cart events /s",
        "Stored business events by type.",
        [
          t(
            `sum by (event_type) (rate(events_stored_total{aggregate_type=~"Order|Payment|Cart|Inventory|Product"}[${ri}]))`,
            "{{event_type}}",
          ),
        ],
        "ops",
        { stacked: true },
      ),
      ts(
        "Read models by status",
        "read_model_rows for every read model with a status.",
        [t("sum by (model, status) (read_model_rows)", "{{model}} {{status}}")],
        "short",
      ),
      { row: "Processes (sagas)" },
      ts(
        "Compensations (last hour)",
        "Orders the process manager ended by compensation, by outcome (processes_completed_total): payment failed or timed out and out of stock (stock released, order cancelled), refunded after a cancel; and its compensating steps /s (release, cancel, refund, payment-timeout). 0 when none.",
        [
          t(
            'sum by (outcome) (increase(processes_completed_total{type="order",outcome=~"payment-failed|payment-timeout|out-of-stock|refunded"}[1h])) or on() vector(0)',
            "{{outcome}}",
          ),
          t(
            `sum by (step) (rate(process_step_duration_seconds_count{type="order",step=~"release|cancel|refund|payment-timeout"}[${ri}])) or on() vector(0)`,
            "{{step}} steps /s",
          ),
        ],
        "short",
        { width: 8 },
      ),
      ts(
        "Processes started /s and active",
        "processes_started_total by type (order, cart, onboarding, stock) and processes_active, those not yet at an end.",
        [
          t(`sum by (type) (rate(processes_started_total[${ri}]))`, "{{type}} started /s"),
          t("sum by (type) (processes_active)", "{{type}} active"),
        ],
        "short",
        { width: 8 },
      ),
      ts(
        "Processes ended by outcome (last hour)",
        "processes_completed_total by type and outcome: confirmed, checked-out, activated, and the compensated ones.",
        [t("sum by (type, outcome) (increase(processes_completed_total[1h]))", "{{type}} {{outcome}}")],
        "short",
        { width: 8 },
      ),
      ts(
        "Process step time p99 by step",
        "process_step_duration_seconds: from a process's decision to take a step to the step's event stored (through the producer and the event store).",
        histogramQuantiles("process_step_duration_seconds", ["type", "step"]).slice(2),
        "s",
        { width: 24 },
      ),
      { row: "Notifications" },
      ts(
        "Notifications by channel and outcome",
        "Deliveries recorded by channel and status (eventscope_deliveries_count, the PostgreSQL exporter's query of the deliveries table): delivered, pending, retrying, dead.",
        [t("sum by (channel, status) (eventscope_deliveries_count)", "{{channel}} {{status}}")],
        "short",
        { width: 12 },
      ),
      ts(
        "Notifications sent /s by channel and rule",
        "notifications_sent_total: e-mail over SMTP, signed webhooks, SMS and push.",
        [t(`sum by (channel, rule) (rate(notifications_sent_total[${ri}]))`, "{{channel}} {{rule}}")],
        "ops",
        { stacked: true, width: 12 },
      ),
      ts(
        "Deliveries by status",
        "Recorded deliveries (notification_deliveries): pending, delivered, retrying, dead.",
        [t("sum by (status) (notification_deliveries)", "{{status}}")],
        "short",
        { width: 12 },
      ),
      ts(
        "Failed delivery attempts /s by channel",
        "notification_send_errors_total (retried with backoff, then dead).",
        [
          t(
            `sum by (channel) (rate(notification_send_errors_total[${ri}])) or on() vector(0)`,
            "{{channel}}",
          ),
        ],
        "ops",
        { width: 12 },
      ),
      { row: "Replays" },
      ts(
        "Events stored by aggregate (last hour)",
        "increase(events_stored_total[1h]) by aggregate type.",
        [t("sum by (aggregate_type) (increase(events_stored_total[1h]))", "{{aggregate_type}}")],
        "short",
        { width: 8 },
      ),
      ts(
        "Events replayed (last hour)",
        "events_replayed_total: events read to rebuild an aggregate's state (full replay, snapshot + tail, at a version or time).",
        [
          t(
            "sum by (aggregate_type, strategy) (increase(events_replayed_total[1h])) or on() vector(0)",
            "{{aggregate_type}} {{strategy}}",
          ),
        ],
        "short",
        { width: 8 },
      ),
      ts(
        "Snapshots taken (last hour)",
        "snapshots_taken_total: aggregate snapshots written every N events of a stream.",
        [
          t(
            "sum by (aggregate_type) (increase(snapshots_taken_total[1h])) or on() vector(0)",
            "{{aggregate_type}}",
          ),
        ],
        "short",
        { width: 8 },
      ),
    ],
  },
  {
    file: "runtime.json",
    uid: "eventscope-runtime",
    title: "Eventscope / Runtime and infrastructure",
    description:
      "Node.js runtime of each service (prom-client defaults), scrape health, the Kafka broker (JMX exporter agent), PostgreSQL (postgres exporter) and Jaeger's own metrics.",
    tags: ["eventscope", "runtime"],
    panels: [
      {
        title: "Targets up",
        description: "up: 1 when Prometheus scraped the target.",
        kind: "state-timeline",
        targets: [t("up", "{{job}}")],
        mappings: [
          {
            type: "value",
            options: {
              "0": { text: "down", color: "red", index: 0 },
              "1": { text: "up", color: "green", index: 1 },
            },
          },
        ],
        width: 24,
        height: 6,
      },
      ts(
        "Event loop lag p99",
        "nodejs_eventloop_lag_p99_seconds: a blocked event loop delays every request and batch.",
        [t(`max by (service) (nodejs_eventloop_lag_p99_seconds{${svc}})`, "{{service}}")],
        "s",
      ),
      ts(
        "CPU",
        "process_cpu_seconds_total rate: cores used per service.",
        [t(`sum by (service) (rate(process_cpu_seconds_total{${svc}}[${ri}]))`, "{{service}}")],
        "percentunit",
      ),
      ts(
        "Resident memory",
        "process_resident_memory_bytes. Target: the whole native stack under 2 GiB.",
        [
          t(`max by (service) (process_resident_memory_bytes{${svc}})`, "{{service}}"),
          t("sum(otelcol_process_memory_rss_bytes)", "jaeger"),
        ],
        "bytes",
      ),
      ts(
        "Heap used",
        "nodejs_heap_size_used_bytes against the heap size.",
        [
          t(`max by (service) (nodejs_heap_size_used_bytes{${svc}})`, "{{service}} used"),
          t(`max by (service) (nodejs_heap_size_total_bytes{${svc}})`, "{{service}} total"),
        ],
        "bytes",
      ),
      ts(
        "GC time /s by kind",
        "nodejs_gc_duration_seconds: time spent collecting garbage.",
        [
          t(
            `sum by (service, kind) (rate(nodejs_gc_duration_seconds_sum{${svc}}[${ri}]))`,
            "{{service}} {{kind}}",
          ),
        ],
        "s",
      ),
      ts(
        "Active handles",
        "nodejs_active_handles_total: sockets, timers.",
        [t(`sum by (service) (nodejs_active_handles_total{${svc}})`, "{{service}}")],
        "short",
      ),
      { row: "Kafka broker (JMX exporter)" },
      ts(
        "Broker bytes in and out /s",
        "kafka_server_bytes_in_total / bytes_out_total: what producers wrote and consumers (and the store's own reads) fetched, all topics.",
        [
          t(`sum(rate(kafka_server_bytes_in_total[${ri}]))`, "in"),
          t(`sum(rate(kafka_server_bytes_out_total[${ri}]))`, "out"),
        ],
        "Bps",
        { width: 8 },
      ),
      ts(
        "Bytes in /s by topic",
        "kafka_topic_bytes_in_total per topic.",
        [t(`sum by (topic) (rate(kafka_topic_bytes_in_total[${ri}]))`, "{{topic}}")],
        "Bps",
        { width: 8, stacked: true },
      ),
      ts(
        "Messages in /s by topic",
        "kafka_topic_messages_in_total per topic.",
        [t(`sum by (topic) (rate(kafka_topic_messages_in_total[${ri}]))`, "{{topic}}")],
        "ops",
        { width: 8, stacked: true },
      ),
      ts(
        "Requests /s by API",
        "kafka_network_requests_total: Produce, Fetch, OffsetCommit, Heartbeat... as the broker served them.",
        [t(`sum by (request) (rate(kafka_network_requests_total[${ri}]))`, "{{request}}")],
        "reqps",
        { width: 8 },
      ),
      ts(
        "Request time p50 / p99 (broker)",
        "kafka_network_request_total_time_ms: queue + local + remote + send time, percentiles as the broker computes them over its recent requests. A Produce with acks=all includes the wait for the replicas.",
        [
          t(
            'max by (request, quantile) (kafka_network_request_total_time_ms{request=~"Produce|FetchConsumer|OffsetCommit",quantile=~"0.50|0.99"})',
            "{{request}} q{{quantile}}",
          ),
        ],
        "ms",
        { width: 8 },
      ),
      {
        title: "Under-replicated and offline partitions",
        description:
          "kafka_server_under_replicated_partitions, kafka_server_under_min_isr_partitions (ReplicaManager) and kafka_controller_offline_partitions: all 0 on a healthy cluster; EventscopeKafkaUnderReplicatedPartitions and EventscopeKafkaOfflinePartitions alert on them.",
        kind: "stat",
        unit: "short",
        targets: [
          t("max(kafka_server_under_replicated_partitions)", "under-replicated"),
          t("max(kafka_server_under_min_isr_partitions)", "under min ISR"),
          t("max(kafka_controller_offline_partitions)", "offline"),
        ],
        thresholds: [
          { color: "green", value: null },
          { color: "red", value: 1 },
        ],
        width: 8,
      },
      ts(
        "Log size by topic",
        "kafka_log_size_bytes summed over each topic's partitions: bytes on disk (retention 24 h natively).",
        [t('sum by (topic) (kafka_log_size_bytes{topic!="__cluster_metadata"})', "{{topic}}")],
        "bytes",
        { width: 8 },
      ),
      ts(
        "Broker partitions and leaders",
        "kafka_server_partitions and kafka_server_leader_partitions (ReplicaManager), kafka_controller_global_partitions.",
        [
          t("max(kafka_server_partitions)", "partitions"),
          t("max(kafka_server_leader_partitions)", "leaders"),
          t("max(kafka_controller_global_partitions)", "in the cluster"),
        ],
        "short",
        { width: 8 },
      ),
      ts(
        "Broker JVM heap",
        "jvm_memory_used_bytes and jvm_memory_max_bytes (heap) of the broker, from the agent (-Xmx of KAFKA_HEAP).",
        [
          t('max(jvm_memory_used_bytes{job="kafka",area="heap"})', "heap used"),
          t('max(jvm_memory_max_bytes{job="kafka",area="heap"})', "heap max"),
        ],
        "bytes",
        { width: 8 },
      ),
      { row: "PostgreSQL (postgres exporter)" },
      ts(
        "Connections by state",
        "pg_stat_activity_count by state against pg_settings_max_connections: EventscopePostgresConnectionsNearLimit fires above 80%.",
        [
          t('sum by (state) (pg_stat_activity_count{state=~"active|idle|idle in transaction"})', "{{state}}"),
          t("max(pg_settings_max_connections)", "max_connections"),
        ],
        "short",
        { width: 8 },
      ),
      ts(
        "Transactions /s: commit and rollback",
        "pg_stat_database_xact_commit / xact_rollback of the platform's database.",
        [
          t(`sum(rate(pg_stat_database_xact_commit{datname="eventscope"}[${ri}]))`, "commit"),
          t(`sum(rate(pg_stat_database_xact_rollback{datname="eventscope"}[${ri}]))`, "rollback"),
        ],
        "ops",
        { width: 8 },
      ),
      ts(
        "Locks by mode",
        "pg_locks_count of the platform's database: row locks of the appends, the advisory and exclusive ones of migrations.",
        [t('sum by (mode) (pg_locks_count{datname="eventscope"})', "{{mode}}")],
        "short",
        { width: 8 },
      ),
      ts(
        "WAL written /s",
        "pg_stat_wal_bytes_total (the exporter's query of pg_stat_wal): what the appends and read models cost in WAL; full page images after each checkpoint.",
        [t(`sum(rate(pg_stat_wal_bytes_total[${ri}]))`, "WAL bytes")],
        "Bps",
        { width: 8 },
      ),
      ts(
        "Largest tables of the store",
        "pg_store_table_size_bytes: table, indexes and TOAST of the platform's schemas (event_store, projection, notification, process_manager), the 10 largest.",
        [t("topk(10, max by (schema, table) (pg_store_table_size_bytes))", "{{schema}}.{{table}}")],
        "bytes",
        { width: 8 },
      ),
      ts(
        "Database size and rows of the event store",
        "pg_database_size_bytes of the platform's database; live rows of event_store.events (pg_store_table_live_rows, an estimate).",
        [
          t('max(pg_database_size_bytes{datname="eventscope"})', "database bytes"),
          t('max(pg_store_table_live_rows{schema="event_store",table="events"})', "events rows"),
        ],
        "short",
        { width: 8 },
      ),
      { row: "Jaeger (trace pipeline)" },
      ts(
        "Spans received and stored /s",
        "otelcol_receiver_accepted_spans_total (OTLP in) and otelcol_exporter_sent_spans_total (to storage).",
        [
          t(
            `sum by (transport) (rate(otelcol_receiver_accepted_spans_total[${ri}]))`,
            "received {{transport}}",
          ),
          t(`sum(rate(otelcol_exporter_sent_spans_total[${ri}]))`, "stored"),
        ],
        "ops",
        { width: 8 },
      ),
      ts(
        "Spans refused or failed /s",
        "Spans Jaeger refused or could not store: telemetry lost.",
        [
          t(
            `sum(rate(otelcol_receiver_refused_spans_total[${ri}])) + sum(rate(otelcol_exporter_send_failed_spans_total[${ri}]))`,
            "lost",
          ),
        ],
        "ops",
        { width: 8 },
      ),
      ts(
        "Jaeger storage requests /s",
        "jaeger_storage_requests_total by operation (queries of the UI and of the tests).",
        [t(`sum by (operation) (rate(jaeger_storage_requests_total[${ri}]))`, "{{operation}}")],
        "ops",
        { width: 8 },
      ),
      ts(
        "Prometheus samples ingested /s",
        "prometheus_tsdb_head_samples_appended_total: scraping plus the load engines' remote write.",
        [t(`sum(rate(prometheus_tsdb_head_samples_appended_total[${ri}]))`, "samples")],
        "ops",
        { width: 24 },
      ),
    ],
  },
  {
    file: "load.json",
    uid: "eventscope-load",
    title: "Eventscope / load runs",
    description:
      'Load runs of either engine, by remote write: the native engine (vegeta + the runner\'s flow driver: loadgen_* series, engine="native") and k6 where the user has it (experimental-prometheus-rw: k6_* series, engine="k6"). Every query reads both; pick a run by its testid, an engine by its label.',
    tags: ["eventscope", "load", "k6", "native"],
    variables: [
      {
        name: "testid",
        label: "Run (testid)",
        type: "query",
        datasource: PROMETHEUS,
        query: { query: `label_values({__name__=~"${loadRequests}"}, testid)`, refId: "testid" },
        definition: `label_values({__name__=~"${loadRequests}"}, testid)`,
        refresh: 2,
        includeAll: true,
        allValue: ".*",
        multi: true,
        current: { text: "All", value: "$__all" },
        sort: 2,
      },
      {
        name: "engine",
        label: "Engine",
        type: "query",
        datasource: PROMETHEUS,
        query: { query: `label_values({__name__=~"${loadRequests}"}, engine)`, refId: "engine" },
        definition: `label_values({__name__=~"${loadRequests}"}, engine)`,
        refresh: 2,
        includeAll: true,
        allValue: ".*",
        multi: true,
        current: { text: "All", value: "$__all" },
        sort: 1,
      },
    ],
    panels: [
      ts(
        "Requests /s by engine and scenario",
        "loadgen_http_requests_total (native) or k6_http_reqs_total (k6).",
        [
          t(
            `sum by (engine, scenario) (rate(loadgen_http_requests_total{${run}}[${ri}])) or sum by (engine, scenario) (rate(k6_http_reqs_total{${run}}[${ri}]))`,
            "{{engine}} {{scenario}}",
          ),
        ],
        "reqps",
        { requires: "loadgen_http_requests_total" },
      ),
      ts(
        "HTTP duration p99 / p95 of writes",
        "Native: from the loadgen_http_request_duration_seconds histogram over each interval. k6: k6_http_req_duration_p99 / _p95 as k6 computed them (cumulative since the run's start).",
        [0.99, 0.95].map((q) =>
          t(
            `histogram_quantile(${q}, sum by (engine, le) (rate(loadgen_http_request_duration_seconds_bucket{${run},kind="write"}[${ri}]))) or max by (engine) (k6_http_req_duration_p${q * 100}{${run},kind="write"})`,
            `{{engine}} p${q * 100}`,
          ),
        ),
        "s",
        { requires: "loadgen_http_request_duration_seconds_bucket" },
      ),
      ts(
        "Failed requests",
        "Share of requests answered outside 2xx/3xx or not at all: loadgen_http_request_errors_total over loadgen_http_requests_total (native), k6_http_req_failed_rate (k6).",
        [
          t(
            `sum by (engine, scenario) (rate(loadgen_http_request_errors_total{${run}}[${ri}])) / sum by (engine, scenario) (rate(loadgen_http_requests_total{${run}}[${ri}])) or avg by (engine, scenario) (k6_http_req_failed_rate{${run}})`,
            "{{engine}} {{scenario}}",
          ),
        ],
        "percentunit",
        { requires: "loadgen_http_request_errors_total" },
      ),
      ts(
        "Dropped and late requests /s",
        "Load the platform did not get on time: requests (native) or iterations (k6) that could not start, and native requests sent more than 10 ms after their slot (all workers busy).",
        [
          t(
            `sum by (engine) (rate(loadgen_dropped_requests_total{${run}}[${ri}])) or sum by (engine) (rate(k6_dropped_iterations_total{${run}}[${ri}]))`,
            "{{engine}} dropped",
          ),
          t(`sum by (engine) (rate(loadgen_late_requests_total{${run}}[${ri}]))`, "{{engine}} late"),
        ],
        "ops",
        { requires: "loadgen_dropped_requests_total" },
      ),
      ts(
        "Data sent and received /s",
        "loadgen_data_{sent,received}_bytes_total (native), k6_data_{sent,received}_total (k6).",
        [
          t(
            `sum by (engine) (rate(loadgen_data_sent_bytes_total{${run}}[${ri}])) or sum by (engine) (rate(k6_data_sent_total{${run}}[${ri}]))`,
            "{{engine}} sent",
          ),
          t(
            `sum by (engine) (rate(loadgen_data_received_bytes_total{${run}}[${ri}])) or sum by (engine) (rate(k6_data_received_total{${run}}[${ri}]))`,
            "{{engine}} received",
          ),
        ],
        "Bps",
        { requires: "loadgen_data_sent_bytes_total" },
      ),
      ts(
        "Events accepted /s",
        "The harness's own count of 202 answers: loadgen_events_accepted_total (native), k6_events_accepted_total (k6).",
        [
          t(
            `sum by (engine, scenario) (rate(loadgen_events_accepted_total{${run}}[${ri}])) or sum by (engine, scenario) (rate(k6_events_accepted_total{${run}}[${ri}]))`,
            "{{engine}} {{scenario}}",
          ),
        ],
        "ops",
        { requires: "loadgen_events_accepted_total" },
      ),
      ts(
        "End-to-end latency seen by the probe (accepted → read model) p99",
        "The harness's probe: from the producer's acceptance stamp until the event is visible in the read model. Native: loadgen_e2e_latency_seconds histogram; k6: k6_e2e_latency_p99.",
        [
          t(
            `histogram_quantile(0.99, sum by (engine, le) (rate(loadgen_e2e_latency_seconds_bucket{${run}}[${ri}]))) or max by (engine) (k6_e2e_latency_p99{${run}})`,
            "{{engine}} p99",
          ),
        ],
        "s",
        { requires: "loadgen_e2e_latency_seconds_bucket", width: 24 },
      ),
    ],
  },
];

// --- rendering -------------------------------------------------------------------------------

const isRow = (p: PanelSpec | { row: string }): p is { row: string } => "row" in p;

function renderPanel(p: PanelSpec, id: number, gridPos: { x: number; y: number; w: number; h: number }) {
  if (p.kind === "traces") {
    return {
      id,
      type: "traces",
      title: p.title,
      description: p.description,
      gridPos,
      datasource: JAEGER,
      targets: [
        {
          refId: "A",
          datasource: JAEGER,
          queryType: "search",
          service: p.jaeger!.service,
          limit: p.jaeger!.limit,
        },
      ],
    };
  }
  const custom =
    p.kind === "timeseries"
      ? {
          drawStyle: "line",
          lineWidth: 1,
          fillOpacity: p.stacked ? 20 : 5,
          showPoints: "never",
          spanNulls: false,
          stacking: { mode: p.stacked ? "normal" : "none", group: "A" },
        }
      : {};
  return {
    id,
    type: p.kind,
    title: p.title,
    description: p.description,
    gridPos,
    datasource: PROMETHEUS,
    fieldConfig: {
      defaults: {
        unit: p.unit ?? "short",
        custom,
        ...(p.mappings ? { mappings: p.mappings } : {}),
        ...(p.thresholds ? { thresholds: { mode: "absolute", steps: p.thresholds } } : {}),
      },
      overrides: [],
    },
    options:
      p.kind === "timeseries"
        ? {
            legend: { displayMode: "list", placement: "bottom", showLegend: true },
            tooltip: { mode: "multi", sort: "desc" },
          }
        : p.kind === "stat"
          ? {
              reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false },
              colorMode: "value",
              graphMode: "area",
            }
          : p.kind === "bargauge"
            ? {
                reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false },
                orientation: "horizontal",
                displayMode: "gradient",
              }
            : p.kind === "state-timeline"
              ? { showValue: "auto", mergeValues: true, rowHeight: 0.9 }
              : {},
    targets: p.targets.map((target, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: PROMETHEUS,
      expr: target.expr,
      legendFormat: target.legend,
      range: !target.instant,
      instant: Boolean(target.instant),
      exemplar: Boolean(target.exemplar),
      editorMode: "code",
    })),
  };
}

export function renderDashboard(spec: DashboardSpec) {
  const panels: unknown[] = [];
  let id = 1;
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  const newLine = () => {
    y += rowHeight;
    x = 0;
    rowHeight = 0;
  };
  for (const p of spec.panels) {
    if (isRow(p)) {
      if (x > 0) newLine();
      panels.push({
        id: id++,
        type: "row",
        title: p.row,
        collapsed: false,
        gridPos: { x: 0, y, w: 24, h: 1 },
        panels: [],
      });
      y += 1;
      continue;
    }
    const w = p.width ?? 12;
    const h = p.height ?? 8;
    if (x + w > 24) newLine();
    panels.push(renderPanel(p, id++, { x, y, w, h }));
    x += w;
    rowHeight = Math.max(rowHeight, h);
    if (x >= 24) newLine();
  }
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: spec.tags,
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    refresh: "10s",
    time: { from: spec.time ?? "now-30m", to: "now" },
    timezone: "browser",
    templating: { list: spec.variables ?? [] },
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: "grafana", uid: "-- Grafana --" },
          enable: true,
          hide: true,
          iconColor: "rgba(0, 211, 255, 1)",
          name: "Annotations & Alerts",
          type: "dashboard",
        },
      ],
    },
    links: [
      {
        title: "Eventscope",
        type: "dashboards",
        tags: ["eventscope"],
        asDropdown: true,
        includeVars: false,
        keepTime: true,
      },
    ],
    panels,
  };
}

export const renderAll = (): { file: string; json: string }[] =>
  dashboardSpecs.map((spec) => ({
    file: spec.file,
    json: `${JSON.stringify(renderDashboard(spec), null, 2)}\n`,
  }));

export const dashboardsDir = dirname(fileURLToPath(import.meta.url));

/** Grafana's variables in the queries, replaced by what a check can evaluate. */
export const checkVariables: Record<string, string> = {
  $__rate_interval: "1m",
  $__interval: "15s",
  $__range: "1h",
  $testid: ".*",
  $engine: ".*",
};

export interface PanelQuery {
  dashboard: string;
  panel: string;
  refId: string;
  /** As written in the dashboard. */
  expr: string;
  /** With Grafana's variables replaced (checkVariables): what promtool and Prometheus get. */
  promql: string;
  exemplar: boolean;
  requires: string | undefined;
}

/** Every Prometheus query of every panel of the dashboards (as rendered from the specs). */
export function panelQueries(): PanelQuery[] {
  const substitute = (expr: string) =>
    Object.entries(checkVariables).reduce((e, [name, value]) => e.split(name).join(value), expr);
  return dashboardSpecs.flatMap((d) =>
    d.panels.flatMap((p) =>
      "row" in p
        ? []
        : p.targets.map((target, i) => ({
            dashboard: d.title,
            panel: p.title,
            refId: String.fromCharCode(65 + i),
            expr: target.expr,
            promql: substitute(target.expr),
            exemplar: Boolean(target.exemplar),
            requires: p.requires,
          })),
    ),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const { file, json } of renderAll()) {
    writeFileSync(join(dashboardsDir, file), json);
    process.stdout.write(`dashboards/${file}\n`);
  }
}
