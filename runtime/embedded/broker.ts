import { systemClock, type Clock } from "../clock.js";
import { partitionForKey } from "../../stdlib/murmur2.js";
import {
  ClosedError,
  CommitFailedError,
  ProducerFencedError,
  TopicMismatchError,
  TransportError,
  UnknownTopicError,
  type Consumer,
  type ConsumedRecord,
  type ConsumerOptions,
  type PartitionWatermarks,
  type PollOptions,
  type Producer,
  type ProducerOptions,
  type ProducerRecord,
  type RecordBatch,
  type RecordHeaders,
  type TopicPartition,
  type TopicPartitionOffset,
  type TopicSpec,
  type Transaction,
  type Transport,
} from "../transport.js";
import { PartitionLog } from "./log.js";

const EMPTY_HEADERS: RecordHeaders = Object.freeze({});

export interface EmbeddedBrokerOptions {
  /** Stamps record timestamps and times `poll`'s maxWaitMs. */
  readonly clock?: Clock;
  /**
   * Delete records every group reading a topic has committed past (default true). This is
   * what keeps a long run in bounded memory; topics nobody consumes (sinks read with `read`,
   * dead letters) and topics created with `retainAll` keep everything.
   */
  readonly truncateCommitted?: boolean;
}

function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

class Topic {
  readonly logs: PartitionLog[];
  /** Groups that ever subscribed: truncation waits for all of them. */
  readonly groups = new Set<Group>();
  roundRobin = 0;
  constructor(readonly spec: TopicSpec & { readonly partitions: number }) {
    this.logs = Array.from({ length: spec.partitions }, () => new PartitionLog());
  }
}

/**
 * A consumer group with cooperative hand-over: a partition moving from a live member waits
 * until that member's `revoked` callback has run (inside its next poll), so a healthy
 * rebalance never redelivers finished work; a closed member's partitions move at once.
 */
class Group {
  readonly members: EmbeddedConsumer[] = [];
  readonly committed = new Map<string, Array<number | undefined>>();
  readonly owners = new Map<string, EmbeddedConsumer>();

  constructor(
    readonly id: string,
    private readonly broker: EmbeddedBroker,
  ) {}

  committedOffset(topic: string, partition: number): number | undefined {
    return this.committed.get(topic)?.[partition];
  }

  setCommitted(topic: string, partition: number, offset: number): void {
    let offsets = this.committed.get(topic);
    if (offsets === undefined) {
      offsets = [];
      this.committed.set(topic, offsets);
    }
    offsets[partition] = offset;
  }

  join(member: EmbeddedConsumer): void {
    this.members.push(member);
    for (const topic of member.topics) this.broker.topicOrThrow(topic).groups.add(this);
    this.rebalance();
  }

  leave(member: EmbeddedConsumer): void {
    const i = this.members.indexOf(member);
    if (i >= 0) this.members.splice(i, 1);
    for (const [key, owner] of this.owners) if (owner === member) this.owners.delete(key);
    this.rebalance();
  }

  /** The member a partition should end up with: round-robin over the topic's subscribers. */
  private target(topic: string, partition: number): EmbeddedConsumer | undefined {
    const subscribers = this.members.filter((m) => m.topics.includes(topic));
    return subscribers.length === 0 ? undefined : subscribers[partition % subscribers.length];
  }

  rebalance(): void {
    const topics = new Set(this.members.flatMap((m) => m.topics));
    for (const topic of topics) {
      const partitions = this.broker.topicOrThrow(topic).spec.partitions;
      for (let p = 0; p < partitions; p++) {
        const key = tpKey(topic, p);
        const target = this.target(topic, p);
        const owner = this.owners.get(key);
        if (target === undefined) continue;
        if (owner === undefined) {
          this.owners.set(key, target);
          target.offerAssigned(key, topic, p);
        } else if (owner !== target) {
          owner.requestRevoke(key);
        } else {
          owner.cancelRevoke(key);
        }
      }
    }
  }

  /** A member finished its revoked callback: hand the partitions to their targets. */
  release(member: EmbeddedConsumer, keys: readonly string[]): void {
    for (const key of keys) {
      if (this.owners.get(key) === member) this.owners.delete(key);
    }
    this.rebalance();
  }
}

interface Assigned {
  readonly topic: string;
  readonly partition: number;
  position: number;
  paused: boolean;
}

class EmbeddedConsumer implements Consumer {
  readonly memberId: string;
  readonly groupId: string;
  readonly topics: readonly string[];
  private readonly assigned = new Map<string, Assigned>();
  private readonly pendingAssigned = new Map<string, TopicPartition>();
  private readonly pendingRevoked = new Set<string>();
  private waiter: (() => void) | undefined;
  private woken = false;
  private closed = false;
  private rotation = 0;

  constructor(
    private readonly broker: EmbeddedBroker,
    private readonly group: Group,
    private readonly options: ConsumerOptions,
    memberNumber: number,
  ) {
    this.groupId = options.groupId;
    this.topics = [...options.topics];
    this.memberId = `${options.clientId ?? "consumer"}-${memberNumber}`;
  }

  offerAssigned(key: string, topic: string, partition: number): void {
    this.pendingRevoked.delete(key);
    this.pendingAssigned.set(key, { topic, partition });
    this.notify();
  }

  requestRevoke(key: string): void {
    if (this.pendingRevoked.has(key)) return;
    this.pendingRevoked.add(key);
    this.notify();
  }

  cancelRevoke(key: string): void {
    this.pendingRevoked.delete(key);
  }

  /** Wakes a waiting poll (new records, rebalance, resume). */
  notify(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  owns(key: string): boolean {
    return this.assigned.has(key);
  }

  private ensureOpen(): void {
    if (this.closed) throw new ClosedError(`consumer ${this.memberId} of group ${this.groupId} is closed`);
  }

  async poll(options: PollOptions): Promise<RecordBatch[]> {
    const deadline = options.maxWaitMs === undefined ? undefined : this.broker.clock.now() + options.maxWaitMs;
    for (;;) {
      this.ensureOpen();
      if (this.pendingRevoked.size > 0) {
        const keys = [...this.pendingRevoked];
        this.pendingRevoked.clear();
        const owned: TopicPartition[] = [];
        for (const key of keys) {
          this.pendingAssigned.delete(key);
          const a = this.assigned.get(key);
          if (a) owned.push({ topic: a.topic, partition: a.partition });
        }
        if (owned.length > 0) await this.options.listener?.revoked(owned);
        this.ensureOpen();
        for (const key of keys) this.assigned.delete(key);
        this.group.release(this, keys);
        continue;
      }
      if (this.pendingAssigned.size > 0) {
        const entries = [...this.pendingAssigned];
        this.pendingAssigned.clear();
        const added: TopicPartition[] = [];
        for (const [key, tp] of entries) {
          if (this.group.owners.get(key) !== this) continue;
          const log = this.broker.topicOrThrow(tp.topic).logs[tp.partition];
          const committed = this.group.committedOffset(tp.topic, tp.partition);
          this.assigned.set(key, { ...tp, position: Math.max(committed ?? log.low, log.low), paused: false });
          added.push(tp);
        }
        if (added.length > 0) await this.options.listener?.assigned(added);
        continue;
      }
      const batches = this.fetch(options.maxRecords);
      if (batches.length > 0) return batches;
      if (this.woken) {
        this.woken = false;
        return [];
      }
      if (deadline !== undefined && this.broker.clock.now() >= deadline) return [];
      if (this.waiter !== undefined) throw new TransportError("poll is already in progress on this consumer");
      let cancelTimer: (() => void) | undefined;
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        if (deadline !== undefined) {
          cancelTimer = this.broker.clock.schedule(deadline - this.broker.clock.now(), () => this.notify());
        }
      });
      cancelTimer?.();
    }
  }

  private fetch(maxRecords: number): RecordBatch[] {
    const entries = [...this.assigned.values()];
    const batches: RecordBatch[] = [];
    let budget = maxRecords;
    // Start from a different partition each poll so none is starved.
    const start = entries.length === 0 ? 0 : this.rotation++ % entries.length;
    for (let i = 0; i < entries.length && budget > 0; i++) {
      const a = entries[(start + i) % entries.length];
      if (a.paused) continue;
      const log = this.broker.topicOrThrow(a.topic).logs[a.partition];
      if (a.position < log.low) a.position = log.low;
      if (a.position >= log.high) continue;
      const records = log.read(a.position, budget);
      a.position += records.length;
      budget -= records.length;
      batches.push({ topic: a.topic, partition: a.partition, records });
    }
    return batches;
  }

  async commit(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    this.ensureOpen();
    this.broker.commitOffsets(this, offsets);
  }

  validateOwnership(offsets: readonly TopicPartitionOffset[]): void {
    this.ensureOpen();
    for (const o of offsets) {
      if (!this.assigned.has(tpKey(o.topic, o.partition)) || this.group.owners.get(tpKey(o.topic, o.partition)) !== this) {
        throw new CommitFailedError(
          `member ${this.memberId} of group ${this.groupId} does not own ${o.topic}/${o.partition}`,
        );
      }
    }
  }

  pause(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) {
      const a = this.assigned.get(tpKey(tp.topic, tp.partition));
      if (a) a.paused = true;
    }
  }

  resume(partitions: readonly TopicPartition[]): void {
    let changed = false;
    for (const tp of partitions) {
      const a = this.assigned.get(tpKey(tp.topic, tp.partition));
      if (a?.paused) {
        a.paused = false;
        changed = true;
      }
    }
    if (changed) this.notify();
  }

  assignment(): TopicPartition[] {
    return [...this.assigned.values()].map((a) => ({ topic: a.topic, partition: a.partition }));
  }

  wakeup(): void {
    this.woken = true;
    this.notify();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.assigned.clear();
    this.pendingAssigned.clear();
    this.pendingRevoked.clear();
    this.group.leave(this);
    this.broker.forget(this);
    this.notify();
  }
}

class EmbeddedTransaction implements Transaction {
  private readonly records: ProducerRecord[] = [];
  private readonly offsets: Array<{ consumer: EmbeddedConsumer; offsets: readonly TopicPartitionOffset[] }> = [];
  private done = false;

  constructor(
    private readonly broker: EmbeddedBroker,
    private readonly producer: EmbeddedProducer,
  ) {}

  private ensureOpen(): void {
    if (this.done) throw new TransportError("transaction already finished");
  }

  async send(records: readonly ProducerRecord[]): Promise<void> {
    this.ensureOpen();
    this.producer.ensureUsable();
    for (const r of records) this.broker.validateRecord(r);
    for (const r of records) this.records.push(r);
  }

  async sendOffsets(consumer: Consumer, offsets: readonly TopicPartitionOffset[]): Promise<void> {
    this.ensureOpen();
    if (!(consumer instanceof EmbeddedConsumer)) throw new TransportError("sendOffsets needs a consumer of this broker");
    this.offsets.push({ consumer, offsets });
  }

  async commit(): Promise<void> {
    this.ensureOpen();
    this.done = true;
    this.producer.finishTransaction(this);
    this.producer.ensureUsable();
    // Validate everything before applying anything: all or nothing.
    for (const o of this.offsets) o.consumer.validateOwnership(o.offsets);
    this.broker.appendAll(this.records);
    for (const o of this.offsets) this.broker.commitOffsets(o.consumer, o.offsets);
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.producer.finishTransaction(this);
  }
}

class EmbeddedProducer implements Producer {
  private closed = false;
  private open: EmbeddedTransaction | undefined;

  constructor(
    private readonly broker: EmbeddedBroker,
    private readonly transactionalId: string | undefined,
    private readonly epoch: number,
  ) {}

  ensureUsable(): void {
    if (this.closed) throw new ClosedError("producer is closed");
    if (this.transactionalId !== undefined && this.broker.transactionalEpoch(this.transactionalId) !== this.epoch) {
      throw new ProducerFencedError(`producer '${this.transactionalId}' was fenced by a newer instance`);
    }
  }

  async send(records: readonly ProducerRecord[]): Promise<void> {
    this.ensureUsable();
    this.broker.appendAll(records);
  }

  async transaction(): Promise<Transaction> {
    if (this.transactionalId === undefined) throw new TransportError("transaction() needs a transactional producer");
    this.ensureUsable();
    if (this.open) throw new TransportError("a transaction is already open on this producer");
    this.open = new EmbeddedTransaction(this.broker, this);
    return this.open;
  }

  finishTransaction(txn: EmbeddedTransaction): void {
    if (this.open === txn) this.open = undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // An open transaction dies with its producer, as on a real broker after a crash.
    await this.open?.abort();
    this.closed = true;
  }
}

/**
 * An in-process broker with Kafka's semantics (see transport.ts): partitioned logs, consumer
 * groups with cooperative rebalancing, committed offsets, redelivery after a member closes
 * without committing, transactions with fencing. Single-threaded, so every operation is
 * atomic; `send` of a batch is atomic too, which Kafka does not promise and the runtime does
 * not rely on.
 */
export class EmbeddedBroker implements Transport {
  readonly kind = "embedded";
  readonly capabilities = { transactions: true };
  readonly clock: Clock;
  private readonly truncateCommitted: boolean;
  private readonly topics = new Map<string, Topic>();
  private readonly groups = new Map<string, Group>();
  private readonly consumers = new Set<EmbeddedConsumer>();
  private readonly epochs = new Map<string, number>();
  private members = 0;
  private closed = false;

  constructor(options: EmbeddedBrokerOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.truncateCommitted = options.truncateCommitted ?? true;
  }

  topicOrThrow(name: string): Topic {
    const topic = this.topics.get(name);
    if (topic === undefined) throw new UnknownTopicError(`unknown topic '${name}'`);
    return topic;
  }

  private ensureOpen(): void {
    if (this.closed) throw new ClosedError("broker is closed");
  }

  async createTopics(specs: readonly TopicSpec[]): Promise<void> {
    this.ensureOpen();
    for (const given of specs) {
      // Kafka's own default num.partitions.
      const spec = { ...given, partitions: given.partitions ?? 1 };
      if (!Number.isInteger(spec.partitions) || spec.partitions < 1) {
        throw new TransportError(`topic '${spec.name}': partitions must be an integer >= 1`);
      }
      const existing = this.topics.get(spec.name);
      if (existing) {
        if (existing.spec.partitions !== spec.partitions) {
          throw new TopicMismatchError(
            `topic '${spec.name}' exists with ${existing.spec.partitions} partitions, ${spec.partitions} requested`,
          );
        }
        continue;
      }
      this.topics.set(spec.name, new Topic(spec));
    }
  }

  async describeTopics(names: readonly string[]): Promise<Map<string, { partitions: number }>> {
    const found = new Map<string, { partitions: number }>();
    for (const name of names) {
      const topic = this.topics.get(name);
      if (topic) found.set(name, { partitions: topic.spec.partitions });
    }
    return found;
  }

  async watermarks(topic: string): Promise<PartitionWatermarks[]> {
    return this.watermarksNow(topic);
  }

  /** Synchronous variant for in-process callers (progress, tests). */
  watermarksNow(topic: string): PartitionWatermarks[] {
    return this.topicOrThrow(topic).logs.map((log, partition) => ({ partition, low: log.low, high: log.high }));
  }

  async committed(groupId: string, topic: string): Promise<Array<number | undefined>> {
    return this.committedNow(groupId, topic);
  }

  committedNow(groupId: string, topic: string): Array<number | undefined> {
    const partitions = this.topicOrThrow(topic).spec.partitions;
    const group = this.groups.get(groupId);
    return Array.from({ length: partitions }, (_, p) => group?.committedOffset(topic, p));
  }

  async read(topic: string, partition: number, fromOffset: number, maxRecords: number): Promise<ConsumedRecord[]> {
    const log = this.topicOrThrow(topic).logs[partition];
    if (log === undefined) throw new TransportError(`topic '${topic}' has no partition ${partition}`);
    return log.read(fromOffset, maxRecords);
  }

  /** Every stored record of a topic, partition by partition (tests and tools). */
  readAll(topic: string): ConsumedRecord[] {
    return this.topicOrThrow(topic).logs.flatMap((log) => log.read(log.low, log.size));
  }

  topicNames(): string[] {
    return [...this.topics.keys()];
  }

  /** Records currently held in memory, over all topics. */
  storedRecords(): number {
    let n = 0;
    for (const t of this.topics.values()) for (const log of t.logs) n += log.size;
    return n;
  }

  async producer(options: ProducerOptions = {}): Promise<Producer> {
    this.ensureOpen();
    let epoch = 0;
    if (options.transactionalId !== undefined) {
      epoch = (this.epochs.get(options.transactionalId) ?? 0) + 1;
      this.epochs.set(options.transactionalId, epoch);
    }
    return new EmbeddedProducer(this, options.transactionalId, epoch);
  }

  transactionalEpoch(id: string): number | undefined {
    return this.epochs.get(id);
  }

  async consumer(options: ConsumerOptions): Promise<Consumer> {
    this.ensureOpen();
    if (options.topics.length === 0) throw new TransportError("a consumer needs at least one topic");
    for (const topic of options.topics) this.topicOrThrow(topic);
    let group = this.groups.get(options.groupId);
    if (group === undefined) {
      group = new Group(options.groupId, this);
      this.groups.set(options.groupId, group);
    }
    const consumer = new EmbeddedConsumer(this, group, options, ++this.members);
    this.consumers.add(consumer);
    group.join(consumer);
    return consumer;
  }

  forget(consumer: EmbeddedConsumer): void {
    this.consumers.delete(consumer);
  }

  validateRecord(record: ProducerRecord): void {
    const topic = this.topicOrThrow(record.topic);
    const p = record.partition;
    if (p !== undefined && (!Number.isInteger(p) || p < 0 || p >= topic.spec.partitions)) {
      throw new TransportError(`topic '${record.topic}' has no partition ${p} (it has ${topic.spec.partitions})`);
    }
  }

  /** Appends a batch (validated first, so it is all or nothing) and wakes readers. */
  appendAll(records: readonly ProducerRecord[]): void {
    this.ensureOpen();
    for (const r of records) this.validateRecord(r);
    const now = this.clock.now();
    const touched = new Map<Topic, Set<number>>();
    for (const r of records) {
      const topic = this.topics.get(r.topic)!;
      const partitions = topic.spec.partitions;
      const partition =
        r.partition ?? (r.key !== null ? partitionForKey(r.key, partitions) : topic.roundRobin++ % partitions);
      const log = topic.logs[partition];
      log.append(r.topic, partition, r.key, r.value, r.headers ?? EMPTY_HEADERS, now);
      const max = topic.spec.maxRecordsPerPartition;
      if (max !== undefined && log.size > max) log.truncateBefore(log.high - max);
      let set = touched.get(topic);
      if (set === undefined) touched.set(topic, (set = new Set()));
      set.add(partition);
    }
    for (const [topic, partitions] of touched) {
      for (const group of topic.groups) {
        for (const p of partitions) group.owners.get(tpKey(topic.spec.name, p))?.notify();
      }
    }
  }

  commitOffsets(consumer: EmbeddedConsumer, offsets: readonly TopicPartitionOffset[]): void {
    consumer.validateOwnership(offsets);
    const group = this.groups.get(consumer.groupId)!;
    for (const o of offsets) {
      group.setCommitted(o.topic, o.partition, o.offset);
      this.maybeTruncate(o.topic, o.partition);
    }
  }

  private maybeTruncate(topicName: string, partition: number): void {
    if (!this.truncateCommitted) return;
    const topic = this.topics.get(topicName);
    if (topic === undefined || topic.spec.retainAll) return;
    let min = Infinity;
    for (const group of topic.groups) {
      const c = group.committedOffset(topicName, partition);
      if (c === undefined) return;
      if (c < min) min = c;
    }
    if (min !== Infinity) topic.logs[partition].truncateBefore(min);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    for (const c of [...this.consumers]) await c.close();
    this.closed = true;
  }
}
