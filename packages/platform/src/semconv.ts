// Semantic-convention attribute names used by the hand-made spans, as constants
// (stable HTTP names from the package; messaging and database names are still incubating).
export {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_ERROR_TYPE,
} from "@opentelemetry/semantic-conventions";

export const ATTR_MESSAGING_SYSTEM = "messaging.system";
export const ATTR_MESSAGING_OPERATION_TYPE = "messaging.operation.type";
export const ATTR_MESSAGING_OPERATION_NAME = "messaging.operation.name";
export const ATTR_MESSAGING_DESTINATION_NAME = "messaging.destination.name";
export const ATTR_MESSAGING_DESTINATION_PARTITION_ID = "messaging.destination.partition.id";
export const ATTR_MESSAGING_CONSUMER_GROUP_NAME = "messaging.consumer.group.name";
export const ATTR_MESSAGING_MESSAGE_ID = "messaging.message.id";
export const ATTR_MESSAGING_KAFKA_MESSAGE_KEY = "messaging.kafka.message.key";
export const ATTR_MESSAGING_KAFKA_OFFSET = "messaging.kafka.offset";
export const ATTR_MESSAGING_BATCH_MESSAGE_COUNT = "messaging.batch.message_count";
export const ATTR_DB_SYSTEM_NAME = "db.system.name";
export const ATTR_DB_OPERATION_NAME = "db.operation.name";
export const ATTR_DB_COLLECTION_NAME = "db.collection.name";
export const ATTR_DB_OPERATION_BATCH_SIZE = "db.operation.batch.size";

// Eventscope's own attributes on every span about an event.
export const ATTR_EVENT_ID = "eventscope.event.id";
export const ATTR_EVENT_TYPE = "eventscope.event.type";
export const ATTR_AGGREGATE_ID = "eventscope.aggregate.id";
export const ATTR_AGGREGATE_TYPE = "eventscope.aggregate.type";
export const ATTR_STREAM_VERSION = "eventscope.stream.version";
export const ATTR_GLOBAL_POSITION = "eventscope.global.position";
