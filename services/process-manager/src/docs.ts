// The process manager's part of the documents: its processes (sagas) over HTTP, what it reads from
// the topics, and how its steps reach them through the producer.
import { asyncOperation } from "../../../docs/lib/asyncapi.ts";
import {
  okResponse,
  param,
  pathParam,
  pRef,
  problems,
  consumingStubs,
  routeTableDeps,
  type Operation,
  type ServiceDocs,
} from "../../../docs/lib/openapi.ts";
import { deadLetterOperations } from "../../../docs/lib/platform.ts";
import {
  arrayOf,
  dateTime,
  enumOf,
  int,
  orNull,
  record,
  ref,
  str,
  uuid,
  type Json,
} from "../../../docs/lib/schema.ts";
import { createProcessManagerApp, processStatuses } from "./app.ts";
import { processManagerSettings } from "./config.ts";
import { sagas } from "./sagas/index.ts";
import { stepNamespace } from "./sagas/step-id.ts";

const processTypes = sagas.map((s) => s.type);
const stepStatuses = ["pending", "sent", "committed", "rejected", "refused"];

/** What GET /api/processes answers (services/process-manager/src/queries.ts). */
function schemas(): Record<string, Json> {
  const summary = {
    id: str(
      "`<type>:<key>`: `order:<orderId>`, `cart:<cartId>`, `onboarding:<customerId>`, `stock:<productId>`",
      {
        examples: ["order:order-123"],
      },
    ),
    type: enumOf(processTypes),
    status: enumOf(
      processStatuses,
      "`active` running; `compensating` undoing what it did (releases, cancel, refund); `completed`, " +
        "`cancelled` and `failed` are ends",
    ),
    stage: str("Where it is, per type", {
      examples: [
        "reserving",
        "validating",
        "awaiting-payment",
        "confirming",
        "confirmed",
        "compensating",
        "refunding",
        "cancelled",
        "refunded",
        "open",
        "expiring",
        "checked-out",
        "expired",
        "awaiting-confirmation",
        "reminded",
        "reminder-skipped",
        "activated",
        "deleted",
        "watching",
      ],
    }),
    outcome: orNull(
      str("How it ended (the `outcome` label of processes_completed_total)", {
        examples: [
          "confirmed",
          "payment-failed",
          "payment-timeout",
          "out-of-stock",
          "cancelled",
          "refunded",
          "checked-out",
          "expired",
          "activated",
          "deleted",
        ],
      }),
    ),
    correlationId: str("The correlation id of the event that started it; every step carries it"),
    startedBy: uuid("The event that started it"),
    startedAt: dateTime(),
    updatedAt: dateTime(),
    completedAt: orNull(dateTime("When it reached an end")),
  };
  const stepProperties = {
    step: str("The step's name within its process", {
      examples: ["reserve:sku-1", "validate", "pay", "confirm", "paid", "release:sku-1", "cancel", "refund"],
    }),
    eventId: uuid(
      "The event the step is sent as: uuid v5 of (process id, step), so a step decided again is the same event",
    ),
    eventType: str(),
    aggregateType: str(),
    aggregateId: str(),
    status: enumOf(
      stepStatuses,
      "`pending` not yet accepted by the producer; `sent` answered 202; `committed` seen stored on " +
        "events.committed; `rejected` refused by the event store (events.rejected); `refused` answered " +
        "400, 409, 413, 415 or 422 by the producer, or never sent because the customer's personal data it " +
        "needed was erased (`lastError` `skipped: …`)",
    ),
    causedBy: orNull(
      uuid("The event that made the process take the step (its causationId); null for a timer"),
    ),
    attempts: int("Sends to the producer so far"),
    lastError: orNull(str("The last failed send or the rejection (`<code>: <reason>`)")),
    decidedAt: dateTime("When the process decided it"),
    sentAt: orNull(dateTime("When the producer answered 202")),
    committedAt: orNull(dateTime("When the process saw it stored")),
  };
  const timer = record({
    name: str("", { examples: ["payment-timeout", "cart-idle", "activation-reminder"] }),
    dueAt: dateTime(),
  });
  return {
    ProcessSummary: record(
      { ...summary, nextTimerAt: orNull(dateTime("When its next timer is due")) },
      "A process (saga instance), as listed.",
    ),
    ProcessList: record({
      count: int("Matching processes in all"),
      processes: arrayOf(ref("ProcessSummary"), "Most recently changed first"),
    }),
    ProcessStep: record(stepProperties, "A step of a process: one event it sends."),
    ProcessStepFound: record(
      {
        processId: str("The process that took the step", { examples: ["stock:sku-1"] }),
        processType: enumOf(processTypes),
        processStatus: enumOf(processStatuses),
        processStage: str("Where the process is now"),
        ...stepProperties,
      },
      "A step with its process: what an event set going, or which process sent it.",
    ),
    ProcessStepList: record({
      count: int("Steps in this answer"),
      steps: arrayOf(ref("ProcessStepFound"), "In the order decided"),
    }),
    Process: record(
      {
        ...summary,
        state: { type: "object", description: "The saga's own state (per type; may hold personal data)" },
        steps: arrayOf(ref("ProcessStep"), "In the order decided (and sent)"),
        events: arrayOf(
          record({
            eventId: uuid(),
            eventType: str(),
            streamId: str("`<aggregateType>/<aggregateId>`"),
            version: int("Stream version"),
            receivedAt: dateTime(),
          }),
          "The committed events the process received, in the order received",
        ),
        nextTimer: orNull({ ...timer, description: "The timer due first, if any" }),
        timers: arrayOf(timer, "Every pending timer, soonest first"),
      },
      "A process with its steps, the events it received and its timers.",
    ),
  };
}

function operations(): Operation[] {
  const { paymentTimeoutMs, cartIdleMs, activationReminderMs, lowStockThreshold } = processManagerSettings;
  return [
    {
      service: "process-manager",
      method: "GET",
      path: "/api/processes",
      operationId: "listProcesses",
      summary: "Processes (sagas), most recently changed first",
      description:
        "An order process starts on OrderCreated, reserves its lines one by one, validates the order, asks " +
        `for the payment and waits PAYMENT_TIMEOUT_MS (${paymentTimeoutMs.default}); a completed payment ` +
        "confirms and pays the order, and a failed or late payment or a line out of stock releases what was " +
        "reserved and cancels the order (compensation); a cancel after payment refunds it. A cart process " +
        `turns a checkout into OrderCreated, or expires the cart after CART_IDLE_MS (${cartIdleMs.default}) ` +
        "without a change. An onboarding process waits for CustomerActivated and sends one " +
        `CustomerActivationReminded after ACTIVATION_REMINDER_MS (${activationReminderMs.default}). A ` +
        "customer's CustomerDeleted or CustomerErased drops the personal data (e-mail, phone, names) from " +
        "the state of their processes and from their steps (`[erased]`); a step not yet sent that carried " +
        "it is refused, and a reminder due after the erasure is skipped (stage `reminder-skipped`). A " +
        "stock process per product turns StockReplenished into StockUpdated and sends LowStockAlert once " +
        "when available stock falls below the product's threshold (LOW_STOCK_THRESHOLD, " +
        `${lowStockThreshold.default}, for a product without one), again only after it recovered.`,
      parameters: [
        param("type", "query", enumOf(processTypes), "Only processes of this type"),
        param("status", "query", enumOf(processStatuses), "Only processes in this status"),
        pRef("Limit"),
        pRef("Offset"),
      ],
      responses: {
        "200": okResponse("A page of processes", ref("ProcessList")),
        ...problems(400),
      },
    },
    {
      service: "process-manager",
      method: "GET",
      path: "/api/processes/steps",
      operationId: "findProcessSteps",
      summary: "The process steps an event caused, or the step an event is, each with its process",
      description:
        "`causedBy` lists the steps the event made processes take (its `causationId` on each step's event), " +
        "with each step's status and the event it produced (`eventId`): what the console's journey shows " +
        "under process steps. `eventId` finds the step an event was sent as, if a process sent it. Given " +
        "both, a step must match both; one of them is required.",
      parameters: [
        param("causedBy", "query", uuid(), "Steps caused by this event"),
        param("eventId", "query", uuid(), "The step sent as this event"),
        pRef("Limit"),
      ],
      responses: {
        "200": okResponse("The steps, in the order decided", ref("ProcessStepList")),
        ...problems(),
      },
    },
    {
      service: "process-manager",
      method: "GET",
      path: "/api/processes/:id",
      operationId: "getProcess",
      summary: "One process: its state, steps with their event ids, the events it received, its timers",
      pathParams: {
        id: pathParam(
          "Process id, `<type>:<key>` (`order:order-123`; the colon may be sent as is or as %3A)",
          str("", { examples: ["order:order-123"] }),
        ),
      },
      responses: { "200": okResponse("The process", ref("Process")), ...problems(404) },
    },
    ...deadLetterOperations(
      "process-manager",
      "/api/process-manager/dead-letters",
      "processManager",
      "events.committed",
    ),
  ];
}

export const processManagerDocs: ServiceDocs = {
  service: "process-manager",
  title: "Process manager (sagas)",
  port: processManagerSettings.port.default,
  description:
    "Runs the business processes (sagas: order fulfilment with compensation, cart expiry, customer " +
    "onboarding, stock level): consumes `events.committed` and its own steps' rejections on " +
    "`events.rejected`, keeps each process's state, steps and timers in PostgreSQL, and sends every step " +
    "as an event through the producer's POST /api/events (`metadata.source` `process-manager`, a " +
    "deterministic uuid v5 event id).",
  consumer: true,
  routes: () =>
    createProcessManagerApp({
      ...routeTableDeps("process-manager"),
      ...consumingStubs,
    }).routes,
  operations,
  schemas,
  messaging: () => ({
    processManagerReceiveCommitted: asyncOperation(
      "receive",
      "committed",
      "committedEvent",
      "process-manager",
      "The process manager feeds each committed event, once per (stream, version), to the processes it " +
        "concerns, and marks its own steps committed",
      processManagerSettings.groupId.default,
    ),
    processManagerReceiveRejected: asyncOperation(
      "receive",
      "rejected",
      "rejectedEvent",
      "process-manager",
      "The process manager learns which of its steps the store refused (e.g. too little stock for a " +
        "reservation) and compensates; others' rejections are skipped",
      `${processManagerSettings.groupId.default}-rejected`,
    ),
    processManagerSendDeadLetter: asyncOperation(
      "send",
      "deadletter",
      "deadLetter",
      "process-manager",
      "The process manager parks committed records it cannot apply (malformed, a gap, poison)",
    ),
  }),
  messagingNote:
    "The process manager sends no record itself (but dead letters): each step of a process is an event " +
    "POSTed to the producer, so it reaches events.ingest like any other, with `metadata.source` " +
    "`process-manager` (`ce_source`), the starting event's `correlationId` and the causing event as " +
    "`causationId`. Its event id is deterministic: a uuid v5 (RFC 4122, SHA-1) in the namespace " +
    `\`${stepNamespace}\` of \`<processId>\\u0000<step>\` (e.g. \`order:order-123\` and \`reserve:sku-1\`), ` +
    "so a step decided again after a redelivery or a crash is the same event and is stored once.",
};
