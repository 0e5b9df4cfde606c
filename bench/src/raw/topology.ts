// What the three processes of a raw pipeline share: the broker, the database and schema, the two
// topics and the two groups, handed from the runner to each process in its environment.
export interface Topology {
  brokers: string[];
  databaseUrl: string;
  schema: string;
  ingestTopic: string;
  committedTopic: string;
  storeGroup: string;
  readGroup: string;
  partitions: number;
}

const KEYS = {
  brokers: "RAW_BROKERS",
  databaseUrl: "RAW_DATABASE_URL",
  schema: "RAW_SCHEMA",
  ingestTopic: "RAW_INGEST_TOPIC",
  committedTopic: "RAW_COMMITTED_TOPIC",
  storeGroup: "RAW_STORE_GROUP",
  readGroup: "RAW_READ_GROUP",
  partitions: "RAW_PARTITIONS",
} as const;

/** A topology of its own for one benchmark: names tagged so that nothing else is touched. */
export function topologyFor(tag: string, brokers: string[], databaseUrl: string): Topology {
  return {
    brokers,
    databaseUrl,
    schema: `bench_raw_${tag}`,
    ingestTopic: `raw.ingest.${tag}`,
    committedTopic: `raw.committed.${tag}`,
    storeGroup: `raw-store-${tag}`,
    readGroup: `raw-read-${tag}`,
    partitions: 3,
  };
}

export function toEnv(t: Topology): Record<string, string> {
  return {
    [KEYS.brokers]: t.brokers.join(","),
    [KEYS.databaseUrl]: t.databaseUrl,
    [KEYS.schema]: t.schema,
    [KEYS.ingestTopic]: t.ingestTopic,
    [KEYS.committedTopic]: t.committedTopic,
    [KEYS.storeGroup]: t.storeGroup,
    [KEYS.readGroup]: t.readGroup,
    [KEYS.partitions]: String(t.partitions),
  };
}

export function fromEnv(env: NodeJS.ProcessEnv = process.env): Topology {
  const get = (k: string) => {
    const v = env[k];
    if (!v) throw new Error(`${k} is not set (the raw pipeline's processes are started by its runner)`);
    return v;
  };
  return {
    brokers: get(KEYS.brokers).split(","),
    databaseUrl: get(KEYS.databaseUrl),
    schema: get(KEYS.schema),
    ingestTopic: get(KEYS.ingestTopic),
    committedTopic: get(KEYS.committedTopic),
    storeGroup: get(KEYS.storeGroup),
    readGroup: get(KEYS.readGroup),
    partitions: Number(get(KEYS.partitions)),
  };
}

/** How a process tells its runner it is ready (one JSON line on stdout). */
export const ready = (extra: Record<string, unknown> = {}) =>
  process.stdout.write(`${JSON.stringify({ ready: true, ...extra })}\n`);
