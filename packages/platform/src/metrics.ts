import client from "prom-client";

const { Registry, Counter, Histogram, Gauge, collectDefaultMetrics } = client;

export type MetricsRegistry = InstanceType<typeof Registry>;

// Seconds buckets that resolve both the sub-millisecond hops and the 100 ms end-to-end target.
const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The metric catalogue, defined once and shared by every service (the e-commerce seed's names,
 * plus HTTP RED, per-stage end-to-end latency, lag and dead letters). Labels are bounded:
 * free-form user-activity event types are folded into one label value by the caller.
 */
export function createMetrics(service: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  // OpenMetrics so that histogram exemplars (trace ids) reach Prometheus.
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as never);
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const counter = (name: string, help: string, labelNames: string[]) =>
    new Counter({ name, help, labelNames, registers });
  const histogram = (name: string, help: string, labelNames: string[], exemplars = false) =>
    new Histogram({ name, help, labelNames, buckets: latencyBuckets, registers, enableExemplars: exemplars });
  const gauge = (name: string, help: string, labelNames: string[]) =>
    new Gauge({ name, help, labelNames, registers });

  return {
    registry,
    httpRequests: counter("http_server_requests_total", "HTTP requests served", [
      "method",
      "route",
      "status",
    ]),
    httpDuration: histogram(
      "http_server_request_duration_seconds",
      "HTTP request duration",
      ["method", "route", "status"],
      true,
    ),
    eventsPublished: counter("events_published_total", "Events published to Kafka", ["topic", "event_type"]),
    publishDuration: histogram("event_publish_duration_seconds", "Time until the broker acknowledged", [
      "topic",
    ]),
    publishErrors: counter("events_publish_errors_total", "Events that could not be published", [
      "topic",
      "reason",
    ]),
    producerQueueSize: gauge("kafka_producer_queue_size", "Records waiting for the producer", ["topic"]),
    eventsConsumed: counter("events_consumed_total", "Events consumed from Kafka", [
      "topic",
      "group",
      "event_type",
    ]),
    consumeDuration: histogram("event_consume_duration_seconds", "Time to process one consumed batch", [
      "topic",
      "group",
    ]),
    consumeErrors: counter("events_consume_errors_total", "Errors while consuming", [
      "topic",
      "group",
      "reason",
    ]),
    eventsStored: counter("events_stored_total", "Events appended to the event store", [
      "aggregate_type",
      "event_type",
    ]),
    eventsRejected: counter("events_rejected_total", "Events the event store rejected", [
      "aggregate_type",
      "code",
    ]),
    eventStoreSize: gauge("event_store_size", "Events held in the event store", []),
    eventStoreStreams: gauge("event_store_streams", "Streams held in the event store", []),
    appendDuration: histogram("event_store_append_duration_seconds", "One batch append transaction", []),
    appendBatchSize: new Histogram({
      name: "event_store_append_batch_size",
      help: "Events per append transaction",
      buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000],
      registers,
    }),
    eventsReplayed: counter("events_replayed_total", "Events replayed to reconstruct state", [
      "aggregate_type",
      "strategy",
    ]),
    snapshotsTaken: counter("snapshots_taken_total", "Aggregate snapshots written", ["aggregate_type"]),
    notificationsSent: counter("notifications_sent_total", "Notifications delivered", ["channel", "rule"]),
    notificationDuration: histogram("notification_send_duration_seconds", "One delivery attempt", [
      "channel",
    ]),
    notificationDeliveries: gauge("notification_deliveries", "Recorded deliveries by status", ["status"]),
    notificationErrors: counter("notification_send_errors_total", "Failed delivery attempts", ["channel"]),
    readModelsUpdated: counter("read_models_updated_total", "Read model updates applied", ["projection"]),
    readModelRows: gauge("read_model_rows", "Rows in a read model by status", ["model", "status"]),
    readModelDuration: histogram("read_model_update_duration_seconds", "One projection batch", [
      "projection",
    ]),
    stageLatency: histogram(
      "event_end_to_end_latency_seconds",
      "From the event's acceptance (envelope timestamp) to each stage",
      ["stage"],
      true,
    ),
    processesStarted: counter("processes_started_total", "Processes (sagas) started", ["type"]),
    processesCompleted: counter("processes_completed_total", "Processes that reached an end, by outcome", [
      "type",
      "outcome",
    ]),
    processStepDuration: histogram(
      "process_step_duration_seconds",
      "From a process's decision to take a step to the step's event stored",
      ["type", "step"],
    ),
    processesActive: gauge("processes_active", "Processes that have not reached an end", ["type"]),
    processCommands: counter("process_commands_total", "Commands a process sent, by the producer's answer", [
      "type",
      "result",
    ]),
    deadLetters: counter("dead_letters_total", "Messages parked with a reason", ["topic", "reason"]),
    deadLettersParked: gauge("dead_letters_parked", "Messages parked and not yet replayed", []),
    consumerLag: gauge("kafka_consumer_lag", "Messages not yet consumed", ["group", "topic", "partition"]),
    consumerLagSeconds: gauge("kafka_consumer_lag_seconds", "Age of the oldest unconsumed message", [
      "group",
      "topic",
      "partition",
    ]),
    consumerPartitionStuck: gauge(
      "kafka_consumer_partition_stuck_seconds",
      "How long a partition with lag has gone without its committed offset moving (0 while it moves or has no lag)",
      ["group", "topic", "partition"],
    ),
    consumerLagVerdict: gauge("kafka_consumer_lag_verdict", "Lag verdict: 0 OK, 1 WARNING, 2 STALL, 3 STOP", [
      "group",
    ]),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
