/**
 * The Kafka transport: runtime/transport.ts over kafkajs 2.2.4. See consumer.ts for poll over
 * kafkajs' push-based consumer and for rebalances, producer.ts for transactions, and
 * docs/kafka.md for the user's view.
 */
import { hostname } from "node:os";
import {
  Batch,
  COORDINATOR_ERRORS,
  errorMessage,
  errorType,
  isConnectionError,
  kafkajs,
  KafkaLog,
  privateCluster,
  sleep,
  type InternalBroker,
  type InternalCluster,
  type KafkaJS,
  type KafkaLogLevel,
} from "./client.js";
import { KafkaConsumer, toConsumedRecord, type ConsumerHost, type ConsumerSettings } from "./consumer.js";
import { KafkaProducer, type ProducerHost } from "./producer.js";
import {
  ClosedError,
  TopicMismatchError,
  TransportError,
  UnknownTopicError,
  type ConsumedRecord,
  type Consumer,
  type ConsumerOptions,
  type PartitionWatermarks,
  type Producer,
  type ProducerOptions,
  type TopicSpec,
  type Transport,
} from "../transport.js";

export interface KafkaTransportOptions {
  /** "host:port", a comma-separated list, or an array. */
  readonly brokers: string | readonly string[];
  readonly clientId?: string;
  /** Prepended to every consumer group and transactional id (several deployments, one cluster). */
  readonly groupPrefix?: string;
  /** Prepended to every topic name, and stripped from the names of consumed records (tests,
   *  tenants). Default none. */
  readonly topicPrefix?: string;
  /** Transactions (exactly-once) and read_committed consumers. Default true. */
  readonly transactional?: boolean;
  /** kafkajs' own log lines (default "error"; retried errors it logs are counted, not printed). */
  readonly logLevel?: KafkaLogLevel;
  /** Replication factor of topics whose spec names none (default: the broker's default). */
  readonly replication?: number;
  readonly sessionTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  readonly rebalanceTimeoutMs?: number;
  /** How long a member waits for `poll` to run `revoked` before re-joining anyway. */
  readonly revokeTimeoutMs?: number;
  /** Fetch long-poll time (kafkajs maxWaitTimeInMs). */
  readonly maxWaitMs?: number;
  readonly maxBytesPerPartition?: number;
  /** Records buffered per partition before its fetching pauses. */
  readonly maxBufferedPerPartition?: number;
  readonly transactionTimeoutMs?: number;
  readonly connectionTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  /** kafkajs retry policy for every request it retries itself. */
  readonly retry?: KafkaJS.RetryOptions;
}

const DEFAULTS = {
  sessionTimeoutMs: 10_000,
  heartbeatIntervalMs: 1_000,
  rebalanceTimeoutMs: 30_000,
  revokeTimeoutMs: 20_000,
  maxWaitMs: 250,
  maxBytesPerPartition: 512 * 1024,
  maxBufferedPerPartition: 2_000,
  transactionTimeoutMs: 60_000,
};

/** Bytes assumed per record when a record-count retention becomes a size retention. */
const BYTES_PER_RECORD = 4096;
const MIN_SEGMENT_BYTES = 1024 * 1024;

/** Maps a TopicSpec to Kafka topic configuration (what createTopics sends). */
export function topicConfig(spec: TopicSpec): Record<string, string> {
  const config: Record<string, string> = {};
  if (spec.retainAll) {
    config["retention.ms"] = "-1";
    config["retention.bytes"] = "-1";
  } else if (spec.maxRecordsPerPartition !== undefined) {
    // Kafka retains by size and time, deleting whole segments: keep about maxRecords records
    // of up to 4 KiB (a dedupe mark), in 1 MiB segments so retention can act.
    const bytes = Math.max(2 * MIN_SEGMENT_BYTES, spec.maxRecordsPerPartition * BYTES_PER_RECORD);
    config["retention.bytes"] = String(bytes);
    config["segment.bytes"] = String(MIN_SEGMENT_BYTES);
  }
  return { ...config, ...(spec.config ?? {}) };
}

export interface TopicDescription {
  readonly name: string;
  readonly partitions: number;
  readonly replication: number;
}

export class KafkaTransport implements Transport, ConsumerHost, ProducerHost {
  readonly kind = "kafka";
  readonly capabilities: { readonly transactions: boolean };
  readonly kafka: KafkaJS.Kafka;
  readonly log: KafkaLog;
  readonly settings: ConsumerSettings;
  readonly retry: KafkaJS.RetryOptions;
  readonly transactionTimeoutMs: number;
  readonly maxSendMessages = 1000;
  readonly brokers: readonly string[];
  readonly clientId: string;
  private readonly groupPrefix: string;
  private readonly topicPrefix: string;
  private readonly replication: number | undefined;
  private readonly consumers = new Set<KafkaConsumer>();
  private readonly producers = new Set<KafkaProducer>();
  private adminClient: Promise<KafkaJS.Admin> | undefined;
  private reader: Promise<InternalCluster> | undefined;
  private readonly readerTopics = new Set<string>();
  private closed = false;

  constructor(options: KafkaTransportOptions) {
    const brokers = typeof options.brokers === "string" ? options.brokers.split(",") : [...options.brokers];
    this.brokers = brokers.map((b) => b.trim()).filter((b) => b.length > 0);
    if (this.brokers.length === 0) throw new TransportError("the Kafka transport needs at least one broker address");
    this.clientId = options.clientId ?? `flowc-${hostname()}-${process.pid}`;
    this.groupPrefix = options.groupPrefix ?? "";
    this.topicPrefix = options.topicPrefix ?? "";
    this.replication = options.replication;
    const transactional = options.transactional ?? true;
    this.capabilities = { transactions: transactional };
    this.log = new KafkaLog(options.logLevel ?? "error");
    this.retry = options.retry ?? { initialRetryTime: 100, maxRetryTime: 3_000, retries: 20 };
    this.transactionTimeoutMs = options.transactionTimeoutMs ?? DEFAULTS.transactionTimeoutMs;
    const maxBytesPerPartition = options.maxBytesPerPartition ?? DEFAULTS.maxBytesPerPartition;
    this.settings = {
      readCommitted: transactional,
      sessionTimeoutMs: options.sessionTimeoutMs ?? DEFAULTS.sessionTimeoutMs,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? DEFAULTS.heartbeatIntervalMs,
      rebalanceTimeoutMs: options.rebalanceTimeoutMs ?? DEFAULTS.rebalanceTimeoutMs,
      revokeTimeoutMs: options.revokeTimeoutMs ?? DEFAULTS.revokeTimeoutMs,
      maxWaitMs: options.maxWaitMs ?? DEFAULTS.maxWaitMs,
      maxBytesPerPartition,
      maxBytes: Math.max(maxBytesPerPartition * 4, 8 * 1024 * 1024),
      maxBufferedPerPartition: options.maxBufferedPerPartition ?? DEFAULTS.maxBufferedPerPartition,
      retry: this.retry,
    };
    this.kafka = new kafkajs.Kafka({
      clientId: this.clientId,
      brokers: [...this.brokers],
      logLevel: this.log.kafkajsLevel(),
      logCreator: this.log.creator(),
      retry: this.retry,
      connectionTimeout: options.connectionTimeoutMs ?? 3_000,
      requestTimeout: options.requestTimeoutMs ?? 30_000,
    });
  }

  // ---- names ----------------------------------------------------------------------------------

  topicName(logical: string): string {
    return this.topicPrefix + logical;
  }

  logicalTopic(name: string): string {
    return this.topicPrefix !== "" && name.startsWith(this.topicPrefix) ? name.slice(this.topicPrefix.length) : name;
  }

  groupName(logical: string): string {
    return this.groupPrefix + logical;
  }

  // ---- clients --------------------------------------------------------------------------------

  private ensureOpen(): void {
    if (this.closed) throw new ClosedError("the Kafka transport is closed");
  }

  admin(): Promise<KafkaJS.Admin> {
    this.ensureOpen();
    this.adminClient ??= (async () => {
      const admin = this.kafka.admin({ retry: this.retry });
      await admin.connect();
      return admin;
    })();
    const p = this.adminClient;
    p.catch(() => {
      if (this.adminClient === p) this.adminClient = undefined;
    });
    return p;
  }

  /** A cluster of our own for Fetch and Metadata requests outside any group. */
  private readerCluster(): Promise<InternalCluster> {
    this.ensureOpen();
    this.reader ??= (async () => {
      const cluster = privateCluster(this.kafka, `${this.groupName("flowc.reader")}`, this.capabilities.transactions);
      await cluster.connect();
      await cluster.refreshMetadata();
      return cluster;
    })();
    const p = this.reader;
    p.catch(() => {
      if (this.reader === p) this.reader = undefined;
    });
    return p;
  }

  private async anyBroker(): Promise<InternalBroker> {
    const cluster = await this.readerCluster();
    if (!cluster.isConnected()) await cluster.connect();
    return cluster.findControllerBroker();
  }

  /** Retries an operation over connection errors and leader/coordinator moves. */
  private async retrying<T>(what: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        if (error instanceof TransportError) throw error;
        const type = errorType(error);
        const retriable =
          isConnectionError(error) ||
          type === "LEADER_NOT_AVAILABLE" ||
          type === "NOT_LEADER_FOR_PARTITION" ||
          type === "NOT_LEADER_OR_FOLLOWER" ||
          type === "REQUEST_TIMED_OUT" ||
          type === "NOT_CONTROLLER" ||
          (type !== undefined && COORDINATOR_ERRORS.has(type));
        if (!retriable || attempt >= 15 || this.closed) throw new TransportError(`${what}: ${errorMessage(error)}`);
        await sleep(Math.min(2_000, 100 * 2 ** attempt));
        const reader = await this.reader?.catch(() => undefined);
        await reader?.refreshMetadata().catch(() => {});
      }
    }
  }

  // ---- topics ---------------------------------------------------------------------------------

  /** Partition counts and replication factors of the named topics that exist. */
  async inspectTopics(names: readonly string[]): Promise<Map<string, TopicDescription>> {
    this.ensureOpen();
    const found = new Map<string, TopicDescription>();
    if (names.length === 0) return found;
    const unique = [...new Set(names)];
    const describe = async (batch: readonly string[]) => {
      const broker = await this.anyBroker();
      const meta = await broker.metadata(batch.map((n) => this.topicName(n)));
      for (const t of meta.topicMetadata) {
        const replicas = (t.partitionMetadata[0] as { replicas?: number[] } | undefined)?.replicas?.length ?? 0;
        found.set(this.logicalTopic(t.topic), { name: this.logicalTopic(t.topic), partitions: t.partitionMetadata.length, replication: replicas });
      }
    };
    await this.retrying("describing topics", async () => {
      try {
        await describe(unique);
      } catch (error) {
        if (errorType(error) !== "UNKNOWN_TOPIC_OR_PARTITION") throw error;
        // Kafka's Metadata answer fails as a whole in kafkajs when one topic is missing: ask one by one.
        for (const n of unique) {
          await describe([n]).catch((e: unknown) => {
            if (errorType(e) !== "UNKNOWN_TOPIC_OR_PARTITION") throw e;
          });
        }
      }
    });
    return found;
  }

  async describeTopics(names: readonly string[]): Promise<Map<string, { partitions: number }>> {
    const found = await this.inspectTopics(names);
    return new Map([...found].map(([name, d]) => [name, { partitions: d.partitions }]));
  }

  async checkTopics(topics: readonly string[]): Promise<void> {
    const found = await this.inspectTopics(topics);
    const missing = topics.filter((t) => !found.has(t));
    if (missing.length > 0) throw new UnknownTopicError(`unknown topic${missing.length > 1 ? "s" : ""} ${missing.map((t) => `'${t}'`).join(", ")}`);
  }

  async createTopics(specs: readonly TopicSpec[]): Promise<void> {
    this.ensureOpen();
    for (const spec of specs) {
      if (spec.partitions !== undefined && (!Number.isInteger(spec.partitions) || spec.partitions < 1)) {
        throw new TransportError(`topic '${spec.name}': partitions must be an integer >= 1`);
      }
    }
    const check = (existing: Map<string, TopicDescription>) => {
      for (const spec of specs) {
        const e = existing.get(spec.name);
        // Without partitions the spec takes whatever the broker gave it.
        if (e !== undefined && spec.partitions !== undefined && e.partitions !== spec.partitions) {
          throw new TopicMismatchError(`topic '${spec.name}' exists with ${e.partitions} partitions, ${spec.partitions} requested`);
        }
      }
    };
    const existing = await this.inspectTopics(specs.map((s) => s.name));
    check(existing);
    const missing = specs.filter((s) => !existing.has(s.name));
    if (missing.length === 0) return;
    await this.createMissing(missing);
    // Another process may have created some of them at the same time, differently.
    check(await this.inspectTopics(missing.map((s) => s.name)));
  }

  /** Creates topics (no checks); those that appeared meanwhile are left alone. */
  async createMissing(specs: readonly TopicSpec[]): Promise<void> {
    const admin = await this.admin();
    const topics: KafkaJS.ITopicConfig[] = specs.map((spec) => ({
      topic: this.topicName(spec.name),
      numPartitions: spec.partitions ?? -1, // -1: the broker's num.partitions
      replicationFactor: spec.replication ?? this.replication ?? -1,
      configEntries: Object.entries(topicConfig(spec)).map(([name, value]) => ({ name, value })),
    }));
    try {
      await admin.createTopics({ topics, waitForLeaders: false, timeout: 30_000 });
    } catch (error) {
      const errors = (error as { errors?: unknown[] }).errors;
      if (!(Array.isArray(errors) && errors.every((e) => errorType(e) === "TOPIC_ALREADY_EXISTS"))) {
        throw new TransportError(`creating topics ${specs.map((s) => s.name).join(", ")}: ${errorMessage(error)}`);
      }
    }
    await this.waitForLeaders(specs.map((s) => s.name));
  }

  /** Waits until every partition of the topics has a leader (metadata reaches the brokers a
   *  moment after CreateTopics returns). */
  private async waitForLeaders(names: readonly string[], timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        const broker = await this.anyBroker();
        const meta = await broker.metadata(names.map((n) => this.topicName(n)));
        const ready =
          meta.topicMetadata.length === names.length &&
          meta.topicMetadata.every((t) => t.partitionMetadata.length > 0 && t.partitionMetadata.every((p) => p.leader >= 0));
        if (ready) return;
      } catch (error) {
        const type = errorType(error);
        if (type !== "UNKNOWN_TOPIC_OR_PARTITION" && type !== "LEADER_NOT_AVAILABLE" && !isConnectionError(error)) {
          throw new TransportError(`waiting for the leaders of ${names.join(", ")}: ${errorMessage(error)}`);
        }
      }
      if (Date.now() > deadline) throw new TransportError(`topics ${names.join(", ")} have no leaders after ${timeoutMs} ms`);
      await sleep(Math.min(500, 25 * 2 ** attempt));
    }
  }

  async deleteTopics(names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    const admin = await this.admin();
    await admin.deleteTopics({ topics: names.map((n) => this.topicName(n)), timeout: 30_000 });
  }

  /** Topic configuration values, as the broker reports them (for `topics apply`). */
  async topicConfigs(names: readonly string[], keys: readonly string[]): Promise<Map<string, Record<string, string>>> {
    const out = new Map<string, Record<string, string>>();
    if (names.length === 0) return out;
    const admin = await this.admin();
    const result = await admin.describeConfigs({
      includeSynonyms: false,
      resources: names.map((n) => ({ type: kafkajs.ConfigResourceTypes.TOPIC, name: this.topicName(n), configNames: [...keys] })),
    });
    for (const r of result.resources) {
      const values: Record<string, string> = {};
      for (const c of r.configEntries) values[c.configName] = c.configValue;
      out.set(this.logicalTopic(r.resourceName), values);
    }
    return out;
  }

  /** Adds a topic to the reader's metadata (once); UnknownTopicError when it does not exist. */
  private async readerTopic(topic: string): Promise<InternalCluster> {
    const cluster = await this.readerCluster();
    const name = this.topicName(topic);
    if (!this.readerTopics.has(name)) {
      await this.retrying(`looking up '${topic}'`, async () => {
        try {
          await cluster.addMultipleTargetTopics([name]);
        } catch (error) {
          if (errorType(error) === "UNKNOWN_TOPIC_OR_PARTITION") throw new UnknownTopicError(`unknown topic '${topic}'`);
          throw error;
        }
      });
      this.readerTopics.add(name);
    }
    return cluster;
  }

  private async partitionsOf(topic: string): Promise<number[]> {
    const cluster = await this.readerTopic(topic);
    let list = cluster.findTopicPartitionMetadata(this.topicName(topic)).map((p) => p.partitionId);
    if (list.length === 0) {
      await cluster.refreshMetadata();
      list = cluster.findTopicPartitionMetadata(this.topicName(topic)).map((p) => p.partitionId);
    }
    return list.sort((a, b) => a - b);
  }

  /**
   * Low and high watermarks (ListOffsets). With transactions the high mark is the last stable
   * offset, the end of what a read_committed consumer can read.
   */
  async watermarks(topic: string): Promise<PartitionWatermarks[]> {
    this.ensureOpen();
    const name = this.topicName(topic);
    const cluster = await this.readerTopic(topic);
    const partitions = (await this.partitionsOf(topic)).map((partition) => ({ partition }));
    const [low, high] = await this.retrying(`watermarks of '${topic}'`, () =>
      Promise.all([
        cluster.fetchTopicsOffset([{ topic: name, partitions, fromBeginning: true }]),
        cluster.fetchTopicsOffset([{ topic: name, partitions, fromBeginning: false }]),
      ]),
    );
    const lows = new Map((low[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    return (high[0]?.partitions ?? [])
      .map((p) => ({ partition: p.partition, low: lows.get(p.partition) ?? 0, high: Number(p.offset) }))
      .sort((a, b) => a.partition - b.partition);
  }

  async lowWatermarks(topic: string): Promise<number[]> {
    const marks = await this.watermarks(topic);
    const out: number[] = [];
    for (const m of marks) out[m.partition] = m.low;
    return out;
  }

  async committed(groupId: string, topic: string): Promise<Array<number | undefined>> {
    this.ensureOpen();
    const cluster = await this.readerTopic(topic);
    const partitions = await this.partitionsOf(topic);
    const name = this.topicName(topic);
    const { responses } = await this.retrying(`committed offsets of '${groupId}'`, async () => {
      const coordinator = await cluster.findGroupCoordinator({ groupId: this.groupName(groupId) });
      return coordinator.offsetFetch({ groupId: this.groupName(groupId), topics: [{ topic: name, partitions: partitions.map((partition) => ({ partition })) }] });
    });
    const out: Array<number | undefined> = partitions.map(() => undefined);
    for (const p of responses.find((r) => r.topic === name)?.partitions ?? []) {
      const n = Number(p.offset);
      out[p.partition] = Number.isFinite(n) && n >= 0 ? n : undefined;
    }
    return out;
  }

  /**
   * Records of one partition from `fromOffset` (clamped to the log start), at most
   * `maxRecords`, outside any group: Fetch requests to the partition's leader, with the
   * transport's isolation level (read_committed when transactional). No group, no join: one
   * round trip per ~1 MiB.
   */
  async read(topic: string, partition: number, fromOffset: number, maxRecords: number): Promise<ConsumedRecord[]> {
    this.ensureOpen();
    const name = this.topicName(topic);
    const out: ConsumedRecord[] = [];
    if (maxRecords <= 0) return out;
    const cluster = await this.readerTopic(topic);
    let offset = Math.max(0, fromOffset);
    for (let round = 0; out.length < maxRecords && round < 100_000; round++) {
      const fetched = await this.retrying(`reading '${topic}'/${partition}`, async () => {
        const meta = cluster.findTopicPartitionMetadata(name).find((p) => p.partitionId === partition);
        if (meta === undefined) {
          await cluster.refreshMetadata();
          const again = cluster.findTopicPartitionMetadata(name).find((p) => p.partitionId === partition);
          if (again === undefined) throw new TransportError(`topic '${topic}' has no partition ${partition}`);
        }
        const leader = cluster.findTopicPartitionMetadata(name).find((p) => p.partitionId === partition)!.leader;
        const broker = await cluster.findBroker({ nodeId: leader });
        try {
          const { responses } = await broker.fetch({
            isolationLevel: this.capabilities.transactions ? 1 : 0,
            maxWaitTime: 0,
            minBytes: 1,
            maxBytes: 4 * 1024 * 1024,
            topics: [{ topic: name, partitions: [{ partition, fetchOffset: String(offset), maxBytes: 1024 * 1024 }] }],
          });
          const data = responses.find((r) => r.topicName === name)?.partitions.find((p) => p.partition === partition);
          return data === undefined ? undefined : { data, batch: new Batch(name, String(offset), data) };
        } catch (error) {
          if (errorType(error) === "OFFSET_OUT_OF_RANGE") {
            const low = (await this.lowWatermarks(topic))[partition] ?? 0;
            if (offset < low) {
              offset = low;
              return "again" as const;
            }
            return undefined;
          }
          throw error;
        }
      });
      if (fetched === "again") continue;
      if (fetched === undefined || fetched.data.messages.length === 0) break;
      for (const m of fetched.batch.messages) {
        if (out.length >= maxRecords) break;
        out.push(toConsumedRecord(topic, partition, m));
      }
      const next = Number(fetched.batch.lastOffset()) + 1;
      if (!(next > offset)) break;
      offset = next;
    }
    return out;
  }

  // ---- clients for the runtime ----------------------------------------------------------------

  async producer(options: ProducerOptions = {}): Promise<Producer> {
    this.ensureOpen();
    const id = options.transactionalId === undefined ? undefined : this.groupName(options.transactionalId);
    if (id !== undefined && !this.capabilities.transactions) {
      throw new TransportError("this Kafka transport was created with transactional: false");
    }
    const producer = await KafkaProducer.open(this, id);
    this.producers.add(producer);
    return producer;
  }

  async consumer(options: ConsumerOptions): Promise<Consumer> {
    this.ensureOpen();
    const consumer = new KafkaConsumer(this, options);
    this.consumers.add(consumer);
    try {
      await consumer.start();
    } catch (error) {
      await consumer.close().catch(() => {});
      throw error instanceof TransportError ? error : new TransportError(`starting a consumer of group ${options.groupId}: ${errorMessage(error)}`);
    }
    return consumer;
  }

  ownsConsumer(consumer: Consumer): consumer is KafkaConsumer {
    return consumer instanceof KafkaConsumer && this.consumers.has(consumer);
  }

  forget(client: KafkaConsumer | KafkaProducer): void {
    if (client instanceof KafkaConsumer) this.consumers.delete(client);
    else this.producers.delete(client);
  }

  /** kafkajs errors it logged and retried, by kind (tests and benchmarks print them). */
  expectedErrors(): Record<string, number> {
    return Object.fromEntries(this.log.expected);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const consumers = [...this.consumers];
    const producers = [...this.producers];
    await Promise.allSettled(consumers.map((c) => c.close()));
    await Promise.allSettled(producers.map((p) => p.close()));
    this.closed = true;
    const admin = await this.adminClient?.catch(() => undefined);
    await admin?.disconnect().catch(() => {});
    const reader = await this.reader?.catch(() => undefined);
    await reader?.disconnect().catch(() => {});
  }
}

/** Creates a Kafka transport (kafkajs). Nothing connects until the first call. */
export function createKafkaTransport(options: KafkaTransportOptions): KafkaTransport {
  return new KafkaTransport(options);
}
