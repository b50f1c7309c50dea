/**
 * The transport: the narrow slice of Kafka's model the runtime needs. The embedded broker
 * (runtime/embedded/) implements it in process; a Kafka client implements it over a cluster.
 *
 * Semantics every implementation must keep (the runtime's guarantees rest on them):
 * - A topic has a fixed number of partitions; each partition is an append-only log whose
 *   records get consecutive offsets (Kafka may leave gaps after transaction markers: the
 *   runtime only assumes offsets increase).
 * - A record produced with an explicit partition goes there; otherwise a keyed record goes to
 *   toPositive(murmur2(utf8(key))) % partitions (Kafka's default partitioner).
 * - A consumer group shares the partitions of its subscribed topics among its live members.
 *   A member learns of changes inside `poll`: `revoked` runs before a partition leaves it (the
 *   member may still commit for it then), `assigned` runs before records of a new partition
 *   are returned. A member that closes (or crashes) gives its partitions up at once.
 * - A newly assigned partition is read from the group's committed offset, or from the start
 *   of the log when the group has none.
 * - `commit` stores "next offset to read" per partition and fails for a partition the member
 *   does not own.
 * - Transactions (optional): records sent in a transaction and offsets added to it become
 *   visible/committed together at `commit()`, or not at all. Opening a producer with a
 *   transactional id fences any older producer with the same id.
 */

/** Header values are strings: flowc only writes text headers. */
export type RecordHeaders = Readonly<Record<string, string>>;

export interface ProducerRecord {
  readonly topic: string;
  /** Explicit partition; when absent the default partitioner places the record by key. */
  readonly partition?: number | undefined;
  readonly key: string | null;
  /** UTF-8 text (flowc values are JSON); null is a tombstone and decodes as malformed. */
  readonly value: string | null;
  readonly headers?: RecordHeaders;
}

export interface ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: RecordHeaders;
  /** Append time, epoch milliseconds. */
  readonly timestamp: number;
}

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** `offset` is the next offset to read (Kafka's convention for commits). */
export interface TopicPartitionOffset extends TopicPartition {
  readonly offset: number;
}

/** One partition's records from one poll, in offset order. */
export interface RecordBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly ConsumedRecord[];
  /**
   * The offset to commit once every record of the batch is done, when it is not simply the
   * last record's offset + 1: Kafka transaction markers take offsets no record has, and a
   * batch may hold only markers (then `records` is empty). Committing past them is what lets a
   * caught-up group's committed offset reach the log end.
   */
  readonly nextOffset?: number;
}

export interface PartitionWatermarks {
  readonly partition: number;
  /** First offset still stored. */
  readonly low: number;
  /** Offset the next record will get (the log end): a group that has processed everything
   *  has committed exactly this. */
  readonly high: number;
}

export interface TopicSpec {
  readonly name: string;
  /** Undefined: the broker's default (Kafka's num.partitions; 1 on the embedded broker), for a
   *  topic declared without partitions and fed by no shard. */
  readonly partitions?: number;
  /** Kafka replication factor (ignored by the embedded broker). */
  readonly replication?: number;
  /**
   * Keep at most this many records per partition (older ones are deleted). The runtime sets
   * it on dedupe state topics; Kafka transports map it to a size/time retention.
   */
  readonly maxRecordsPerPartition?: number;
  /** Never delete records, even once every group has committed past them. */
  readonly retainAll?: boolean;
  /** Extra broker-specific topic configuration (e.g. Kafka's cleanup.policy). */
  readonly config?: Readonly<Record<string, string>>;
}

export interface RebalanceListener {
  /** Called before the member's partitions move away; commit what is finished here. */
  revoked(partitions: readonly TopicPartition[]): void | Promise<void>;
  /** Called before the first records of newly assigned partitions are returned. */
  assigned(partitions: readonly TopicPartition[]): void | Promise<void>;
}

export interface ConsumerOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly listener?: RebalanceListener;
  /** A label for logs and errors (the worker instance). */
  readonly clientId?: string;
}

export interface PollOptions {
  /** Upper bound on records returned across all partitions. */
  readonly maxRecords: number;
  /** Return an empty result after this long without records (default: wait until records,
   *  a rebalance or `wakeup()`). */
  readonly maxWaitMs?: number;
}

export interface Consumer {
  readonly groupId: string;
  readonly memberId: string;
  /**
   * Returns the next records of assigned, unpaused partitions, running rebalance callbacks
   * first. Waits while there is nothing to return. Returns [] after `wakeup()`.
   */
  poll(options: PollOptions): Promise<RecordBatch[]>;
  commit(offsets: readonly TopicPartitionOffset[]): Promise<void>;
  pause(partitions: readonly TopicPartition[]): void;
  resume(partitions: readonly TopicPartition[]): void;
  assignment(): TopicPartition[];
  /** Makes a waiting (or the next) poll return at once. */
  wakeup(): void;
  /** Leaves the group without committing; partitions move to other members at once. */
  close(): Promise<void>;
}

export interface Transaction {
  send(records: readonly ProducerRecord[]): Promise<void>;
  /** Commits these offsets for `consumer`'s group as part of the transaction. */
  sendOffsets(consumer: Consumer, offsets: readonly TopicPartitionOffset[]): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export interface Producer {
  /** Resolves once every record is stored (acks=all). Not atomic across partitions. */
  send(records: readonly ProducerRecord[]): Promise<void>;
  /** Only on transactional producers (see `Transport.producer`). One open at a time. */
  transaction(): Promise<Transaction>;
  close(): Promise<void>;
}

export interface ProducerOptions {
  /** Makes the producer transactional. Kafka transports should use one id per input
   *  partition (the runtime does), so a new owner of the partition fences a stale one. */
  readonly transactionalId?: string;
}

export interface TransportCapabilities {
  /** Producer transactions with offsets (exactly-once consume-transform-produce). */
  readonly transactions: boolean;
}

export interface Transport {
  /** "embedded", "kafka", ... for logs and reports. */
  readonly kind: string;
  readonly capabilities: TransportCapabilities;
  /** Creates missing topics. An existing topic with a different partition count is an error
   *  (TopicMismatchError); other differences are left alone. */
  createTopics(specs: readonly TopicSpec[]): Promise<void>;
  /** Partition counts of the named topics that exist. */
  describeTopics(names: readonly string[]): Promise<Map<string, { partitions: number }>>;
  watermarks(topic: string): Promise<PartitionWatermarks[]>;
  /** The group's committed offsets for a topic (undefined where nothing is committed). */
  committed(groupId: string, topic: string): Promise<Array<number | undefined>>;
  /** Reads records of one partition outside any group (state restore, dead-letter listing). */
  read(topic: string, partition: number, fromOffset: number, maxRecords: number): Promise<ConsumedRecord[]>;
  producer(options?: ProducerOptions): Promise<Producer>;
  consumer(options: ConsumerOptions): Promise<Consumer>;
  close(): Promise<void>;
}

export class TransportError extends Error {
  override name = "TransportError";
}
export class UnknownTopicError extends TransportError {
  override name = "UnknownTopicError";
}
export class TopicMismatchError extends TransportError {
  override name = "TopicMismatchError";
}
/** A commit for a partition the member does not own (Kafka's CommitFailedException). */
export class CommitFailedError extends TransportError {
  override name = "CommitFailedError";
}
/** A newer producer with the same transactional id exists. */
export class ProducerFencedError extends TransportError {
  override name = "ProducerFencedError";
}
export class ClosedError extends TransportError {
  override name = "ClosedError";
}
