import { conservationViolation, Field, FIELDS, readCounts, type StageCounts, type StageKind } from "../stdlib/accounting.js";
import type { RunMetrics } from "./metrics.js";
import type { Worker, WorkerPlan } from "./worker.js";

/** Thrown when a stage's counters break its conservation law: a bug, never a log line. */
export class ConservationError extends Error {
  override readonly name = "ConservationError";
  constructor(readonly violations: readonly string[]) {
    super(`conservation law violated:\n  ${violations.join("\n  ")}`);
  }
}

/**
 * Checks one settled batch of counters from one worker: every stage's own law, then the
 * wiring between stages (what the handler produced is what the route took in, what each
 * route stage passed on is what the next ones took in, what the leaves emitted is what was
 * produced). Throws ConservationError.
 */
export function checkSettledCounts(workerId: string, plan: WorkerPlan, counts: Float64Array, produced: number): void {
  const violations: string[] = [];
  for (const entry of plan.table.entries) {
    const problem = conservationViolation(entry.kind, readCounts(counts, entry.index), entry.lanes);
    if (problem) violations.push(`${workerId} stage ${entry.stage} (${entry.kind}): ${problem}`);
  }
  const at = (index: number, field: number) => counts[index * FIELDS + field];
  const route = plan.route;
  if (route === undefined) {
    // Effect-only: the handler's results go nowhere.
    if (produced !== 0) violations.push(`${workerId}: an effect-only worker produced ${produced} records`);
    if (violations.length > 0) throw new ConservationError(violations);
    return;
  }
  const handed = plan.handlerIndex >= 0 ? at(plan.handlerIndex, Field.out) : at(plan.decodeIndex, Field.out);
  if (at(route.rootIndex, Field.in) !== handed) {
    violations.push(`${workerId}: the route took in ${at(route.rootIndex, Field.in)} values but was handed ${handed}`);
  }
  let enteredBelowRoot = 0;
  let passedOn = 0;
  for (const index of route.stageIndexes) {
    if (index !== route.rootIndex) enteredBelowRoot += at(index, Field.in);
    if (!route.emitIndexes.includes(index)) passedOn += at(index, Field.out);
  }
  for (const index of route.routedDropIndexes) passedOn += at(index, Field.dropped);
  if (enteredBelowRoot !== passedOn) {
    violations.push(`${workerId}: route stages passed on ${passedOn} values but ${enteredBelowRoot} arrived`);
  }
  let emitted = 0;
  for (const index of route.emitIndexes) emitted += at(index, Field.out);
  if (emitted !== produced) violations.push(`${workerId}: leaves emitted ${emitted} records but ${produced} were produced`);
  if (violations.length > 0) throw new ConservationError(violations);
}

export interface StageReport {
  readonly stage: string;
  readonly kind: StageKind;
  /** Workers the stage runs in (a merge stage named on several leaves spans workers). */
  readonly workers: readonly string[];
  readonly lanes: number;
  readonly in: number;
  readonly out: number;
  readonly dropped: number;
  readonly retried: number;
  readonly dead: number;
  /** Being handled now, or waiting on a retry topic. */
  readonly inflight: number;
  /** Records skipped as already processed (decode stages). */
  readonly duplicates: number;
}

interface LedgerStage {
  readonly stage: string;
  readonly kind: StageKind;
  readonly lanes: number;
  readonly workers: Set<string>;
  readonly counts: Float64Array;
  processing: number;
  /** For emit stages: the topic. */
  topic?: string;
  /** Emit stage below a mergeFirst. */
  hedged?: boolean;
}

const OUTCOMES: ReadonlyArray<readonly [number, string]> = [
  [Field.in, "in"],
  [Field.out, "out"],
  [Field.dropped, "dropped"],
  [Field.retried, "retried"],
  [Field.dead, "dead"],
  [Field.duplicates, "duplicate"],
];

/**
 * The run's accounting: settled counters per stage id, summed over workers and instances.
 * Instances add a batch only once it is durable (marks written or transaction committed), so
 * a crash never counts a message twice and a redelivered message is counted where it settles.
 */
export class Ledger {
  private readonly stages = new Map<string, LedgerStage>();
  private readonly slots = new Map<string, LedgerStage[]>();
  private readonly carriedInput = new Map<string, number>();

  constructor(private readonly metrics?: RunMetrics) {}

  register(worker: Worker): void {
    if (this.slots.has(worker.id)) throw new Error(`two workers have the id '${worker.id}'`);
    const slots: LedgerStage[] = [];
    for (const entry of worker.plan.table.entries) {
      let stage = this.stages.get(entry.stage);
      if (stage === undefined) {
        stage = {
          stage: entry.stage,
          kind: entry.kind,
          lanes: entry.lanes,
          workers: new Set(),
          counts: new Float64Array(FIELDS),
          processing: 0,
        };
        this.stages.set(entry.stage, stage);
      } else if (stage.kind !== entry.kind || stage.lanes !== entry.lanes) {
        throw new Error(`stage '${entry.stage}' is a ${stage.kind} in one worker and a ${entry.kind} in '${worker.id}'`);
      }
      const topic = worker.plan.route?.emitTopics.get(entry.index);
      if (topic !== undefined) {
        if (stage.topic !== undefined && stage.topic !== topic) {
          throw new Error(`emit stage '${entry.stage}' goes to '${stage.topic}' and to '${topic}'`);
        }
        stage.topic = topic;
        if (worker.plan.route?.hedgedEmitIndexes.includes(entry.index)) stage.hedged = true;
      }
      stage.workers.add(worker.id);
      slots.push(stage);
    }
    this.slots.set(worker.id, slots);
  }

  /** Adds a settled batch of a worker's counters. */
  apply(workerId: string, counts: Float64Array): void {
    const slots = this.slots.get(workerId)!;
    for (let i = 0; i < slots.length; i++) {
      const stage = slots[i];
      const base = i * FIELDS;
      for (let f = 0; f < FIELDS; f++) stage.counts[f] += counts[base + f];
      if (this.metrics) {
        for (const [field, outcome] of OUTCOMES) {
          const n = counts[base + field];
          if (n !== 0) this.metrics.messages.inc({ stage: stage.stage, kind: stage.kind, outcome }, n);
        }
      }
    }
  }

  /**
   * Messages a run finds already waiting on a worker's retry topics entered its handler stage
   * before the run: count them in (and in flight) so their settling balances.
   */
  carryOver(workerId: string, stageIndex: number, messages: number): void {
    const stage = this.slots.get(workerId)![stageIndex];
    stage.counts[Field.in] += messages;
    stage.counts[Field.pending] += messages;
  }

  /**
   * Records a run finds already waiting on a worker's input topic were emitted before the run
   * (a resumed run): the topic check allows for them.
   */
  carryOverInput(workerId: string, records: number): void {
    this.carriedInput.set(workerId, (this.carriedInput.get(workerId) ?? 0) + records);
  }

  /** Live count of messages inside a worker's stage (handler calls in progress). */
  processing(workerId: string, stageIndex: number, delta: number): void {
    this.slots.get(workerId)![stageIndex].processing += delta;
  }

  counts(stage: string): StageCounts | undefined {
    const s = this.stages.get(stage);
    return s === undefined ? undefined : readCounts(s.counts, 0);
  }

  inFlight(): Array<[string, number]> {
    return [...this.stages.values()].map((s) => [s.stage, s.counts[Field.pending] + s.processing]);
  }

  report(): StageReport[] {
    return [...this.stages.values()].map((s) => {
      const c = readCounts(s.counts, 0);
      return {
        stage: s.stage,
        kind: s.kind,
        workers: [...s.workers],
        lanes: s.lanes,
        in: c.in,
        out: c.out,
        dropped: c.dropped,
        retried: c.retried,
        dead: c.dead,
        inflight: c.pending + s.processing,
        duplicates: c.duplicates,
      };
    });
  }

  /**
   * Checks at the end of a drained run: every stage's law on its totals, nothing left in
   * flight, and for every topic a worker consumes, the records its decode stage took in equal
   * the records emitted into that topic (for topics fed by workers of this run).
   */
  finalViolations(workers: readonly Worker[]): string[] {
    const violations: string[] = [];
    for (const s of this.stages.values()) {
      const c = readCounts(s.counts, 0);
      const problem = conservationViolation(s.kind, c, s.lanes);
      if (problem) violations.push(`stage ${s.stage} (${s.kind}): ${problem}`);
      if (c.pending !== 0 || s.processing !== 0) {
        violations.push(`stage ${s.stage}: ${c.pending + s.processing} messages still in flight after the run drained`);
      }
    }
    const emittedInto = new Map<string, { records: number; hedged: boolean }>();
    for (const s of this.stages.values()) {
      if (s.topic === undefined) continue;
      const into = emittedInto.get(s.topic) ?? { records: 0, hedged: false };
      into.records += s.counts[Field.out];
      into.hedged ||= s.hedged === true;
      emittedInto.set(s.topic, into);
    }
    for (const w of workers) {
      const emitted = emittedInto.get(w.inputTopic);
      if (emitted === undefined) continue;
      const decode = this.stages.get(`${w.id}/decode`)!;
      const taken = decode.counts[Field.in];
      const duplicates = decode.counts[Field.duplicates];
      if (emitted.hedged) {
        // Every hedged lane emits; the consumer keeps one per id and skips the rest.
        if (taken > emitted.records || emitted.records > taken + duplicates) {
          violations.push(
            `topic ${w.inputTopic}: ${emitted.records} hedged records emitted but worker ${w.id} took in ${taken} and skipped ${duplicates}`,
          );
        }
      } else {
        // Records left over from before the run may include at-least-once duplicates, so
        // with a carry-over only bounds can be checked.
        const carried = this.carriedInput.get(w.id) ?? 0;
        if (taken < emitted.records || taken > emitted.records + carried) {
          const before = carried > 0 ? ` (and ${carried} were waiting from before the run)` : "";
          violations.push(`topic ${w.inputTopic}: ${emitted.records} records emitted into it${before} but worker ${w.id} took in ${taken}`);
        }
      }
    }
    return violations;
  }
}
