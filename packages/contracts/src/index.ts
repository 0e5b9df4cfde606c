// The public surface of @eventscope/contracts: the envelope, its validation and wire formats,
// the topics, and the domains every service shares.
export type {
  CommittedEvent,
  EnvelopeInput,
  EnvelopeValidation,
  EventEnvelope,
  EventMetadata,
  FieldProblem,
  IngestOrigin,
  NormalizeOptions,
  RejectedEvent,
} from "./envelope.ts";
export {
  dataSchemaBase,
  dataSchemaUri,
  isCommittedEvent,
  normalizeEnvelope,
  schemaVersionIn,
} from "./envelope.ts";
export { currentSchemaVersion, upcast, upcastData } from "./upcast.ts";
export {
  domainsWithPersonalData,
  erasedValue,
  personalFieldsOf,
  subjectErasedBy,
  withoutPersonalState,
} from "./personal-data.ts";
export { validateEnvelope } from "./validation.ts";
export { committedEventSchema, earlierEventSchemas, envelopeSchema, eventSchemas } from "./schemas.ts";
export { topics, type TopicName } from "./topics.ts";
export { eventAliases, storedEventType } from "./aliases.ts";
export { streamIdOf, streamOfEvent } from "./stream.ts";

export type { CloudEvent, CloudEventBatchMapping, CloudEventMapping } from "./cloudevents.ts";
export {
  cloudEventBatchContentType,
  cloudEventContentType,
  fromCloudEvent,
  fromCloudEventBatch,
  nameBasedUuid,
  toCloudEvent,
} from "./cloudevents.ts";
export { EventscopeError, isEventscopeError, type EventscopeErrorOptions } from "./errors.ts";
export type { IncomingKafkaRecord, KafkaHeaderValue, KafkaRecord } from "./kafka-binding.ts";
export {
  fromKafkaRecord,
  MalformedRecordError,
  readCommittedRecord,
  toKafkaRecord,
} from "./kafka-binding.ts";

export type {
  DataInvariant,
  Decision,
  EventHistory,
  PersonalData,
  Upcaster,
  Domain,
  FreeFormEvents,
  JSONSchema,
  NotificationChannel,
  NotificationMessage,
  NotificationRule,
  RejectionCode,
} from "./domain.ts";
export { accepted, rejected, rejectionCodes } from "./domain.ts";
export {
  domainForAggregateType,
  domainForEventType,
  domains,
  eventTypes,
  notificationRules,
  notificationRulesFor,
  rehydrate,
} from "./registry.ts";

export { activity, activityEventTypePattern, userActivityEnvelope } from "./domains/activity.ts";
export type { UserActivityRequest, UserActivityState } from "./domains/activity.ts";
export { carts, sumOfItems } from "./domains/carts.ts";
export type {
  CartCheckedOut,
  CartCreated,
  CartState,
  CartStatus,
  ItemAddedToCart,
  LineItem,
} from "./domains/carts.ts";
export { customers } from "./domains/customers.ts";
export { fullName, splitFullName } from "./domains/customer-names.ts";
export type {
  CustomerCreated,
  CustomerDeactivated,
  CustomerDeleted,
  CustomerEmailChanged,
  CustomerErased,
  CustomerPreferencesUpdated,
  CustomerRegistered,
  CustomerUpdated,
  CustomerState,
  CustomerStatus,
} from "./domains/customers.ts";
export { inventory, reservedFor } from "./domains/inventory.ts";
export type {
  InventoryState,
  LowStockAlert,
  StockReleased,
  StockReserved,
  StockUpdated,
} from "./domains/inventory.ts";
export { orders, totalTolerance } from "./domains/orders.ts";
export { evolveOrderReadModel, type OrderReadModel } from "./domains/order-read-model.ts";
export type {
  OrderCancelled,
  OrderCreated,
  OrderPaid,
  OrderShipped,
  OrderState,
  OrderStatus,
} from "./domains/orders.ts";
export { payments } from "./domains/payments.ts";
export type {
  PaymentAuthorized,
  PaymentFailed,
  PaymentInitiated,
  PaymentRefunded,
  PaymentState,
  PaymentStatus,
} from "./domains/payments.ts";
export { products } from "./domains/products.ts";
export type {
  ProductCreated,
  ProductState,
  ProductStatus,
  ProductUpdated,
  StockReplenished,
} from "./domains/products.ts";
export { tasks } from "./domains/tasks.ts";
export type { TaskCompleted, TaskCreated, TaskState, TaskStatus, TaskUpdated } from "./domains/tasks.ts";
