/**
 * A consumer-group member with the transport's poll-based contract, over kafkajs' push-based
 * `consumer.run({ eachBatch })`.
 *
 * ## Poll over push
 *
 * kafkajs runs its own fetch loop and calls `eachBatch` with each partition's records. Here
 * `eachBatch` never blocks: it appends the records to a per-partition buffer, resolves them in
 * kafkajs (which only moves kafkajs' fetch position; nothing is committed: `autoCommit: false`,
 * `eachBatchAutoResolve: false`) and wakes `poll`. `poll` hands out buffered records round-robin
 * over the partitions, up to `maxRecords`. Backpressure: once a partition holds
 * `maxBufferedPerPartition` records, it is paused in kafkajs (the fetch loop keeps running and
 * heartbeating for the others) and resumed when `poll` has drained it to half. The user's
 * `pause` is the same kafkajs pause plus "do not hand out what is buffered".
 *
 * Each partition keeps the offset after the last record taken in (`position`). Records below it
 * are dropped when kafkajs fetches them again, so nothing is handed out twice within one
 * assignment. Kafka leaves gaps (transaction markers, aborted records); the offset after the
 * last data record (`dataEnd`) and the fetch position tell where they are: a commit of
 * `dataEnd` stores `position` instead, past the markers (what the Java client's `position()`
 * gives), and a partition whose data is all committed is moved past markers that arrive later.
 * Without that a group reading a transactional topic would stay one offset short of the log end.
 *
 * ## Rebalances
 *
 * kafkajs has no revocation callback: it learns of a rebalance from a heartbeat or commit
 * response inside its fetch loop and re-joins at once, and every new generation restarts every
 * partition from the committed offset. The transport wraps kafkajs' `joinAndSync` (client.ts):
 * before this member sends JoinGroup, the wrapper asks `poll` to run `revoked` for ALL owned
 * partitions (eager protocol, like the Java client's default before 3.x) and waits for it
 * (bounded by `revokeTimeoutMs`, heartbeating meanwhile). Until the member re-joins, the group
 * is still in the old generation, so the commits made in `revoked` are accepted by the broker.
 * Then kafkajs joins; its GROUP_JOIN event gives the new assignment and generation. The new
 * partitions are paused in kafkajs at once; `poll` runs `assigned` for them, THEN reads their
 * committed offsets, seeks there and resumes them. Reading the offsets after `assigned` matters
 * for exactly-once: the runtime opens the partition's transactional producer in `assigned`,
 * which fences the previous owner and aborts (or waits out) its open transaction, so the
 * offset read afterwards is final.
 *
 * Every partition remembers the generation and member id it was assigned under, and commits
 * are sent with those (our own OffsetCommit, not kafkajs' offset manager). A commit for a
 * partition that moved on is rejected by the broker (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID,
 * REBALANCE_IN_PROGRESS) and surfaces as CommitFailedError; a commit for a partition this
 * member never had fails before any request. Partitions lost without the callback (the
 * wait timed out, the session expired, kafkajs crashed and restarted) are reported to
 * `revoked` as well, at the next poll; commits for them fail.
 *
 * Transactional offset commits (kafkajs' TxnOffsetCommit) carry no generation (no KIP-447):
 * there the fencing is by transactional id, one per input partition.
 */
import type { KafkaJS, InternalConsumerGroup, InternalBroker, KafkaLog } from "./client.js";
import {
  capturingAssigner,
  COORDINATOR_ERRORS,
  errorMessage,
  errorType,
  GENERATION_ERRORS,
  isConnectionError,
  joinHooks,
  sleep,
  type InternalCluster,
} from "./client.js";
import {
  ClosedError,
  CommitFailedError,
  TransportError,
  type ConsumedRecord,
  type Consumer,
  type ConsumerOptions,
  type PollOptions,
  type RecordBatch,
  type RecordHeaders,
  type TopicPartition,
  type TopicPartitionOffset,
} from "../transport.js";

/** What a consumer needs from its transport. */
export interface ConsumerHost {
  readonly kafka: KafkaJS.Kafka;
  readonly log: KafkaLog;
  readonly settings: ConsumerSettings;
  topicName(logical: string): string;
  logicalTopic(name: string): string;
  groupName(logical: string): string;
  lowWatermarks(topic: string): Promise<number[]>;
  checkTopics(topics: readonly string[]): Promise<void>;
  forget(consumer: KafkaConsumer): void;
}

export interface ConsumerSettings {
  readonly readCommitted: boolean;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly revokeTimeoutMs: number;
  readonly maxWaitMs: number;
  readonly maxBytesPerPartition: number;
  readonly maxBytes: number;
  readonly maxBufferedPerPartition: number;
  readonly retry: KafkaJS.RetryOptions;
}

const EMPTY_HEADERS: RecordHeaders = Object.freeze({});

/** A kafkajs message as the transport's record (text key, value and headers). */
export function toConsumedRecord(topic: string, partition: number, m: KafkaJS.KafkaMessage): ConsumedRecord {
  let headers = EMPTY_HEADERS;
  if (m.headers !== undefined) {
    const keys = Object.keys(m.headers);
    if (keys.length > 0) {
      const h: Record<string, string> = {};
      for (const k of keys) {
        let v = m.headers[k];
        if (Array.isArray(v)) v = v[v.length - 1];
        if (v === undefined) continue;
        h[k] = typeof v === "string" ? v : v.toString("utf8");
      }
      headers = h;
    }
  }
  return {
    topic,
    partition,
    offset: Number(m.offset),
    key: m.key === null || m.key === undefined ? null : m.key.toString("utf8"),
    value: m.value === null || m.value === undefined ? null : m.value.toString("utf8"),
    headers,
    timestamp: Number(m.timestamp),
  };
}

/** FLOWC_KAFKA_TRACE=1 prints the transport's recoveries (kafkajs crashes) with their causes. */
function trace(what: string, error?: unknown): void {
  if (process.env.FLOWC_KAFKA_TRACE !== "1") return;
  const detail = error instanceof Error ? (error.stack ?? error.message) : error === undefined ? "" : String(error);
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  const causeText = cause instanceof Error ? `\n  caused by ${cause.stack ?? cause.message}` : "";
  process.stderr.write(`flowc kafka: ${what}${detail ? `: ${detail}` : ""}${causeText}\n`);
}

function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

type Phase = "assigning" | "active" | "gone";

/** One partition of one assignment (a generation of the group). */
class Owned {
  readonly key: string;
  phase: Phase = "assigning";
  userPaused = false;
  bpPaused = false;
  /** What kafkajs was last told (undefined: unknown). */
  kafkaPaused: boolean | undefined;
  records: ConsumedRecord[] = [];
  head = 0;
  /** Next offset expected from kafkajs: after the last record or marker taken in. */
  position = 0;
  /** Offset after the last data record taken in. [dataEnd, position) holds no data. */
  dataEnd = 0;
  /** The offset the user last committed (as asked, before skipping markers). */
  userCommitted: number | undefined;
  /** What is stored for the group, as far as this member knows. */
  committed: number | undefined;
  openTransactions = 0;
  advancing = false;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly generation: number,
    readonly memberId: string,
  ) {
    this.key = tpKey(topic, partition);
  }

  get buffered(): number {
    return this.records.length - this.head;
  }

  take(n: number): ConsumedRecord[] {
    const out = this.records.slice(this.head, this.head + n);
    this.head += out.length;
    if (this.head >= this.records.length) {
      this.records = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.records.length) {
      this.records = this.records.slice(this.head);
      this.head = 0;
    }
    return out;
  }

  tp(): TopicPartition {
    return { topic: this.topic, partition: this.partition };
  }
}

/** Offsets prepared for a transaction: checked and moved past markers. */
export interface PreparedOffsets {
  readonly consumer: KafkaConsumer;
  readonly entries: ReadonlyArray<{ readonly owned: Owned; readonly asked: number; readonly offset: number }>;
}

interface Incoming {
  readonly generation: number;
  readonly memberId: string;
  readonly partitions: TopicPartition[];
}

export class KafkaConsumer implements Consumer {
  readonly groupId: string;
  readonly kafkaGroupId: string;
  private readonly topics: readonly string[];
  private kc: KafkaJS.Consumer | undefined;
  private cluster: InternalCluster | undefined;
  private group: InternalConsumerGroup | undefined;
  private readonly owned = new Map<string, Owned>();
  private incoming: Incoming | undefined;
  private readonly lost = new Map<string, TopicPartition>();
  private revokeRequest: { done: () => void } | undefined;
  private waiter: (() => void) | undefined;
  private woken = false;
  private closed = false;
  private polling = false;
  private fatal: unknown;
  private rotation = 0;
  private restarts: number[] = [];
  private coordinatorPromise: Promise<InternalBroker> | undefined;
  /** Rebalances seen (GROUP_JOIN events), for tests and logs. */
  generations = 0;

  constructor(
    private readonly host: ConsumerHost,
    private readonly options: ConsumerOptions,
  ) {
    this.groupId = options.groupId;
    this.kafkaGroupId = host.groupName(options.groupId);
    this.topics = [...options.topics];
  }

  get memberId(): string {
    return this.group?.memberId || this.options.clientId || "kafka-consumer";
  }

  private get settings(): ConsumerSettings {
    return this.host.settings;
  }

  /** Connects, subscribes and starts kafkajs' fetch loop; the first join completes in the background. */
  async start(): Promise<void> {
    if (this.topics.length === 0) throw new TransportError("a consumer needs at least one topic");
    await this.host.checkTopics(this.topics);
    await this.startKafkajs();
  }

  private async startKafkajs(): Promise<void> {
    const s = this.settings;
    const kc = this.host.kafka.consumer({
      groupId: this.kafkaGroupId,
      sessionTimeout: s.sessionTimeoutMs,
      rebalanceTimeout: s.rebalanceTimeoutMs,
      heartbeatInterval: s.heartbeatIntervalMs,
      maxWaitTimeInMs: s.maxWaitMs,
      maxBytesPerPartition: s.maxBytesPerPartition,
      maxBytes: s.maxBytes,
      readUncommitted: !s.readCommitted,
      allowAutoTopicCreation: false,
      // kafkajs restarts a crashed consumer after a delay; never once this one is closed or
      // replaced (it would live on as a member nobody polls).
      retry: { ...s.retry, restartOnFailure: async () => !this.closed && this.kc === kc },
      partitionAssigners: [
        capturingAssigner((cluster) => {
          this.cluster = cluster;
          joinHooks.set(cluster, this);
        }),
      ],
    });
    this.kc = kc;
    // Events of a kafkajs consumer this one replaced (see recover) are ignored.
    kc.on(kc.events.GROUP_JOIN, (e) => {
      if (this.kc === kc) this.onGroupJoin(e.payload.memberAssignment);
    });
    kc.on(kc.events.START_BATCH_PROCESS, (e) => {
      if (this.kc === kc) this.onBatchStart(e.payload);
    });
    kc.on(kc.events.CRASH, (e) => {
      if (this.kc === kc) this.onCrash(e.payload.error, e.payload.restart);
    });
    await kc.connect();
    await kc.subscribe({ topics: this.topics.map((t) => this.host.topicName(t)), fromBeginning: true });
    kc.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async (payload) => {
        if (this.kc === kc) await this.onBatch(payload);
      },
    }).catch((error: unknown) => {
      if (this.kc === kc) void this.recover(error);
    });
  }

  /**
   * kafkajs gave up (a crash it does not restart from). Start a fresh kafkajs consumer: this
   * member's partitions are lost (reported to `revoked` at the next poll) and it joins again.
   * More than 5 of these in a minute make the consumer fail.
   */
  private async recover(error: unknown): Promise<void> {
    if (this.closed) return;
    trace(`consumer of group ${this.groupId} crashed; starting a new kafkajs consumer`, error);
    const now = Date.now();
    this.restarts = this.restarts.filter((t) => now - t < 60_000);
    if (this.restarts.length >= 5) {
      this.fatal ??= error;
      this.notify();
      return;
    }
    this.restarts.push(now);
    for (const o of [...this.owned.values()]) this.loseOwned(o);
    this.incoming = undefined;
    this.coordinatorPromise = undefined;
    const old = this.kc;
    this.kc = undefined;
    if (this.cluster) joinHooks.delete(this.cluster);
    this.notify();
    await old?.disconnect().catch(() => {});
    if (this.closed) return;
    try {
      await this.startKafkajs();
    } catch (e) {
      this.fatal ??= e;
    }
    this.notify();
  }

  // ---- kafkajs side ---------------------------------------------------------------------------

  /** Called by the joinAndSync wrapper before every (re-)join of this member. */
  async beforeJoin(group: InternalConsumerGroup): Promise<void> {
    this.group = group;
    this.coordinatorPromise = undefined;
    // Assigned in the previous generation but never announced: nothing to revoke.
    this.incoming = undefined;
    if (this.closed || this.owned.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    let beat: NodeJS.Timeout | undefined;
    const generation = group.generationId;
    const memberId = group.memberId;
    await new Promise<void>((resolve) => {
      this.revokeRequest = { done: resolve };
      timer = setTimeout(resolve, this.settings.revokeTimeoutMs);
      // The old generation's session must stay alive while `revoked` runs.
      if (generation !== null && memberId) {
        beat = setInterval(() => {
          this.coordinator()
            .then((c) => c.heartbeat({ groupId: this.kafkaGroupId, groupGenerationId: generation, memberId }))
            .catch(() => {});
        }, this.settings.heartbeatIntervalMs);
      }
      this.notify();
    });
    clearTimeout(timer);
    clearInterval(beat);
    this.revokeRequest = undefined;
  }

  private onGroupJoin(assignment: Record<string, number[]>): void {
    this.generations++;
    const generation = this.group?.generationId ?? -1;
    const memberId = this.group?.memberId ?? "";
    // A new generation restarts every partition from the committed offset in kafkajs: whatever
    // is still owned (the revocation was skipped or timed out) is lost and announced again.
    for (const o of [...this.owned.values()]) this.loseOwned(o);
    const partitions: TopicPartition[] = [];
    for (const [name, list] of Object.entries(assignment)) {
      const topic = this.host.logicalTopic(name);
      for (const partition of [...list].sort((a, b) => a - b)) partitions.push({ topic, partition });
    }
    this.incoming = { generation, memberId, partitions };
    // Nothing of them is fetched before `assigned` has run and the offsets are read.
    if (partitions.length > 0) this.kafkaPause(partitions, true);
    this.notify();
  }

  private onCrash(error: Error, restart: boolean): void {
    trace(`kafkajs consumer of group ${this.groupId} crashed (${restart ? "kafkajs restarts it" : "not restarted by kafkajs"})`, error);
    // kafkajs left the group (its crash handler disconnects).
    for (const o of [...this.owned.values()]) this.loseOwned(o);
    this.incoming = undefined;
    this.coordinatorPromise = undefined;
    if (!restart) void this.recover(error);
    this.notify();
  }

  private loseOwned(o: Owned): void {
    this.drop(o);
    // It was announced with `assigned` (states enter `owned` just before the callback).
    this.lost.set(o.key, o.tp());
  }

  private drop(o: Owned): void {
    if (this.owned.get(o.key) === o) this.owned.delete(o.key);
    o.phase = "gone";
    o.records = [];
    o.head = 0;
  }

  private async onBatch(payload: KafkaJS.EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const topic = this.host.logicalTopic(batch.topic);
    const o = this.owned.get(tpKey(topic, batch.partition));
    if (o === undefined || o.phase !== "active" || payload.isStale()) return;
    const last = Number(batch.lastOffset());
    let taken = 0;
    for (const m of batch.messages) {
      const offset = Number(m.offset);
      if (offset < o.position) continue;
      o.records.push(toConsumedRecord(topic, batch.partition, m));
      o.dataEnd = offset + 1;
      o.position = offset + 1;
      taken++;
    }
    if (last + 1 > o.position) o.position = last + 1;
    payload.resolveOffset(batch.lastOffset());
    if (o.buffered >= this.settings.maxBufferedPerPartition && !o.bpPaused) {
      o.bpPaused = true;
      this.syncPause(o);
    }
    if (taken > 0) this.notify();
    else this.maybeAdvance(o);
  }

  /** A batch kafkajs consumed without calling eachBatch: only markers or aborted records. */
  private onBatchStart(p: { topic: string; partition: number; batchSize: number; firstOffset: string | null; lastOffset: string }): void {
    if (p.batchSize !== 0) return;
    const o = this.owned.get(tpKey(this.host.logicalTopic(p.topic), p.partition));
    if (o === undefined || o.phase !== "active") return;
    const first = p.firstOffset === null ? undefined : Number(p.firstOffset);
    const last = Number(p.lastOffset);
    // Only a batch that starts where this member stands extends the known marker range.
    if (first === undefined || first > o.position || last + 1 <= o.position) return;
    o.position = last + 1;
    this.maybeAdvance(o);
  }

  /** Commits past trailing markers when everything before them is committed. */
  private maybeAdvance(o: Owned): void {
    if (o.advancing || o.openTransactions > 0 || o.buffered > 0 || this.closed) return;
    if (o.userCommitted !== o.dataEnd || o.committed === undefined || o.position <= o.committed) return;
    const target = o.position;
    o.advancing = true;
    this.commitRaw(o.generation, o.memberId, [{ owned: o, offset: target }])
      .then(() => {
        if (o.committed === undefined || o.committed < target) o.committed = target;
      })
      .catch(() => {})
      .finally(() => {
        o.advancing = false;
      });
  }

  private kafkaPause(tps: readonly TopicPartition[], paused: boolean): boolean {
    const kc = this.kc;
    if (kc === undefined) return false;
    const byTopic = new Map<string, number[]>();
    for (const tp of tps) {
      const name = this.host.topicName(tp.topic);
      const list = byTopic.get(name) ?? [];
      list.push(tp.partition);
      byTopic.set(name, list);
    }
    const arg = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
    try {
      if (paused) kc.pause(arg);
      else kc.resume(arg);
      return true;
    } catch {
      // kafkajs is between a crash and its restart: the next GROUP_JOIN sets everything again.
      return false;
    }
  }

  private syncPause(o: Owned): void {
    const want = o.phase !== "active" || o.userPaused || o.bpPaused;
    if (o.kafkaPaused === want) return;
    if (this.kafkaPause([o.tp()], want)) o.kafkaPaused = want;
  }

  // ---- the user's side ------------------------------------------------------------------------

  private ensureOpen(): void {
    if (this.closed) throw new ClosedError(`consumer ${this.memberId} of group ${this.groupId} is closed`);
    if (this.fatal !== undefined) {
      throw new TransportError(`consumer of group ${this.groupId} failed: ${errorMessage(this.fatal)}`, { cause: this.fatal });
    }
  }

  private notify(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  async poll(options: PollOptions): Promise<RecordBatch[]> {
    if (this.polling) throw new TransportError("poll is already in progress on this consumer");
    this.polling = true;
    try {
      return await this.pollLoop(options);
    } finally {
      this.polling = false;
    }
  }

  private async pollLoop(options: PollOptions): Promise<RecordBatch[]> {
    const deadline = options.maxWaitMs === undefined ? undefined : Date.now() + options.maxWaitMs;
    const listener = this.options.listener;
    for (;;) {
      this.ensureOpen();
      const request = this.revokeRequest;
      if (request !== undefined) {
        const owned = [...this.owned.values()];
        try {
          if (owned.length > 0) await listener?.revoked(owned.map((o) => o.tp()));
        } finally {
          for (const o of owned) {
            this.drop(o);
            this.syncPause(o);
          }
          if (this.revokeRequest === request) this.revokeRequest = undefined;
          request.done();
        }
        continue;
      }
      if (this.lost.size > 0) {
        const lost = [...this.lost.values()];
        this.lost.clear();
        await listener?.revoked(lost);
        continue;
      }
      const incoming = this.incoming;
      if (incoming !== undefined) {
        this.incoming = undefined;
        const states = incoming.partitions.map((tp) => {
          const o = new Owned(tp.topic, tp.partition, incoming.generation, incoming.memberId);
          o.kafkaPaused = true;
          this.owned.set(o.key, o);
          return o;
        });
        if (states.length > 0) await listener?.assigned(states.map((o) => o.tp()));
        await this.startFetching(states);
        continue;
      }
      const batches = this.take(options.maxRecords);
      if (batches.length > 0) return batches;
      if (this.woken) {
        this.woken = false;
        return [];
      }
      const now = Date.now();
      if (deadline !== undefined && now >= deadline) return [];
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        if (deadline !== undefined) timer = setTimeout(() => this.notify(), deadline - now);
      });
      clearTimeout(timer);
    }
  }

  /** After `assigned`: read the committed offsets, seek kafkajs there and let it fetch. */
  private async startFetching(states: readonly Owned[]): Promise<void> {
    const live = () => states.filter((o) => this.owned.get(o.key) === o && o.phase === "assigning");
    if (live().length === 0) return;
    const committed = await this.fetchCommitted(live());
    const lows = new Map<string, number[]>();
    for (const o of live()) {
      let offset = committed.get(o.key);
      if (offset === undefined) {
        let low = lows.get(o.topic);
        if (low === undefined) lows.set(o.topic, (low = await this.host.lowWatermarks(o.topic)));
        offset = low[o.partition] ?? 0;
      }
      if (this.owned.get(o.key) !== o || o.phase !== "assigning") continue;
      o.position = offset;
      o.dataEnd = offset;
      o.committed = committed.get(o.key);
      o.userCommitted = offset;
      try {
        this.kc!.seek({ topic: this.host.topicName(o.topic), partition: o.partition, offset: String(offset) });
      } catch {
        // Restarting: the next GROUP_JOIN supersedes this assignment.
        continue;
      }
      o.phase = "active";
      this.syncPause(o);
    }
  }

  private take(maxRecords: number): RecordBatch[] {
    const list = [...this.owned.values()];
    const n = list.length;
    const batches: RecordBatch[] = [];
    if (n === 0) return batches;
    let budget = Math.max(1, maxRecords);
    const start = this.rotation++ % n;
    for (let i = 0; i < n && budget > 0; i++) {
      const o = list[(start + i) % n];
      if (o.phase !== "active" || o.userPaused || o.buffered === 0) continue;
      const records = o.take(budget);
      budget -= records.length;
      batches.push({ topic: o.topic, partition: o.partition, records });
      if (o.bpPaused && o.buffered <= this.settings.maxBufferedPerPartition / 2) {
        o.bpPaused = false;
        this.syncPause(o);
      }
    }
    return batches;
  }

  pause(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) {
      const o = this.owned.get(tpKey(tp.topic, tp.partition));
      if (o === undefined || o.userPaused) continue;
      o.userPaused = true;
      this.syncPause(o);
    }
  }

  resume(partitions: readonly TopicPartition[]): void {
    let changed = false;
    for (const tp of partitions) {
      const o = this.owned.get(tpKey(tp.topic, tp.partition));
      if (o === undefined || !o.userPaused) continue;
      o.userPaused = false;
      this.syncPause(o);
      changed = true;
    }
    if (changed) this.notify();
  }

  assignment(): TopicPartition[] {
    return [...this.owned.values()].map((o) => o.tp());
  }

  wakeup(): void {
    this.woken = true;
    this.notify();
  }

  async commit(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    this.ensureOpen();
    if (offsets.length === 0) return;
    const entries = this.prepare(offsets);
    const byGeneration = new Map<string, Array<{ owned: Owned; offset: number }>>();
    for (const e of entries) {
      const k = `${e.owned.generation}\u0000${e.owned.memberId}`;
      const list = byGeneration.get(k) ?? [];
      list.push(e);
      byGeneration.set(k, list);
    }
    for (const list of byGeneration.values()) {
      await this.commitRaw(list[0].owned.generation, list[0].owned.memberId, list);
    }
    for (const e of entries) {
      e.owned.userCommitted = e.asked;
      if (e.owned.committed === undefined || e.offset !== e.owned.committed) e.owned.committed = e.offset;
    }
  }

  /** Checks ownership and moves each offset past markers known to follow the last data record. */
  prepare(offsets: readonly TopicPartitionOffset[]): Array<{ owned: Owned; asked: number; offset: number }> {
    return offsets.map((o) => {
      const owned = this.owned.get(tpKey(o.topic, o.partition));
      if (owned === undefined || owned.phase === "gone") {
        throw new CommitFailedError(`member ${this.memberId} of group ${this.groupId} does not own ${o.topic}/${o.partition}`);
      }
      if (!Number.isInteger(o.offset) || o.offset < 0) throw new TransportError(`invalid offset ${o.offset} for ${o.topic}/${o.partition}`);
      const offset = o.offset === owned.dataEnd && owned.position > o.offset ? owned.position : o.offset;
      return { owned, asked: o.offset, offset };
    });
  }

  /** For transactions: ownership is checked at sendOffsets and again before commit. */
  prepareTransaction(offsets: readonly TopicPartitionOffset[]): PreparedOffsets {
    this.ensureOpen();
    const entries = this.prepare(offsets);
    for (const e of entries) e.owned.openTransactions++;
    return { consumer: this, entries };
  }

  checkStillOwned(prepared: PreparedOffsets): void {
    for (const e of prepared.entries) {
      if (this.owned.get(e.owned.key) !== e.owned || e.owned.phase === "gone") {
        throw new CommitFailedError(
          `member ${this.memberId} of group ${this.groupId} no longer owns ${e.owned.topic}/${e.owned.partition}`,
        );
      }
    }
  }

  transactionEnded(prepared: PreparedOffsets, committed: boolean): void {
    for (const e of prepared.entries) {
      e.owned.openTransactions--;
      if (committed) {
        e.owned.userCommitted = e.asked;
        e.owned.committed = e.offset;
      }
    }
  }

  topicsForTransaction(prepared: PreparedOffsets): Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }> {
    const byTopic = new Map<string, Array<{ partition: number; offset: string }>>();
    for (const e of prepared.entries) {
      const name = this.host.topicName(e.owned.topic);
      const list = byTopic.get(name) ?? [];
      list.push({ partition: e.owned.partition, offset: String(e.offset) });
      byTopic.set(name, list);
    }
    return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
  }

  private coordinator(): Promise<InternalBroker> {
    const cluster = this.cluster;
    if (cluster === undefined) return Promise.reject(new TransportError("the consumer has not connected yet"));
    this.coordinatorPromise ??= cluster.findGroupCoordinator({ groupId: this.kafkaGroupId });
    const p = this.coordinatorPromise;
    p.catch(() => {
      if (this.coordinatorPromise === p) this.coordinatorPromise = undefined;
    });
    return p;
  }

  /** OffsetCommit with the generation the partitions were assigned under. */
  private async commitRaw(generation: number, memberId: string, entries: ReadonlyArray<{ owned: Owned; offset: number }>): Promise<void> {
    const byTopic = new Map<string, Array<{ partition: number; offset: string }>>();
    for (const e of entries) {
      const name = this.host.topicName(e.owned.topic);
      const list = byTopic.get(name) ?? [];
      list.push({ partition: e.owned.partition, offset: String(e.offset) });
      byTopic.set(name, list);
    }
    const topics = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
    for (let attempt = 0; ; attempt++) {
      try {
        const coordinator = await this.coordinator();
        await coordinator.offsetCommit({ groupId: this.kafkaGroupId, groupGenerationId: generation, memberId, topics });
        return;
      } catch (error) {
        const type = errorType(error);
        if (type !== undefined && GENERATION_ERRORS.has(type)) {
          const which = entries.map((e) => `${e.owned.topic}/${e.owned.partition}`).join(", ");
          throw new CommitFailedError(`group ${this.groupId} moved on (${type}): commit for ${which} rejected`);
        }
        const retriable = (type !== undefined && COORDINATOR_ERRORS.has(type)) || isConnectionError(error);
        if (!retriable || attempt >= 20 || this.closed) {
          throw new TransportError(`commit for group ${this.groupId} failed: ${errorMessage(error)}`);
        }
        this.coordinatorPromise = undefined;
        await sleep(Math.min(2000, 50 * 2 ** attempt));
      }
    }
  }

  private async fetchCommitted(states: readonly Owned[]): Promise<Map<string, number | undefined>> {
    const byTopic = new Map<string, Array<{ partition: number }>>();
    for (const o of states) {
      const name = this.host.topicName(o.topic);
      const list = byTopic.get(name) ?? [];
      list.push({ partition: o.partition });
      byTopic.set(name, list);
    }
    const topics = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
    for (let attempt = 0; ; attempt++) {
      try {
        const coordinator = await this.coordinator();
        const { responses } = await coordinator.offsetFetch({ groupId: this.kafkaGroupId, topics });
        const out = new Map<string, number | undefined>();
        for (const t of responses) {
          const topic = this.host.logicalTopic(t.topic);
          for (const p of t.partitions) {
            const n = Number(p.offset);
            out.set(tpKey(topic, p.partition), Number.isFinite(n) && n >= 0 ? n : undefined);
          }
        }
        return out;
      } catch (error) {
        const type = errorType(error);
        const retriable =
          (type !== undefined && (COORDINATOR_ERRORS.has(type) || type === "UNSTABLE_OFFSET_COMMIT")) || isConnectionError(error);
        if (!retriable || attempt >= 20 || this.closed) {
          throw new TransportError(`reading the committed offsets of group ${this.groupId} failed: ${errorMessage(error)}`);
        }
        this.coordinatorPromise = undefined;
        await sleep(Math.min(2000, 50 * 2 ** attempt));
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const request = this.revokeRequest;
    this.revokeRequest = undefined;
    request?.done();
    for (const o of [...this.owned.values()]) this.drop(o);
    this.incoming = undefined;
    this.lost.clear();
    this.notify();
    try {
      await this.kc?.disconnect();
    } catch {
      // Leaving fails when the broker is gone; the session then expires on its own.
    } finally {
      if (this.cluster) joinHooks.delete(this.cluster);
      this.host.forget(this);
    }
  }
}
