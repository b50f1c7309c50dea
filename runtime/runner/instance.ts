import { performance } from "node:perf_hooks";
import type { Logger } from "pino";
import { Field, FIELDS } from "../../stdlib/accounting.js";
import { RouteScope, type RouteFailure } from "../../stdlib/compile.js";
import { backoffDelay, NonRetriableError } from "../../stdlib/handler.js";
import { Headers } from "../../stdlib/headers.js";
import { coordinatesId } from "../../stdlib/ids.js";
import { checkSettledCounts, type Ledger } from "../accounting.js";
import type { Clock } from "../clock.js";
import { deadLetterRecord, errorText, retryRecord, type DeadLetterReason } from "../dead-letters.js";
import type { RunMetrics } from "../metrics.js";
import type {
  ConsumedRecord,
  Consumer,
  Producer,
  ProducerRecord,
  RecordBatch,
  TopicPartition,
  TopicPartitionOffset,
  Transport,
} from "../transport.js";
import type { DecodeResult, DeliveryMode, Worker } from "../worker.js";
import { Context, HandlerTimeoutError } from "./context.js";
import { markRecord, restoreSeen, type SeenWindow } from "./dedupe.js";
import { OffsetTracker, type OffsetEntry } from "./offsets.js";
import { KeyedScheduler } from "./scheduler.js";
import { Signal } from "./signal.js";

/** Points where a test can make an instance crash (see FaultInjector). */
export type FaultPoint =
  | "after-poll"
  | "after-handler"
  /** At-least-once: outputs stored, dedupe marks not yet. */
  | "after-produce"
  /** At-least-once: marks stored, offsets not committed. */
  | "after-marks"
  | "after-commit"
  /** Exactly-once: records added to the transaction, not committed. */
  | "in-transaction";

/** A testing seam: return true to crash the instance at that point (as a SIGKILL would). */
export interface FaultInjector {
  crashAt(point: FaultPoint, workerId: string, instance: number): boolean;
}

export interface InstanceOptions {
  readonly transport: Transport;
  readonly clock: Clock;
  readonly random: () => number;
  readonly logger: Logger;
  readonly ledger: Ledger;
  readonly metrics: RunMetrics;
  readonly delivery: DeliveryMode;
  /** Records taken in and not yet flushed, per instance: the backpressure bound. */
  readonly maxInFlight: number;
  readonly maxPollRecords: number;
  /** Ids remembered per input partition for duplicate suppression. */
  readonly dedupeWindow: number;
  /** A number telling this instance apart from others of the same worker. */
  readonly instance: number;
  readonly faults?: FaultInjector;
  /** Called whenever the instance made progress (the pipeline's idle detection). */
  readonly onActivity?: () => void;
}

export type InstanceExit =
  | { readonly kind: "stopped" }
  | { readonly kind: "crashed" }
  | { readonly kind: "failed"; readonly error: unknown };

type State = "starting" | "running" | "stopping" | "stopped" | "crashed" | "failed";

class CrashSignal extends Error {
  override readonly name = "CrashSignal";
}

/** The window over which retries yield to new work (see retryBudgetSpent). */
const RETRY_WINDOW_MS = 100;

function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** A retry record waiting for its due time. */
interface Held {
  readonly record: ConsumedRecord;
  readonly entry: OffsetEntry;
  readonly id: string;
  readonly dedupeKey: string;
  readonly attempt: number;
  readonly dueAt: number;
}

/** A decoded record waiting for (or in) the handler. */
interface WorkItem {
  readonly ps: PartitionState;
  readonly record: ConsumedRecord;
  readonly entry: OffsetEntry;
  readonly id: string;
  readonly dedupeKey: string;
  readonly value: unknown;
  readonly attempt: number;
  /** The per-key queue it came from (main topic only). */
  readonly queueKey: string | undefined;
}

/** What one partition finished since its previous flush, taken for a flush. */
interface Swap {
  readonly ps: PartitionState;
  readonly outputs: ProducerRecord[];
  /** How many of `outputs` are retry or dead-letter records. */
  readonly side: number;
  readonly marks: string[];
  readonly finished: OffsetEntry[];
  readonly counts: Float64Array;
  readonly records: number;
}

type Outcome =
  | { readonly ok: true; readonly values: unknown[]; readonly encoded: string[] }
  | { readonly ok: false; readonly error: unknown };

/** One assigned input partition: its dedupe window, commit order and the unflushed results. */
class PartitionState {
  readonly key: string;
  tracker = new OffsetTracker();
  running = 0;
  readonly idle = new Signal();
  revoked = false;
  paused = false;
  held: Held[] = [];
  cancelHold: (() => void) | undefined;
  producer: Producer | undefined;
  lastCommitted: number | undefined;
  /** Exactly-once: this partition's transaction is in flight. */
  flushing = false;
  // What the next flush carries for this partition.
  outputs: ProducerRecord[] = [];
  /** How many of `outputs` are retry or dead-letter records (not route emissions). */
  sideRecords = 0;
  marks: string[] = [];
  finished: OffsetEntry[] = [];
  records = 0;

  constructor(
    readonly topic: string,
    readonly partition: number,
    /** -1 for the main input, else the retry tier. */
    readonly tier: number,
    readonly seen: SeenWindow,
    public counts: Float64Array,
  ) {
    this.key = tpKey(topic, partition);
  }

  get retry(): boolean {
    return this.tier >= 0;
  }
}

/**
 * One running instance of a worker: a member of the worker's consumer group.
 *
 * Three loops share the instance: the fetcher polls (main input first, retry topics only when
 * the main queue is empty and a retry is due) and takes records in; `concurrency` slots run the
 * handler on the longest per-key queue (work stealing); the flusher writes finished results as
 * a group: outputs with their dedupe marks, then offsets (see `startFlushes`). Workers without
 * a handler route each record as it is taken in.
 */
export class WorkerInstance {
  readonly done: Promise<InstanceExit>;
  private resolveDone!: (exit: InstanceExit) => void;
  private state: State = "starting";
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;
  private readonly partitions = new Map<string, PartitionState>();
  private readonly scheduler = new KeyedScheduler<WorkItem>();
  private retryQueue: WorkItem[] = [];
  private buffered = 0;
  private retryBuffered = 0;
  private readonly retryCapacity: number;
  private readonly work = new Signal();
  private readonly capacity = new Signal();
  private readonly flushWanted = new Signal();
  private readonly flushDone = new Signal();
  private readonly dirty = new Set<PartitionState>();
  /** Flush operations in flight: produce requests, transactions, offset commits. */
  private pendingOps = 0;
  /** At-least-once: a produce request is in flight. */
  private sending = false;
  private committing = false;
  private commitWanted = false;
  private readonly scope = new RouteScope();
  private readonly failures: RouteFailure[] = [];
  private readonly contexts = new Set<Context>();
  private readonly log: Logger;
  private retryTierPartitions: number[] = [];
  /** While new work flows (input taken in within RETRY_WINDOW_MS), retries taken in the
   *  current window are bounded by the retry capacity. */
  private mainSeenAt = Number.NEGATIVE_INFINITY;
  private retryWindowStart = Number.NEGATIVE_INFINITY;
  private retriesInWindow = 0;
  private cancelRetryWindow: (() => void) | undefined;
  private fetchLoopDone: Promise<void> = Promise.resolve();
  private slotsDone: Promise<void> = Promise.resolve();
  private flushLoopDone: Promise<void> = Promise.resolve();
  /** Records consumed (duplicates included), for progress. */
  consumed = 0;

  constructor(
    readonly worker: Worker,
    private readonly options: InstanceOptions,
  ) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    // Retries are taken a few at a time: a large batch of them would hold up new work that
    // arrives meanwhile (in the handler slots, the flush, and the event loop's share of CPU).
    this.retryCapacity = Math.max(1, Math.min(Math.floor(options.maxInFlight / 4), Math.floor(options.maxPollRecords / 10)));
    this.log = options.logger.child({ worker: worker.id, instance: options.instance });
  }

  get status(): State {
    return this.state;
  }

  /** Records taken in and not yet flushed. */
  get inFlight(): number {
    return this.buffered;
  }

  /** True when nothing is queued, running or waiting to be flushed. */
  get idle(): boolean {
    return this.buffered === 0 && this.pendingOps === 0 && this.dirty.size === 0;
  }

  private get alive(): boolean {
    return this.state === "running" || this.state === "stopping";
  }

  private get exactlyOnce(): boolean {
    return this.options.delivery === "exactly-once";
  }

  private activity(): void {
    this.options.onActivity?.();
  }

  private fault(point: Parameters<FaultInjector["crashAt"]>[0]): void {
    if (this.options.faults?.crashAt(point, this.worker.id, this.options.instance)) {
      this.crash();
      throw new CrashSignal(point);
    }
  }

  /** Checks the topics, joins the group and starts the loops. */
  async start(): Promise<void> {
    const w = this.worker;
    const { transport } = this.options;
    if (this.exactlyOnce && !transport.capabilities.transactions) {
      throw new Error(`worker ${w.id}: exactly-once delivery needs a transport with transactions (${transport.kind} has none)`);
    }
    const needed = [w.inputTopic, ...w.retryTopics, w.deadLetterTopic, w.stateTopic, ...w.outputs.keys()];
    const found = await transport.describeTopics(needed);
    const missing = needed.filter((t) => !found.has(t));
    if (missing.length > 0) throw new Error(`worker ${w.id}: missing topics ${missing.join(", ")}`);
    for (const [topic, partitions] of w.outputs) {
      const has = found.get(topic)!.partitions;
      if (has < partitions) {
        throw new Error(`worker ${w.id}: topic ${topic} has ${has} partitions but a shard above it needs ${partitions}`);
      }
    }
    const inputPartitions = Math.max(...[w.inputTopic, ...w.retryTopics].map((t) => found.get(t)!.partitions));
    if (found.get(w.stateTopic)!.partitions < inputPartitions) {
      throw new Error(`worker ${w.id}: state topic ${w.stateTopic} needs at least ${inputPartitions} partitions`);
    }
    this.retryTierPartitions = w.retryTopics.map((t) => found.get(t)!.partitions);

    this.producer = await transport.producer();
    this.consumer = await transport.consumer({
      groupId: w.group,
      topics: [w.inputTopic, ...w.retryTopics],
      clientId: `${w.id}#${this.options.instance}`,
      listener: {
        assigned: (tps) => this.onAssigned(tps),
        revoked: (tps) => this.onRevoked(tps),
      },
    });
    if (this.state !== "starting") {
      // Crashed while starting.
      await this.consumer.close();
      return;
    }
    this.state = "running";
    this.log.debug("started");
    this.fetchLoopDone = this.guard(this.fetchLoop());
    this.flushLoopDone = this.guard(this.flushLoop());
    const concurrency = w.definition.handler === undefined ? 0 : (w.definition.handler.concurrency ?? 1);
    this.slotsDone = Promise.all(Array.from({ length: concurrency }, () => this.guard(this.slotLoop()))).then(() => undefined);
  }

  private guard(loop: Promise<void>): Promise<void> {
    return loop.catch((error: unknown) => {
      if (error instanceof CrashSignal || !this.alive) return;
      this.fail(error);
    });
  }

  // ---- taking records in -------------------------------------------------------------

  private async fetchLoop(): Promise<void> {
    const consumer = this.consumer!;
    let lastYield = performance.now();
    while (this.state === "running") {
      if (this.buffered >= this.options.maxInFlight) {
        await this.capacity.wait();
        continue;
      }
      const retriesOpen = this.applyRetryPriority();
      const room = Math.min(this.options.maxPollRecords, this.options.maxInFlight - this.buffered);
      const batches = await consumer.poll({
        // While retry partitions are open, a poll takes no more than the retries' room.
        maxRecords: retriesOpen ? Math.max(1, Math.min(room, this.retryCapacity - this.retryBuffered)) : room,
      });
      if (this.state !== "running") return;
      if (batches.length === 0) continue;
      this.fault("after-poll");
      for (const batch of batches) this.intakeBatch(batch);
      this.activity();
      // Everything in the embedded broker resolves immediately; give timers, signals and
      // progress output a turn now and then.
      if (performance.now() - lastYield > 10) {
        await new Promise((resolve) => setImmediate(resolve));
        lastYield = performance.now();
      }
    }
  }

  /** Retry topics are read only when no new work waits and a retry is due (priority).
   *  Returns whether any retry partition is open for this poll. */
  private applyRetryPriority(): boolean {
    if (this.worker.retryTopics.length === 0) return false;
    let open = false;
    const consumer = this.consumer!;
    const mainWaiting = this.scheduler.size > 0;
    const full = this.retryBuffered >= this.retryCapacity || this.retryBudgetSpent();
    for (const ps of this.partitions.values()) {
      if (!ps.retry || ps.revoked) continue;
      const fetch = !mainWaiting && !full && ps.held.length === 0;
      open ||= fetch;
      if (fetch && ps.paused) {
        ps.paused = false;
        consumer.resume([{ topic: ps.topic, partition: ps.partition }]);
      } else if (!fetch && !ps.paused) {
        ps.paused = true;
        consumer.pause([{ topic: ps.topic, partition: ps.partition }]);
      }
    }
    return open;
  }

  /**
   * Whether retries must wait for the next window: new work is flowing and this window's
   * share of retries is taken. Without it a backlog of due retries drains at full speed
   * between new messages and takes the CPU and flushes they need. The fetcher is woken when
   * the window ends.
   */
  private retryBudgetSpent(): boolean {
    const now = this.options.clock.now();
    if (now - this.mainSeenAt >= RETRY_WINDOW_MS) return false;
    if (now - this.retryWindowStart >= RETRY_WINDOW_MS) {
      this.retryWindowStart = now;
      this.retriesInWindow = 0;
    }
    if (this.retriesInWindow < this.retryCapacity) return false;
    if (this.cancelRetryWindow === undefined) {
      this.cancelRetryWindow = this.options.clock.schedule(this.retryWindowStart + RETRY_WINDOW_MS - now, () => {
        this.cancelRetryWindow = undefined;
        if (this.alive) this.consumer?.wakeup();
      });
    }
    return true;
  }

  private intakeBatch(batch: RecordBatch): void {
    const ps = this.partitions.get(tpKey(batch.topic, batch.partition));
    if (ps === undefined || ps.revoked) return;
    this.consumed += batch.records.length;
    this.options.metrics.records.inc({ worker: this.worker.id, topic: batch.topic }, batch.records.length);
    for (const record of batch.records) {
      if (ps.retry) this.intakeRetry(ps, record);
      else this.intakeMain(ps, record);
    }
    if (batch.nextOffset !== undefined) {
      ps.tracker.endAt(batch.nextOffset);
      // Nothing else may flush this partition soon: make sure the new position is committed.
      this.dirty.add(ps);
      this.flushWanted.notify();
    }
  }

  private decode(record: ConsumedRecord): DecodeResult<unknown> {
    if (record.value === null) return { ok: false, reason: "record has no value" };
    let raw: unknown;
    try {
      raw = JSON.parse(record.value);
    } catch (error) {
      return { ok: false, reason: `not JSON: ${errorText(error)}` };
    }
    try {
      const result = this.worker.definition.input.decode(raw);
      if (result?.ok === true) return result;
      if (result?.ok === false) return { ok: false, reason: `does not match the schema: ${result.reason}` };
      return { ok: false, reason: "the decoder returned no result" };
    } catch (error) {
      return { ok: false, reason: `the decoder threw: ${errorText(error)}` };
    }
  }

  private intakeMain(ps: PartitionState, record: ConsumedRecord): void {
    this.buffered++;
    this.mainSeenAt = this.options.clock.now();
    const entry = ps.tracker.track(record.offset);
    const id = record.headers[Headers.id] ?? coordinatesId(record.topic, record.partition, record.offset);
    const replay = record.headers[Headers.replay];
    const dedupeKey = replay === undefined ? id : `${id}\u0000replay:${replay}`;
    if (!ps.seen.addIfNew(dedupeKey)) {
      this.finishDuplicate(ps, entry);
      return;
    }
    const plan = this.worker.plan;
    const decoded = this.decode(record);
    const c = ps.counts;
    const d = plan.decodeIndex * FIELDS;
    if (!decoded.ok) {
      c[d + Field.in]++;
      c[d + Field.dead]++;
      this.deadLetter(ps, record, id, `${this.worker.id}/decode`, "malformed", decoded.reason, 1);
      this.finish(ps, entry, dedupeKey);
      return;
    }
    if (plan.handlerIndex < 0) {
      c[d + Field.in]++;
      c[d + Field.out]++;
      // A route-only worker forwards its input bytes: predicates see the decoded value.
      this.route(ps, record, id, decoded.value, record.value ?? undefined, "");
      this.deadLetterRouteFailures(ps, record, id, 1);
      this.finish(ps, entry, dedupeKey);
      return;
    }
    const queueKey =
      record.key === null ? `\u0001${record.partition}:${record.offset}` : `${record.partition}\u0000${record.key}`;
    this.scheduler.push(queueKey, { ps, record, entry, id, dedupeKey, value: decoded.value, attempt: 1, queueKey });
    this.work.notify();
  }

  private intakeRetry(ps: PartitionState, record: ConsumedRecord): void {
    this.buffered++;
    this.retryBuffered++;
    this.retriesInWindow++;
    const entry = ps.tracker.track(record.offset);
    const id = record.headers[Headers.id] ?? coordinatesId(record.topic, record.partition, record.offset);
    const attempt = Number(record.headers[Headers.attempt]);
    const dueAt = Number(record.headers[Headers.dueAt]);
    const replay = record.headers[Headers.replay];
    const dedupeKey = `${id}\u0000attempt:${attempt}${replay === undefined ? "" : `\u0000replay:${replay}`}`;
    if (!ps.seen.addIfNew(dedupeKey)) {
      this.finishDuplicate(ps, entry);
      return;
    }
    if (!Number.isInteger(attempt) || attempt < 2 || !Number.isFinite(dueAt)) {
      const d = this.worker.plan.decodeIndex * FIELDS;
      ps.counts[d + Field.in]++;
      ps.counts[d + Field.dead]++;
      this.deadLetter(ps, record, id, `${this.worker.id}/decode`, "malformed", "retry record without a valid attempt or due time", 1);
      this.finish(ps, entry, dedupeKey);
      return;
    }
    const held: Held = { record, entry, id, dedupeKey, attempt, dueAt };
    if (ps.held.length > 0 || dueAt > this.options.clock.now()) {
      ps.held.push(held);
      if (ps.held.length === 1) this.armHold(ps);
      return;
    }
    this.enqueueRetry(ps, held);
  }

  /** Waits for the head of a retry partition to fall due; the partition stays paused. */
  private armHold(ps: PartitionState): void {
    if (!ps.paused) {
      ps.paused = true;
      this.consumer!.pause([{ topic: ps.topic, partition: ps.partition }]);
    }
    const wait = ps.held[0].dueAt - this.options.clock.now();
    ps.cancelHold = this.options.clock.schedule(wait, () => this.releaseHeld(ps));
  }

  private releaseHeld(ps: PartitionState): void {
    ps.cancelHold = undefined;
    if (ps.revoked || !this.alive) return;
    const now = this.options.clock.now();
    while (ps.held.length > 0 && ps.held[0].dueAt <= now) this.enqueueRetry(ps, ps.held.shift()!);
    if (ps.held.length > 0) this.armHold(ps);
    else this.consumer!.wakeup();
    this.activity();
  }

  private enqueueRetry(ps: PartitionState, held: Held): void {
    const decoded = this.decode(held.record);
    if (!decoded.ok) {
      // Only possible if the decoder changed between attempts: settle as dead, never drop.
      const h = this.worker.plan.handlerIndex * FIELDS;
      ps.counts[h + Field.pending]--;
      ps.counts[h + Field.dead]++;
      this.deadLetter(ps, held.record, held.id, this.worker.definition.handler!.stage, "malformed", decoded.reason, held.attempt - 1);
      this.finish(ps, held.entry, held.dedupeKey);
      return;
    }
    this.retryQueue.push({
      ps,
      record: held.record,
      entry: held.entry,
      id: held.id,
      dedupeKey: held.dedupeKey,
      value: decoded.value,
      attempt: held.attempt,
      queueKey: undefined,
    });
    this.work.notify();
  }

  // ---- running the handler ---------------------------------------------------------------

  private async slotLoop(): Promise<void> {
    let lastYield = performance.now();
    while (this.state === "running") {
      const item = this.takeWork();
      if (item === undefined) {
        await this.work.wait();
        continue;
      }
      // A synchronous handler settles in this turn: no promise, no microtask per message.
      const pending = this.runItem(item);
      if (pending !== undefined) {
        await pending;
      } else if (performance.now() - lastYield > 10) {
        // Give the fetcher, the flusher and timers a turn now and then.
        await new Promise((resolve) => setImmediate(resolve));
        lastYield = performance.now();
      }
    }
  }

  /** New work first; a due retry only when no new work waits. */
  private takeWork(): WorkItem | undefined {
    const taken = this.scheduler.take();
    if (taken !== undefined) {
      if (this.scheduler.size === 0 && this.worker.retryTopics.length > 0) this.consumer!.wakeup();
      return taken.item;
    }
    return this.retryQueue.shift();
  }

  /** Runs one item; returns a promise only when the handler returned one. */
  private runItem(item: WorkItem): Promise<void> | undefined {
    const partition = item.ps;
    partition.running++;
    const handlerIndex = this.worker.plan.handlerIndex;
    this.options.ledger.processing(this.worker.id, handlerIndex, 1);
    let result: Outcome | Promise<Outcome>;
    try {
      result = this.invoke(item);
    } catch (error) {
      this.options.ledger.processing(this.worker.id, handlerIndex, -1);
      partition.running--;
      throw error;
    }
    if (result instanceof Promise) {
      return result.then(
        (outcome) => this.afterInvoke(item, outcome),
        (error: unknown) => {
          this.options.ledger.processing(this.worker.id, handlerIndex, -1);
          partition.running--;
          throw error;
        },
      );
    }
    this.afterInvoke(item, result);
    return undefined;
  }

  private afterInvoke(item: WorkItem, outcome: Outcome): void {
    const partition = item.ps;
    this.options.ledger.processing(this.worker.id, this.worker.plan.handlerIndex, -1);
    partition.running--;
    if (!this.alive) return;
    this.fault("after-handler");
    this.complete(item, outcome);
    if (item.queueKey !== undefined) {
      this.scheduler.release(item.queueKey);
      this.work.notify();
    }
    if (partition.running === 0) partition.idle.notify();
    this.activity();
  }

  /** Calls the handler: synchronously to the outcome when it returns a plain value. */
  private invoke(item: WorkItem): Outcome | Promise<Outcome> {
    const handler = this.worker.definition.handler!;
    const ctx = new Context(
      item.id,
      handler.stage,
      handler.lane,
      this.worker.definition.input.sharded ? item.record.partition : undefined,
      item.record.partition,
      item.attempt,
      this.log,
    );
    this.contexts.add(ctx);
    const started = performance.now();
    let result: unknown;
    try {
      result = handler.run(item.value as never, ctx);
    } catch (error) {
      return this.failed(ctx, started, error);
    }
    if (result !== null && typeof (result as PromiseLike<unknown>)?.then === "function") {
      return this.withTimeout(result as PromiseLike<unknown>, ctx, handler.timeoutMs).then(
        (value) => this.succeeded(ctx, started, value),
        (error: unknown) => this.failed(ctx, started, error),
      );
    }
    return this.succeeded(ctx, started, result);
  }

  private succeeded(ctx: Context, started: number, result: unknown): Outcome {
    const handler = this.worker.definition.handler!;
    let values: unknown[];
    let encoded: string[];
    if (this.worker.plan.route === undefined) {
      // Effect-only: the result goes nowhere; the attempt succeeded.
      this.contexts.delete(ctx);
      this.options.metrics.handlerSeconds.observe({ stage: handler.stage, result: "ok" }, (performance.now() - started) / 1000);
      return { ok: true, values: [result], encoded: [] };
    }
    try {
      values = handler.kind === "map" ? [result] : iterableToArray(result);
      // Encode now so an unserialisable result fails the attempt instead of the route.
      encoded = values.map((v) => JSON.stringify(v) ?? "null");
    } catch (error) {
      return this.failed(ctx, started, error);
    }
    this.contexts.delete(ctx);
    this.options.metrics.handlerSeconds.observe({ stage: handler.stage, result: "ok" }, (performance.now() - started) / 1000);
    return { ok: true, values, encoded };
  }

  private failed(ctx: Context, started: number, error: unknown): Outcome {
    this.contexts.delete(ctx);
    const stage = this.worker.definition.handler!.stage;
    this.options.metrics.handlerSeconds.observe({ stage, result: "error" }, (performance.now() - started) / 1000);
    return { ok: false, error };
  }

  private withTimeout(result: PromiseLike<unknown>, ctx: Context, timeoutMs: number | undefined): Promise<unknown> {
    if (timeoutMs === undefined) return Promise.resolve(result);
    return new Promise((resolve, reject) => {
      const cancel = this.options.clock.schedule(timeoutMs, () => {
        const error = new HandlerTimeoutError(`handler timed out after ${timeoutMs} ms`);
        ctx.abort(error);
        reject(error);
      });
      Promise.resolve(result).then(
        (value) => {
          cancel();
          resolve(value);
        },
        (error: unknown) => {
          cancel();
          reject(error);
        },
      );
    });
  }

  /** Settles a handler attempt into the partition's pending flush. */
  private complete(item: WorkItem, outcome: Outcome): void {
    const w = this.worker;
    const handler = w.definition.handler!;
    const { ps } = item;
    const c = ps.counts;
    const h = w.plan.handlerIndex * FIELDS;
    const d = w.plan.decodeIndex * FIELDS;
    const fromMain = !ps.retry;
    if (fromMain) {
      c[d + Field.in]++;
      c[d + Field.out]++;
      c[h + Field.in]++;
    }
    if (outcome.ok) {
      if (!fromMain) c[h + Field.pending]--;
      c[h + Field.completed]++;
      c[h + Field.out] += outcome.values.length;
      const single = handler.kind === "map";
      for (let i = 0; i < outcome.encoded.length; i++) {
        const prefix = single ? `${w.plan.handlerStep}>` : `${w.plan.handlerStep}#${i}>`;
        this.route(ps, item.record, item.id, outcome.values[i], outcome.encoded[i], prefix);
      }
      this.deadLetterRouteFailures(ps, item.record, item.id, item.attempt);
    } else {
      const error = errorText(outcome.error);
      const policy = handler.retry;
      const attempts = policy?.attempts ?? 1;
      const retriable = !(outcome.error instanceof NonRetriableError);
      if (retriable && item.attempt < attempts) {
        c[h + Field.retried]++;
        if (fromMain) c[h + Field.pending]++;
        const retry = item.attempt;
        const tier = Math.min(retry, w.retryTopics.length) - 1;
        const dueAt = this.options.clock.now() + backoffDelay(policy?.backoff, retry, this.options.random);
        const partition = item.record.partition < this.retryTierPartitions[tier] ? item.record.partition : undefined;
        ps.outputs.push(
          retryRecord({ topic: w.retryTopics[tier], id: item.id, partition, record: item.record, nextAttempt: item.attempt + 1, dueAt, error }),
        );
        ps.sideRecords++;
        this.log.debug({ messageId: item.id, attempt: item.attempt, dueAt, error }, "handler failed, retry scheduled");
      } else {
        if (!fromMain) c[h + Field.pending]--;
        c[h + Field.dead]++;
        const reason: DeadLetterReason = outcome.error instanceof HandlerTimeoutError ? "timeout" : "handler-error";
        this.deadLetter(ps, item.record, item.id, handler.stage, reason, error, item.attempt);
      }
    }
    this.finish(ps, item.entry, item.dedupeKey);
  }

  /** Sends one value through the route tree; emissions land in the partition's pending flush. */
  private route(
    ps: PartitionState,
    record: ConsumedRecord,
    id: string,
    value: unknown,
    encoded: string | undefined,
    idPrefix: string,
  ): void {
    const scope = this.scope;
    scope.counts = ps.counts;
    scope.value = value;
    scope.encoded = encoded;
    scope.parentId = id;
    scope.idBase = id;
    scope.idPrefix = idPrefix;
    scope.hedge = record.headers[Headers.hedge];
    scope.emissions = ps.outputs;
    scope.failures = this.failures;
    this.worker.plan.route!.run(scope, record.key);
  }

  /**
   * One dead letter per input for the route errors its values hit (a flatMap's items or copy
   * lanes may fail separately; replaying means replaying the input, so one record says it all).
   */
  private deadLetterRouteFailures(ps: PartitionState, record: ConsumedRecord, id: string, attempts: number): void {
    if (this.failures.length === 0) return;
    const messages = [...new Set(this.failures.map((f) => `${f.stage}: ${f.message}`))];
    this.deadLetter(ps, record, id, this.failures[0].stage, "route-error", messages.join("; "), attempts);
    this.failures.length = 0;
  }

  private deadLetter(
    ps: PartitionState,
    record: ConsumedRecord,
    id: string,
    stage: string,
    reason: DeadLetterReason,
    error: string,
    attempts: number,
  ): void {
    ps.outputs.push(
      deadLetterRecord({
        topic: this.worker.deadLetterTopic,
        id,
        worker: this.worker.id,
        stage,
        reason,
        error,
        attempts,
        record,
        failedAt: this.options.clock.now(),
      }),
    );
    ps.sideRecords++;
    this.log.warn({ messageId: id, stage, reason, error, attempts }, "dead-lettered");
  }

  private finish(ps: PartitionState, entry: OffsetEntry, dedupeKey: string): void {
    ps.finished.push(entry);
    ps.marks.push(dedupeKey);
    ps.records++;
    if (ps.retry) this.retryDone();
    this.dirty.add(ps);
    this.flushWanted.notify();
  }

  private finishDuplicate(ps: PartitionState, entry: OffsetEntry): void {
    ps.counts[this.worker.plan.decodeIndex * FIELDS + Field.duplicates]++;
    ps.finished.push(entry);
    ps.records++;
    if (ps.retry) this.retryDone();
    this.dirty.add(ps);
    this.flushWanted.notify();
  }

  /** A retry left the buffer: when that makes room, the fetcher may open retry partitions. */
  private retryDone(): void {
    this.retryBuffered--;
    if (this.retryBuffered === this.retryCapacity - 1) this.consumer?.wakeup();
  }

  // ---- flushing ------------------------------------------------------------------------------

  /**
   * Starts every flush that can start now and returns whether it started one. At-least-once:
   * one produce request in flight per instance (one idempotent producer: kafkajs keeps no
   * sequence numbers for overlapping sends, and one request at a time keeps each output
   * partition in flush order); whatever finishes meanwhile goes into the next one.
   * Exactly-once: one transaction in flight per input partition, the partitions' transactions
   * concurrently (each has its own transactional producer).
   */
  private startFlushes(): boolean {
    if (this.dirty.size === 0 || !this.alive) return false;
    if (this.exactlyOnce) {
      let started = false;
      for (const ps of this.dirty) {
        if (ps.flushing) continue;
        this.dirty.delete(ps);
        const swap = this.takeSwap(ps);
        ps.flushing = true;
        this.track(
          this.transact(swap).finally(() => {
            ps.flushing = false;
          }),
        );
        started = true;
      }
      return started;
    }
    if (this.sending) return false;
    const swaps: Swap[] = [];
    for (const ps of this.dirty) swaps.push(this.takeSwap(ps));
    this.dirty.clear();
    this.sending = true;
    this.track(
      this.produce(swaps).finally(() => {
        this.sending = false;
      }),
    );
    return true;
  }

  /** Counts a flush operation in flight until it settles; a failure fails the instance. */
  private track(op: Promise<void>): void {
    this.pendingOps++;
    op.catch((error: unknown) => {
      if (error instanceof CrashSignal || !this.alive) return;
      this.fail(error);
    }).finally(() => {
      this.pendingOps--;
      this.flushDone.notify();
      this.flushWanted.notify();
      this.activity();
    });
  }

  /** Takes what a partition finished since its last flush. */
  private takeSwap(ps: PartitionState): Swap {
    const w = this.worker;
    const swap: Swap = {
      ps,
      outputs: ps.outputs,
      side: ps.sideRecords,
      marks: ps.marks,
      finished: ps.finished,
      counts: ps.counts,
      records: ps.records,
    };
    // Exactly-once: the offset goes into the same transaction as the outputs, and a partition
    // has one transaction at a time. At-least-once: done once the outputs are stored.
    if (this.exactlyOnce) for (const entry of ps.finished) entry.done = true;
    ps.outputs = [];
    ps.sideRecords = 0;
    ps.marks = [];
    ps.finished = [];
    ps.counts = w.plan.table.newCounters();
    ps.records = 0;
    // Before anything leaves the worker: a broken law must not reach the broker.
    checkSettledCounts(w.id, w.plan, swap.counts, swap.outputs.length - swap.side);
    return swap;
  }

  private async flushLoop(): Promise<void> {
    // While stopping, stop() flushes what is left itself.
    while (this.state === "running") {
      if (!this.startFlushes()) await this.flushWanted.wait();
    }
  }

  /** Flushes and commits until nothing is pending or in flight (revocation, stop). */
  private async flushAll(): Promise<void> {
    while (this.alive) {
      if (this.startFlushes()) continue;
      if (this.pendingOps === 0) {
        if (this.dirty.size === 0) return;
        throw new Error(`worker ${this.worker.id}: ${this.dirty.size} partitions to flush but no flush can start`);
      }
      await this.flushDone.wait();
    }
  }

  /**
   * At-least-once flush: the outputs (with retry and dead-letter records), then, once they are
   * acknowledged, one dedupe mark per input partition; then the ledger is settled, the
   * records' offsets become committable and a commit is requested (it runs beside the next
   * flush). A mark is never stored before the outputs it covers: a produce request is not
   * atomic across partitions (on a cluster, not even across brokers), and a mark stored for
   * outputs that were not would make the partition's next owner skip those messages: lost.
   * Counters reach the ledger only once the marks are durable, so a crash never counts a
   * message twice. An offset is committed only once everything before it is stored.
   */
  private async produce(swaps: readonly Swap[]): Promise<void> {
    const w = this.worker;
    const outputs = swaps.length === 1 ? swaps[0].outputs : swaps.flatMap((s) => s.outputs);
    if (outputs.length > 0) await this.producer!.send(outputs);
    if (!this.alive) return;
    this.fault("after-produce");
    const marks: ProducerRecord[] = [];
    for (const s of swaps) {
      if (s.marks.length > 0) marks.push(markRecord(w.stateTopic, s.ps.topic, s.ps.partition, s.marks));
    }
    if (marks.length > 0) await this.producer!.send(marks);
    // Stored: settle even if the instance died meanwhile (the request was on the wire).
    for (const s of swaps) {
      for (const entry of s.finished) entry.done = true;
      this.settle(s.counts, s.records);
    }
    if (!this.alive) return;
    this.fault("after-marks");
    this.requestCommit();
  }

  /** At-least-once: commits committable offsets, one OffsetCommit in flight at a time. */
  private requestCommit(): void {
    this.commitWanted = true;
    if (this.committing) return;
    this.committing = true;
    this.track(this.commitLoop());
  }

  private async commitLoop(): Promise<void> {
    try {
      while (this.commitWanted && this.alive) {
        this.commitWanted = false;
        const offsets: TopicPartitionOffset[] = [];
        const states: PartitionState[] = [];
        for (const ps of this.partitions.values()) {
          const offset = ps.tracker.committable();
          if (offset !== undefined && offset !== ps.lastCommitted) {
            offsets.push({ topic: ps.topic, partition: ps.partition, offset });
            states.push(ps);
          }
        }
        if (offsets.length === 0) continue;
        await this.consumer!.commit(offsets);
        for (let i = 0; i < states.length; i++) states[i].lastCommitted = offsets[i].offset;
        if (!this.alive) return;
        this.fault("after-commit");
      }
    } finally {
      this.committing = false;
    }
  }

  /** Exactly-once flush of one input partition: one transaction with the outputs, the mark and
   *  the offset. Counters reach the ledger only once it is committed. */
  private async transact(s: Swap): Promise<void> {
    const ps = s.ps;
    const records = s.marks.length > 0 ? [...s.outputs, markRecord(this.worker.stateTopic, ps.topic, ps.partition, s.marks)] : s.outputs;
    const offset = ps.tracker.committable();
    const commit = offset !== undefined && offset !== ps.lastCommitted;
    if (records.length > 0 || commit) {
      const txn = await ps.producer!.transaction();
      // A dead instance sends nothing more (its producer is closed, aborting the transaction).
      if (!this.alive) return;
      if (records.length > 0) await txn.send(records);
      if (!this.alive) return;
      if (commit) await txn.sendOffsets(this.consumer!, [{ topic: ps.topic, partition: ps.partition, offset }]);
      if (!this.alive) return;
      this.fault("in-transaction");
      await txn.commit();
      if (commit) ps.lastCommitted = offset;
    }
    this.settle(s.counts, s.records);
  }

  private settle(counts: Float64Array, records: number): void {
    this.options.ledger.apply(this.worker.id, counts);
    this.buffered -= records;
    this.capacity.notify();
    this.activity();
  }

  // ---- rebalancing ---------------------------------------------------------------------------

  private async onAssigned(tps: readonly TopicPartition[]): Promise<void> {
    const w = this.worker;
    const { transport } = this.options;
    for (const tp of tps) {
      const tier = w.retryTopics.indexOf(tp.topic);
      const seen = await restoreSeen(transport, w.stateTopic, tp.topic, tp.partition, this.options.dedupeWindow);
      const ps = new PartitionState(tp.topic, tp.partition, tier, seen, w.plan.table.newCounters());
      if (this.exactlyOnce) {
        // One transactional id per input partition: the next owner fences this producer.
        ps.producer = await transport.producer({ transactionalId: `${w.group}/${tp.topic}/${tp.partition}` });
      }
      if (this.state === "crashed" || this.state === "failed") {
        await ps.producer?.close();
        return;
      }
      this.partitions.set(ps.key, ps);
      if (ps.retry) {
        // Retry partitions start paused: the fetcher opens them when no new work waits, so
        // make the current poll return and let it decide.
        ps.paused = true;
        this.consumer?.pause([tp]);
        this.consumer?.wakeup();
      }
      this.log.debug({ topic: tp.topic, partition: tp.partition, remembered: seen.size }, "partition assigned");
    }
  }

  private async onRevoked(tps: readonly TopicPartition[]): Promise<void> {
    const states = tps.map((tp) => this.partitions.get(tpKey(tp.topic, tp.partition))).filter((ps) => ps !== undefined);
    for (const ps of states) ps.revoked = true;
    this.dropUnstarted((ps) => ps.revoked);
    for (const ps of states) while (ps.running > 0) await ps.idle.wait();
    // Commit what is finished while the partitions are still ours.
    await this.flushAll();
    for (const ps of states) {
      this.partitions.delete(ps.key);
      await ps.producer?.close();
      this.log.debug({ topic: ps.topic, partition: ps.partition }, "partition revoked");
    }
  }

  /** Forgets queued and held records (uncommitted: the partition's next reader gets them). */
  private dropUnstarted(which: (ps: PartitionState) => boolean): void {
    let dropped = 0;
    let droppedRetries = 0;
    for (const ps of this.partitions.values()) {
      if (!which(ps)) continue;
      ps.cancelHold?.();
      ps.cancelHold = undefined;
      dropped += ps.held.length;
      droppedRetries += ps.held.length;
      ps.held = [];
    }
    dropped += this.scheduler.removeWhere((item) => which(item.ps)).length;
    const keptRetries = this.retryQueue.filter((item) => !which(item.ps));
    droppedRetries += this.retryQueue.length - keptRetries.length;
    dropped += this.retryQueue.length - keptRetries.length;
    this.retryQueue = keptRetries;
    this.buffered -= dropped;
    this.retryBuffered -= droppedRetries;
    if (dropped > 0) this.capacity.notify();
  }

  // ---- stopping ------------------------------------------------------------------------------

  /**
   * Graceful stop: stop fetching, drop queued work (uncommitted, so it is redelivered), let
   * running handlers finish (up to `graceMs`, then crash), flush, commit, leave the group.
   */
  async stop(graceMs = 30_000): Promise<InstanceExit> {
    if (this.state !== "running") return this.done;
    this.state = "stopping";
    this.consumer!.wakeup();
    this.work.notify();
    this.capacity.notify();
    this.flushWanted.notify();
    this.dropUnstarted(() => true);
    let cancelGrace = () => {};
    const grace = new Promise<void>((resolve) => {
      cancelGrace = this.options.clock.schedule(graceMs, () => {
        this.log.warn({ graceMs }, "handlers still running after the grace period; stopping hard");
        this.crash();
        resolve();
      });
    });
    await Promise.race([Promise.all([this.fetchLoopDone, this.slotsDone, this.flushLoopDone]), grace]);
    cancelGrace();
    if (this.state !== "stopping") return this.done;
    try {
      await this.flushAll();
    } catch (error) {
      this.fail(error);
      return this.done;
    }
    if (this.state !== "stopping") return this.done;
    this.state = "stopped";
    this.cancelRetryWindow?.();
    await this.closeAll();
    this.log.debug("stopped");
    this.resolveDone({ kind: "stopped" });
    return this.done;
  }

  /** Simulates a crash (SIGKILL): nothing more is written or committed; the group moves the
   *  partitions on and uncommitted records are redelivered. */
  crash(): void {
    if (this.state === "stopped" || this.state === "crashed" || this.state === "failed") return;
    this.state = "crashed";
    this.options.metrics.crashes.inc({ worker: this.worker.id });
    this.log.debug("crashed");
    this.teardown();
    this.resolveDone({ kind: "crashed" });
  }

  private fail(error: unknown): void {
    if (this.state === "stopped" || this.state === "crashed" || this.state === "failed") return;
    this.state = "failed";
    this.log.error({ err: error }, "worker failed");
    this.teardown();
    this.resolveDone({ kind: "failed", error });
  }

  private teardown(): void {
    this.cancelRetryWindow?.();
    for (const ctx of this.contexts) ctx.abort(new Error("worker stopped"));
    for (const ps of this.partitions.values()) ps.cancelHold?.();
    void this.closeAll();
    this.work.notify();
    this.capacity.notify();
    this.flushWanted.notify();
    this.flushDone.notify();
    for (const ps of this.partitions.values()) ps.idle.notify();
  }

  private async closeAll(): Promise<void> {
    // A killed process's last requests reach the broker long before its group session times
    // out. Leaving the group while a flush is still in flight would hand the partitions to a
    // new owner that reads the dedupe state before this flush's marks land, and both would
    // count the same message.
    while (this.pendingOps > 0) await this.flushDone.wait();
    const closing: Array<Promise<void>> = [];
    if (this.consumer) closing.push(this.consumer.close());
    if (this.producer) closing.push(this.producer.close());
    for (const ps of this.partitions.values()) if (ps.producer) closing.push(ps.producer.close());
    await Promise.allSettled(closing);
  }
}

function iterableToArray(result: unknown): unknown[] {
  if (Array.isArray(result)) return result;
  if (
    result === null ||
    result === undefined ||
    typeof result === "string" ||
    typeof (result as Iterable<unknown>)[Symbol.iterator] !== "function"
  ) {
    throw new TypeError("a flatMap handler must return an array or another iterable");
  }
  return Array.from(result as Iterable<unknown>);
}
