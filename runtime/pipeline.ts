import type { Registry } from "prom-client";
import type { Logger, LevelWithSilent } from "pino";
import { Headers } from "../stdlib/headers.js";
import { ConservationError, Ledger, type StageReport } from "./accounting.js";
import { systemClock, VirtualClock, type Clock } from "./clock.js";
import { EmbeddedBroker } from "./embedded/broker.js";
import { createLogger } from "./logging.js";
import { RunMetrics } from "./metrics.js";
import { SeenWindow } from "./runner/dedupe.js";
import { WorkerInstance, type FaultInjector, type InstanceExit } from "./runner/instance.js";
import { Signal } from "./runner/signal.js";
import { DEFAULT_DEDUPE_WINDOW, topicSpecs, topicsWithRole, type Topology } from "./topology.js";
import type { ConsumedRecord, Consumer, ProducerRecord, Transport } from "./transport.js";
import type { DeliveryMode, Worker } from "./worker.js";

/** A record to feed into a source topic. */
export interface SourceRecord {
  /** The value, JSON-encoded by the runtime... */
  readonly value?: unknown;
  /** ...or the exact bytes to send (malformed input included). */
  readonly raw?: string | null;
  readonly key?: string | null;
  /** Becomes the `flowc-id` header: give one to make duplicates recognisable. */
  readonly id?: string;
  readonly partition?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface SourceFeed {
  readonly topic: string;
  readonly records: Iterable<SourceRecord> | AsyncIterable<SourceRecord>;
}

export interface SinkOptions {
  /** Default: the sink topics of the topology (emitted into, consumed by no worker). */
  readonly topics?: readonly string[];
  /** Called once per message id, in partition order. The record is committed after it returns. */
  readonly onRecord: (topic: string, record: ConsumedRecord) => void | Promise<void>;
}

export interface PipelineOptions {
  readonly workers: readonly Worker[];
  /** topology.json; without it topics are planned from the workers. */
  readonly topology?: Topology;
  /** Default: a new EmbeddedBroker on the run's clock. */
  readonly transport?: Transport;
  /** "auto" (default): exactly-once when the transport has transactions. */
  readonly delivery?: DeliveryMode | "auto";
  /** Instances per worker id (default 1): they share the worker's partitions. */
  readonly instances?: Readonly<Record<string, number>>;
  readonly sources?: readonly SourceFeed[];
  /** Partitions of source topics when no topology gives them. */
  readonly sourcePartitions?: number | Readonly<Record<string, number>>;
  readonly sinks?: SinkOptions;
  /** "drained" (default): stop once every input is processed; "stopped": run until stop(). */
  readonly until?: "drained" | "stopped";
  readonly clock?: Clock;
  /** Jitter source for backoff (inject for reproducible tests). */
  readonly random?: () => number;
  readonly logger?: Logger;
  readonly logLevel?: LevelWithSilent;
  /** Register the run's metrics here instead of a fresh registry. */
  readonly registry?: Registry;
  /** Per-instance bound on records taken in and not yet flushed (default 4,000). */
  readonly maxInFlight?: number;
  /** Records asked for per poll (default 1,000). */
  readonly maxPollRecords?: number;
  /** Ids remembered per input partition for duplicate suppression (default 10,000). */
  readonly dedupeWindow?: number;
  /** Feeding a source pauses while its consumers lag by more than this (default 10,000). */
  readonly maxSourceLag?: number;
  /** Start a new instance when one crashes (default true). */
  readonly restartCrashed?: boolean;
  readonly faults?: FaultInjector;
  readonly onProgress?: (progress: Progress) => void;
  readonly progressIntervalMs?: number;
  /** Aborting stops the run gracefully (Ctrl-C). */
  readonly signal?: AbortSignal;
  /** How long a graceful stop waits for running handlers (default 30 s). */
  readonly stopGraceMs?: number;
}

export interface WorkerProgress {
  readonly id: string;
  /** Live instances. */
  readonly instances: number;
  /** Instances started so far (restarts and scaling included). */
  readonly started: number;
  readonly crashes: number;
  readonly consumed: number;
  /** Records taken in and not yet flushed, over instances. */
  readonly inFlight: number;
}

export interface Progress {
  readonly elapsedMs: number;
  readonly stages: readonly StageReport[];
  readonly workers: readonly WorkerProgress[];
  readonly sources: ReadonlyArray<{ readonly topic: string; readonly produced: number; readonly done: boolean }>;
  readonly sinks: ReadonlyArray<{ readonly topic: string; readonly records: number }>;
}

export interface TopicReport {
  readonly name: string;
  readonly role: string;
  readonly partitions: number;
  /** Records ever appended (the sum of end offsets). */
  readonly records: number;
}

/** What a run did, stage by stage. Its stages satisfy the conservation laws (checked). */
export interface RunSummary {
  readonly status: "drained" | "stopped";
  readonly durationMs: number;
  readonly transport: string;
  readonly delivery: DeliveryMode;
  readonly stages: readonly StageReport[];
  readonly workers: readonly WorkerProgress[];
  readonly topics: readonly TopicReport[];
  readonly sources: Progress["sources"];
  /** Distinct records delivered to `sinks.onRecord`, per sink topic (when collecting). */
  readonly sinks: Progress["sinks"];
  readonly deadLetters: ReadonlyArray<{ readonly topic: string; readonly records: number }>;
}

export interface PipelineRun {
  readonly transport: Transport;
  readonly metrics: RunMetrics;
  readonly clock: Clock;
  /** Resolves with the summary when the run ends; rejects if a worker failed or a
   *  conservation law broke (ConservationError carries the violations). */
  readonly done: Promise<RunSummary>;
  /** Graceful stop: running handlers finish, finished work is committed. */
  stop(): Promise<RunSummary>;
  /** Crashes one instance of a worker (the first live one, or `instance`), like a SIGKILL. */
  crash(workerId: string, instance?: number): boolean;
  /** Starts or gracefully stops instances until the worker has `count`. */
  scale(workerId: string, count: number): Promise<void>;
  progress(): Progress;
}

interface Slot {
  readonly worker: Worker;
  readonly live: WorkerInstance[];
  crashes: number;
  started: number;
  target: number;
  /** Records consumed by instances that have exited. */
  consumedBefore: number;
}

function macrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

class Run implements PipelineRun {
  readonly transport: Transport;
  readonly metrics: RunMetrics;
  readonly clock: Clock;
  readonly done: Promise<RunSummary>;
  private readonly ledger: Ledger;
  private readonly logger: Logger;
  private readonly delivery: DeliveryMode;
  private readonly slots = new Map<string, Slot>();
  private readonly started = Date.now();
  private readonly activitySignal = new Signal();
  private activityCount = 0;
  private stopRequested = false;
  private failure: unknown;
  private readonly sourceState: Array<{ topic: string; produced: number; done: boolean }> = [];
  private readonly sinkState: Array<{ topic: string; records: number; consumer?: Consumer; group: string; commitRead?: () => Promise<void> }> = [];
  private sinkLoops: Array<Promise<void>> = [];
  private closing = false;

  constructor(private readonly options: PipelineOptions) {
    this.clock = options.clock ?? systemClock;
    this.transport = options.transport ?? new EmbeddedBroker({ clock: this.clock });
    this.logger = options.logger ?? createLogger({ level: options.logLevel });
    // The gauge reads the ledger lazily, at scrape time.
    this.metrics = new RunMetrics({ registry: options.registry, inFlight: () => this.ledger.inFlight() });
    this.ledger = new Ledger(this.metrics);
    const wanted = options.delivery ?? "auto";
    this.delivery =
      wanted === "auto" ? (this.transport.capabilities.transactions ? "exactly-once" : "at-least-once") : wanted;
    this.done = this.run();
    // Callers that only await stop() should not see an unhandled rejection.
    this.done.catch(() => {});
  }

  private activity = (): void => {
    this.activityCount++;
    this.activitySignal.notify();
  };

  private async run(): Promise<RunSummary> {
    const { workers } = this.options;
    const ids = new Set<string>();
    for (const w of workers) {
      if (ids.has(w.id)) throw new Error(`two workers have the id '${w.id}'`);
      ids.add(w.id);
      this.ledger.register(w);
    }
    await this.transport.createTopics(
      topicSpecs(workers, this.options.topology, {
        sourcePartitions: this.options.sourcePartitions,
        dedupeWindow: this.options.dedupeWindow,
      }),
    );
    // A resumed run finds work from before it: count it in so the books balance.
    for (const w of workers) {
      let waiting = 0;
      for (const topic of w.retryTopics) waiting += await this.backlog(w.group, topic);
      if (waiting > 0) this.ledger.carryOver(w.id, w.plan.handlerIndex, waiting);
      const input = await this.backlog(w.group, w.inputTopic);
      if (input > 0) this.ledger.carryOverInput(w.id, input);
    }
    const onAbort = () => void this.stop();
    this.options.signal?.addEventListener("abort", onAbort, { once: true });
    const progressTimer =
      this.options.onProgress === undefined
        ? undefined
        : setInterval(() => this.options.onProgress?.(this.progress()), this.options.progressIntervalMs ?? 500);
    progressTimer?.unref();
    let status: RunSummary["status"] = "stopped";
    let feeding: Array<Promise<void>> = [];
    try {
      for (const w of workers) {
        const target = this.options.instances?.[w.id] ?? 1;
        const slot: Slot = { worker: w, live: [], crashes: 0, started: 0, target, consumedBefore: 0 };
        this.slots.set(w.id, slot);
        for (let i = 0; i < target; i++) await this.startInstance(slot);
      }
      await this.startSinks();
      feeding = (this.options.sources ?? []).map((s) =>
        this.feed(s).catch((error: unknown) => {
          this.failure ??= error;
          this.activity();
        }),
      );
      if (this.options.signal?.aborted) this.stopRequested = true;
      status = await this.supervise();
    } catch (error) {
      this.failure ??= error;
    } finally {
      if (progressTimer) clearInterval(progressTimer);
      this.options.signal?.removeEventListener("abort", onAbort);
    }
    // A failed run stops its feeders at the next batch; a drained one has none left.
    this.stopRequested ||= this.failure !== undefined;
    await Promise.all(feeding);
    await this.shutdown(this.failure !== undefined);
    if (this.failure !== undefined) throw this.failure;
    const summary = await this.summary(status);
    this.options.onProgress?.(this.progress());
    if (status === "drained") {
      const violations = this.ledger.finalViolations(workers);
      if (violations.length > 0) {
        const error = new ConservationError(violations);
        (error as ConservationError & { summary?: RunSummary }).summary = summary;
        throw error;
      }
    }
    return summary;
  }

  private async startInstance(slot: Slot): Promise<WorkerInstance> {
    const instance = new WorkerInstance(slot.worker, {
      transport: this.transport,
      clock: this.clock,
      random: this.options.random ?? Math.random,
      logger: this.logger,
      ledger: this.ledger,
      metrics: this.metrics,
      delivery: slot.worker.definition.delivery ?? this.delivery,
      maxInFlight: this.options.maxInFlight ?? 4000,
      maxPollRecords: this.options.maxPollRecords ?? 1000,
      dedupeWindow: this.options.dedupeWindow ?? DEFAULT_DEDUPE_WINDOW,
      instance: slot.started++,
      faults: this.options.faults,
      onActivity: this.activity,
    });
    slot.live.push(instance);
    void instance.done.then((exit) => this.onExit(slot, instance, exit));
    await instance.start();
    return instance;
  }

  private onExit(slot: Slot, instance: WorkerInstance, exit: InstanceExit): void {
    const i = slot.live.indexOf(instance);
    if (i >= 0) slot.live.splice(i, 1);
    slot.consumedBefore += instance.consumed;
    this.activity();
    if (exit.kind === "failed") {
      this.failure ??= exit.error;
      return;
    }
    if (exit.kind === "crashed") {
      slot.crashes++;
      if ((this.options.restartCrashed ?? true) && !this.stopRequested && !this.closing && slot.live.length < slot.target) {
        this.startInstance(slot).catch((error: unknown) => {
          this.failure ??= error;
          this.activity();
        });
      } else {
        slot.target = Math.min(slot.target, slot.live.length);
      }
    }
  }

  /** Waits until drained (or stopped), advancing a VirtualClock whenever nothing else moves. */
  private async supervise(): Promise<RunSummary["status"]> {
    const virtual = this.clock instanceof VirtualClock ? this.clock : undefined;
    let quietTurns = 0;
    let stalledTurns = 0;
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      if (this.stopRequested) return "stopped";
      const before = this.activityCount;
      await macrotask();
      if (this.activityCount !== before) {
        quietTurns = 0;
        stalledTurns = 0;
        continue;
      }
      quietTurns++;
      if ((this.options.until ?? "drained") === "drained" && (await this.drained())) return "drained";
      if (this.activityCount !== before) continue;
      if (virtual) {
        // Two quiet turns: every loop is parked on the broker or on a timer.
        if (quietTurns < 2) continue;
        if (virtual.advanceToNextTimer()) {
          quietTurns = 0;
          continue;
        }
        if (++stalledTurns > 1000) throw new Error("the pipeline stalled: nothing runs, nothing is due, and it is not drained");
      } else {
        await Promise.race([this.activitySignal.wait(), new Promise((r) => setTimeout(r, 25))]);
      }
    }
  }

  private async drained(): Promise<boolean> {
    if (this.sourceState.some((s) => !s.done)) return false;
    if (this.sourceState.length < (this.options.sources?.length ?? 0)) return false;
    for (const slot of this.slots.values()) {
      if (slot.live.length < slot.target) return false;
      for (const instance of slot.live) {
        if (instance.status !== "running" || !instance.idle) return false;
      }
      for (const topic of [slot.worker.inputTopic, ...slot.worker.retryTopics]) {
        if (!(await this.caughtUp(slot.worker.group, topic))) return false;
      }
    }
    for (const sink of this.sinkState) if (!(await this.caughtUp(sink.group, sink.topic))) return false;
    return true;
  }

  private async caughtUp(group: string, topic: string): Promise<boolean> {
    const [marks, committed] = await Promise.all([this.transport.watermarks(topic), this.transport.committed(group, topic)]);
    return marks.every((m) => (committed[m.partition] ?? m.low) >= m.high);
  }

  /** Records of a topic the group has not committed yet. */
  private async backlog(group: string, topic: string): Promise<number> {
    const [marks, committed] = await Promise.all([this.transport.watermarks(topic), this.transport.committed(group, topic)]);
    return marks.reduce((n, m) => n + m.high - Math.max(m.low, committed[m.partition] ?? m.low), 0);
  }

  private async lag(topic: string): Promise<number> {
    const groups = [...this.slots.values()].filter((s) => s.worker.inputTopic === topic).map((s) => s.worker.group);
    if (groups.length === 0) return 0;
    const marks = await this.transport.watermarks(topic);
    let worst = 0;
    for (const group of groups) {
      const committed = await this.transport.committed(group, topic);
      let lag = 0;
      for (const m of marks) lag += m.high - (committed[m.partition] ?? m.low);
      worst = Math.max(worst, lag);
    }
    return worst;
  }

  private async feed(source: SourceFeed): Promise<void> {
    const state = { topic: source.topic, produced: 0, done: false };
    this.sourceState.push(state);
    const producer = await this.transport.producer();
    const maxLag = this.options.maxSourceLag ?? 10_000;
    // Sends of up to 1,000 records (a tenth of the lag bound when that is smaller).
    const batchSize = Math.max(1, Math.min(1000, Math.floor(maxLag / 10)));
    let batch: ProducerRecord[] = [];
    // An upper bound of the lag: the last lag measured plus what was produced since (consumers
    // only shrink it). The lag is measured (watermarks and committed offsets, a few requests)
    // only when the bound passes maxLag.
    let lagBound = Number.POSITIVE_INFINITY;
    const send = async () => {
      if (batch.length === 0) return;
      await producer.send(batch);
      state.produced += batch.length;
      lagBound += batch.length;
      batch = [];
      this.activity();
      // Backpressure: a 10M-record input never sits in the broker at once.
      while (!this.stopRequested && this.failure === undefined && lagBound > maxLag) {
        lagBound = await this.lag(source.topic);
        if (lagBound <= maxLag) break;
        await Promise.race([this.activitySignal.wait(), new Promise((r) => setTimeout(r, 50))]);
      }
    };
    try {
      for await (const r of source.records) {
        if (this.stopRequested || this.failure !== undefined) break;
        let headers: Record<string, string>;
        if (r.headers === undefined) headers = r.id === undefined ? {} : { "flowc-id": r.id };
        else {
          headers = { ...r.headers };
          if (r.id !== undefined) headers[Headers.id] = r.id;
        }
        batch.push({
          topic: source.topic,
          partition: r.partition,
          key: r.key ?? null,
          value: r.raw !== undefined ? r.raw : (JSON.stringify(r.value) ?? "null"),
          headers,
        });
        if (batch.length >= batchSize) await send();
      }
      await send();
    } finally {
      state.done = true;
      await producer.close();
      this.activity();
    }
  }

  private async startSinks(): Promise<void> {
    const sinks = this.options.sinks;
    if (sinks === undefined) return;
    const topics = sinks.topics ?? topicsWithRole(this.options.workers, this.options.topology, "sink");
    for (const topic of topics) {
      const group = `flowc.sink.${topic}`;
      const state: { topic: string; records: number; consumer?: Consumer; group: string; commitRead?: () => Promise<void> } = {
        topic,
        records: 0,
        group,
      };
      this.sinkState.push(state);
      const seen = new Map<number, SeenWindow>();
      state.consumer = await this.transport.consumer({
        groupId: group,
        topics: [topic],
        clientId: `sink:${topic}`,
      });
      const consumer = state.consumer;
      const window = this.options.dedupeWindow ?? DEFAULT_DEDUPE_WINDOW;
      // Offsets are committed beside the reading, one OffsetCommit in flight with everything
      // read meanwhile (a sink's records are handed out before their offsets are committed
      // either way: a crash repeats them, and the sink's window drops the repeats it can see).
      const toCommit = new Map<number, number>();
      let inFlight: Promise<void> | undefined;
      const commit = (): Promise<void> | undefined => {
        if (inFlight !== undefined || toCommit.size === 0) return inFlight;
        const offsets = [...toCommit].map(([partition, offset]) => ({ topic, partition, offset }));
        toCommit.clear();
        inFlight = consumer.commit(offsets).then(
          () => {
            inFlight = undefined;
            this.activity();
            return commit();
          },
          (error: unknown) => {
            inFlight = undefined;
            if (!this.closing) {
              this.failure ??= error;
              this.activity();
            }
          },
        );
        return inFlight;
      };
      state.commitRead = async () => {
        while (commit() !== undefined) await inFlight;
      };
      this.sinkLoops.push(
        (async () => {
          while (!this.closing) {
            const batches = await consumer.poll({ maxRecords: 500 });
            for (const batch of batches) {
              let ids = seen.get(batch.partition);
              if (ids === undefined) seen.set(batch.partition, (ids = new SeenWindow(window)));
              for (const record of batch.records) {
                const id = record.headers[Headers.id];
                // A sink keeps one record per id: at-least-once duplicates and hedged losers stop here.
                if (id !== undefined && !ids.addIfNew(id)) continue;
                const pending = sinks.onRecord(topic, record);
                // Await only real promises: a microtask per record would dominate a fast sink.
                if (pending !== undefined) await pending;
                state.records++;
              }
              const last = batch.records[batch.records.length - 1];
              if (last !== undefined) toCommit.set(batch.partition, last.offset + 1);
            }
            void commit();
            if (batches.length > 0) this.activity();
          }
        })().catch((error: unknown) => {
          if (!this.closing) {
            this.failure ??= error;
            this.activity();
          }
        }),
      );
    }
  }

  private async shutdown(hard: boolean): Promise<void> {
    this.closing = true;
    const instances = [...this.slots.values()].flatMap((s) => s.live);
    if (hard) for (const i of instances) i.crash();
    else await Promise.all(instances.map((i) => i.stop(this.options.stopGraceMs)));
    for (const sink of this.sinkState) {
      sink.consumer?.wakeup();
      // What the sink has handed out is committed before it leaves its group.
      if (!hard) await sink.commitRead?.().catch(() => {});
      await sink.consumer?.close();
    }
    await Promise.all(this.sinkLoops);
  }

  async stop(): Promise<RunSummary> {
    this.stopRequested = true;
    this.activity();
    return this.done;
  }

  crash(workerId: string, instance?: number): boolean {
    const slot = this.slots.get(workerId);
    const live = slot?.live.filter((i) => i.status === "running") ?? [];
    const victim = instance === undefined ? live[0] : live[instance];
    if (victim === undefined) return false;
    victim.crash();
    return true;
  }

  async scale(workerId: string, count: number): Promise<void> {
    const slot = this.slots.get(workerId);
    if (slot === undefined) throw new Error(`no worker '${workerId}'`);
    slot.target = count;
    while (slot.live.length < count) await this.startInstance(slot);
    while (slot.live.length > count) await slot.live[slot.live.length - 1].stop(this.options.stopGraceMs);
  }

  progress(): Progress {
    return {
      elapsedMs: Date.now() - this.started,
      stages: this.ledger.report(),
      workers: [...this.slots.values()].map((s) => ({
        id: s.worker.id,
        instances: s.live.length,
        started: s.started,
        crashes: s.crashes,
        consumed: s.consumedBefore + s.live.reduce((n, i) => n + i.consumed, 0),
        inFlight: s.live.reduce((n, i) => n + i.inFlight, 0),
      })),
      sources: this.sourceState.map((s) => ({ ...s })),
      sinks: this.sinkState.map((s) => ({ topic: s.topic, records: s.records })),
    };
  }

  private async summary(status: RunSummary["status"]): Promise<RunSummary> {
    const { workers, topology } = this.options;
    const specs = topicSpecs(workers, topology, { sourcePartitions: this.options.sourcePartitions });
    const roles = new Map((topology?.topics ?? []).map((t) => [t.name, t.role as string]));
    for (const role of ["source", "internal", "sink", "retry", "dead-letter", "state"] as const) {
      for (const name of topicsWithRole(workers, topology, role)) if (!roles.has(name)) roles.set(name, role);
    }
    const topics: TopicReport[] = [];
    for (const spec of specs) {
      const marks = await this.transport.watermarks(spec.name);
      topics.push({
        name: spec.name,
        role: roles.get(spec.name) ?? "internal",
        partitions: spec.partitions ?? marks.length,
        records: marks.reduce((n, m) => n + m.high, 0),
      });
    }
    const progress = this.progress();
    return {
      status,
      durationMs: Date.now() - this.started,
      transport: this.transport.kind,
      delivery: this.delivery,
      stages: progress.stages,
      workers: progress.workers,
      topics,
      sources: progress.sources,
      sinks: progress.sinks,
      deadLetters: topics.filter((t) => t.role === "dead-letter").map((t) => ({ topic: t.name, records: t.records })),
    };
  }
}

/**
 * Starts every worker of a pipeline (each instance a member of its worker's consumer group),
 * feeds the sources, optionally collects the sinks, and supervises: crashed instances are
 * restarted, a failed one fails the run, a VirtualClock is advanced when the run idles.
 */
export function startPipeline(options: PipelineOptions): PipelineRun {
  return new Run(options);
}

/** Runs a pipeline until every input is processed (or `signal` aborts), then stops it
 *  gracefully and returns the checked summary. */
export function runPipeline(options: PipelineOptions): Promise<RunSummary> {
  return new Run({ ...options, until: options.until ?? "drained" }).done;
}

/** Runs workers as a long-lived service (a generated entry module on Kafka): until stop(). */
export function startWorkers(workers: readonly Worker[], options: Omit<PipelineOptions, "workers" | "until">): PipelineRun {
  return new Run({ ...options, workers, until: "stopped" });
}
