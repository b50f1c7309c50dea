/**
 * The runtime's central promise as properties, over any transport: random pipelines built from
 * the five patterns (copy, filter, split, shard, merge) plus map/flatMap handlers with poison
 * and flaky messages, random inputs with duplicates, random worker crashes at every step of a
 * flush, both delivery modes.
 *
 * - lossless: every input is accounted for. Each sink holds exactly what a reference
 *   interpreter of the program says (copy: one per lane, split: one lane, the first that
 *   matches, shard: the partition Kafka's partitioner picks, merge: the sum, filter: exactly
 *   what its predicate rejects), poison is in the dead-letter topic after its attempts, and
 *   every stage's counters equal the interpreter's.
 * - idempotent: delivering each message k times (and crashing workers on the way) yields the
 *   same outputs, ids included, and the same accounting as delivering it once.
 *
 * `routingProperties(makeTransport, { numRuns })` registers both as vitest tests; the Kafka
 * suite calls it with its transport (topic and group names are unique per case, so a shared
 * broker works). Call it inside a `describe`.
 */
import fc from "fast-check";
import { expect, it } from "vitest";
import type { StageReport } from "../../runtime/accounting.js";
import { systemClock, VirtualClock, type Clock } from "../../runtime/clock.js";
import { listDeadLetters } from "../../runtime/dlq.js";
import { runPipeline, type RunSummary, type SourceRecord } from "../../runtime/pipeline.js";
import type { Topology } from "../../runtime/topology.js";
import type { FaultInjector, FaultPoint } from "../../runtime/runner/instance.js";
import { readTopic } from "../../runtime/read.js";
import type { ConsumedRecord, Transport } from "../../runtime/transport.js";
import { defineWorker, type DeliveryMode, type Worker } from "../../runtime/worker.js";
import { Headers } from "../../stdlib/headers.js";
import { partitionForKey } from "../../stdlib/murmur2.js";
import { flatMap, map } from "../../stdlib/handler.js";
import { copy, emit, filter, shard, split, type Route } from "../../stdlib/route.js";
import type { DecodeResult } from "../../runtime/worker.js";
import { seeded } from "./helpers.js";

// ---- programs -------------------------------------------------------------------------------

export type Target = { readonly sink: number } | { readonly lane: number };

export type TreeSpec =
  | { readonly kind: "emit"; readonly to: Target }
  | { readonly kind: "copy"; readonly lanes: readonly TreeSpec[] }
  | { readonly kind: "filter"; readonly mod: number; readonly rem: number; readonly next: TreeSpec; readonly droppedTo: number | undefined }
  | {
      readonly kind: "split";
      readonly cases: ReadonlyArray<{ readonly below: number; readonly next: TreeSpec }>;
      readonly otherwise: TreeSpec | undefined;
    }
  | { readonly kind: "shard"; readonly count: number; readonly by: "id" | "key"; readonly next: TreeSpec };

export interface LaneSpec {
  readonly kind: "map" | "flatMap";
  /** Total attempts (1 = no retry). */
  readonly attempts: number;
  readonly tiers: number;
  readonly concurrency: number;
  readonly tree: TreeSpec;
}

export interface Program {
  readonly root: TreeSpec;
  readonly lanes: readonly LaneSpec[];
  readonly sourcePartitions: number;
  /** Instances per worker: [route, lane0, lane1, lane2]. */
  readonly instances: readonly number[];
}

export interface Msg {
  readonly id: string;
  readonly n: number;
  readonly key: string;
  readonly tag?: "poison" | "flaky";
  readonly via?: number;
  readonly part?: number;
}

export interface InputSpec {
  readonly n: number;
  readonly key: string;
  readonly tag: "poison" | "flaky" | undefined;
  readonly malformed: boolean;
  /** How many times the message is delivered (duplicates share the id). */
  readonly copies: number;
}

export interface CrashSpec {
  /** 0 = the route worker, 1 + j = lane j. */
  readonly worker: number;
  readonly point: FaultPoint;
  readonly nth: number;
}

export const SINKS = 3;
export const LANES = 3;

function treeArb(allowLanes: boolean): fc.Arbitrary<TreeSpec> {
  const target: fc.Arbitrary<Target> = allowLanes
    ? fc.oneof(fc.record({ sink: fc.integer({ min: 0, max: SINKS - 1 }) }), fc.record({ lane: fc.integer({ min: 0, max: LANES - 1 }) }))
    : fc.record({ sink: fc.integer({ min: 0, max: SINKS - 1 }) });
  return fc.letrec<{ node: TreeSpec }>((tie) => ({
    node: fc.oneof(
      { maxDepth: 3, depthIdentifier: allowLanes ? "root-tree" : "lane-tree" },
      fc.record({ kind: fc.constant("emit" as const), to: target }),
      fc.record({ kind: fc.constant("copy" as const), lanes: fc.array(tie("node"), { minLength: 1, maxLength: 3 }) }),
      fc.record({
        kind: fc.constant("filter" as const),
        mod: fc.integer({ min: 2, max: 3 }),
        rem: fc.integer({ min: 0, max: 2 }),
        next: tie("node"),
        droppedTo: fc.option(fc.integer({ min: 0, max: SINKS - 1 }), { nil: undefined }),
      }),
      fc.record({
        kind: fc.constant("split" as const),
        cases: fc.array(fc.record({ below: fc.integer({ min: 0, max: 24 }), next: tie("node") }), { minLength: 1, maxLength: 3 }),
        // One split in four has no else lane, so some values match nothing (dead letters).
        otherwise: fc.option(tie("node"), { nil: undefined, freq: 4 }),
      }),
      fc.record({
        kind: fc.constant("shard" as const),
        count: fc.integer({ min: 1, max: 4 }),
        by: fc.constantFrom("id" as const, "key" as const),
        next: tie("node"),
      }),
    ),
  })).node;
}

const laneArb: fc.Arbitrary<LaneSpec> = fc.record({
  kind: fc.constantFrom("map" as const, "flatMap" as const),
  attempts: fc.integer({ min: 1, max: 3 }),
  tiers: fc.integer({ min: 1, max: 2 }),
  concurrency: fc.integer({ min: 1, max: 3 }),
  tree: treeArb(false),
});

export const programArb: fc.Arbitrary<Program> = fc.record({
  root: treeArb(true),
  lanes: fc.array(laneArb, { minLength: LANES, maxLength: LANES }),
  sourcePartitions: fc.integer({ min: 1, max: 3 }),
  instances: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 1 + LANES, maxLength: 1 + LANES }),
});

export const inputsArb: fc.Arbitrary<InputSpec[]> = fc.array(
  fc.record({
    n: fc.integer({ min: 0, max: 24 }),
    key: fc.constantFrom("k0", "k1", "k2", "k3"),
    tag: fc.constantFrom(undefined, undefined, undefined, undefined, "poison" as const, "flaky" as const),
    // About one input in ten is malformed bytes.
    malformed: fc.integer({ min: 0, max: 9 }).map((x) => x === 0),
    copies: fc.integer({ min: 1, max: 3 }),
  }),
  { maxLength: 16 },
);

const faultPoints: FaultPoint[] = ["after-poll", "after-handler", "after-produce", "after-marks", "after-commit", "in-transaction"];

export const crashesArb: fc.Arbitrary<CrashSpec[]> = fc.array(
  fc.record({
    worker: fc.integer({ min: 0, max: LANES }),
    point: fc.constantFrom(...faultPoints),
    nth: fc.integer({ min: 1, max: 3 }),
  }),
  { maxLength: 3 },
);

// ---- building workers from a program --------------------------------------------------------

/**
 * Topics and groups carry a per-case namespace (a shared Kafka broker sees many cases); worker
 * and stage ids do not, so two runs of one program derive identical message ids.
 */
export interface Names {
  readonly ns: string;
  readonly source: string;
  sink(i: number): string;
  lane(j: number): string;
  retry(j: number, tier: number): string;
  deadLetter(worker: string): string;
}

export const ROUTE = "route";
export const laneWorker = (j: number) => `lane${j}`;

export function names(ns: string): Names {
  return {
    ns,
    source: `${ns}src`,
    sink: (i) => `${ns}sink${i}`,
    lane: (j) => `${ns}lane${j}`,
    retry: (j, tier) => `${ns}lane${j}.retry-${tier}`,
    deadLetter: (worker) => `${ns}${worker}.dlq`,
  };
}

function lanesUsed(tree: TreeSpec, into = new Set<number>()): Set<number> {
  switch (tree.kind) {
    case "emit":
      if ("lane" in tree.to) into.add(tree.to.lane);
      break;
    case "copy":
      for (const l of tree.lanes) lanesUsed(l, into);
      break;
    case "filter":
    case "shard":
      lanesUsed(tree.next, into);
      break;
    case "split":
      for (const c of tree.cases) lanesUsed(c.next, into);
      if (tree.otherwise) lanesUsed(tree.otherwise, into);
      break;
  }
  return into;
}

function targetTopic(n: Names, to: Target): string {
  return "sink" in to ? n.sink(to.sink) : n.lane(to.lane);
}

/** Emit stages are named after the target without the namespace; leaves into one sink share
 *  the stage, so the accounting shows the merge. */
function emitStage(to: Target): string {
  return "sink" in to ? `emit:sink${to.sink}` : `emit:lane${to.lane}`;
}

/** Stage ids come from the node's position, so the builder and the interpreter agree. */
function buildRoute(tree: TreeSpec, n: Names, stage: string): Route<Msg> {
  switch (tree.kind) {
    case "emit":
      return emit(targetTopic(n, tree.to), { stage: emitStage(tree.to) });
    case "copy":
      return copy<Msg>(
        stage,
        tree.lanes.map((l, i) => [`l${i}`, buildRoute(l, n, `${stage}.${i}`)] as const),
      );
    case "filter":
      return filter<Msg>(stage, (m) => m.n % tree.mod !== tree.rem, buildRoute(tree.next, n, `${stage}.0`), {
        droppedTo: tree.droppedTo === undefined ? undefined : emit(n.sink(tree.droppedTo), { stage: emitStage({ sink: tree.droppedTo }) }),
      });
    case "split":
      return split<Msg>(
        stage,
        tree.cases.map((c, i) => [`l${i}`, (m: Msg) => m.n < c.below, buildRoute(c.next, n, `${stage}.${i}`)] as const),
        tree.otherwise === undefined ? undefined : ["else", buildRoute(tree.otherwise, n, `${stage}.else`)],
      );
    case "shard":
      return shard<Msg>(stage, tree.count, (m) => (tree.by === "id" ? m.id : m.key), buildRoute(tree.next, n, `${stage}.0`));
  }
}

export function handlerOutputs(spec: LaneSpec, lane: number, m: Msg): Msg[] {
  if (spec.kind === "map") return [{ ...m, n: m.n + lane + 1, via: lane }];
  return Array.from({ length: m.n % 3 }, (_, i) => ({ ...m, n: m.n + i, via: lane, part: i }));
}

function decodeProgramMsg(raw: unknown): DecodeResult<Msg> {
  const r = raw as Partial<Msg> | null;
  if (typeof r !== "object" || r === null || Array.isArray(r)) return { ok: false, reason: "expected an object" };
  if (typeof r.id !== "string" || typeof r.n !== "number" || typeof r.key !== "string") return { ok: false, reason: "missing id, n or key" };
  return { ok: true, value: r as Msg };
}

export function buildWorkers(program: Program, n: Names): Worker[] {
  const workers: Worker[] = [
    defineWorker<Msg>({
      id: ROUTE,
      group: `${n.ns}${ROUTE}`,
      input: { topic: n.source, decode: decodeProgramMsg },
      route: buildRoute(program.root, n, `${ROUTE}/r`),
      deadLetter: n.deadLetter(ROUTE),
      stateTopic: `${n.ns}${ROUTE}.state`,
    }),
  ];
  for (const j of [...lanesUsed(program.root)].sort()) {
    const spec = program.lanes[j];
    const id = laneWorker(j);
    const fail = (m: Msg, attempt: number) => {
      if (m.tag === "poison") throw new Error(`poison ${m.id}`);
      if (m.tag === "flaky" && attempt === 1) throw new Error(`flaky ${m.id}`);
    };
    const options = { lane: id, concurrency: spec.concurrency, retry: { attempts: spec.attempts, backoff: { initialMs: 2, maxMs: 8 } } };
    workers.push(
      defineWorker<Msg, Msg>({
        id,
        group: `${n.ns}${id}`,
        input: { topic: n.lane(j), decode: decodeProgramMsg },
        handler:
          spec.kind === "map"
            ? map(`${id}/h`, (m: Msg, ctx) => (fail(m, ctx.attempt), handlerOutputs(spec, j, m)[0]), options)
            : flatMap(`${id}/h`, (m: Msg, ctx) => (fail(m, ctx.attempt), handlerOutputs(spec, j, m)), options),
        retryTopics: spec.attempts > 1 ? Array.from({ length: spec.tiers }, (_, t) => n.retry(j, t)) : [],
        route: buildRoute(spec.tree, n, `${id}/r`),
        deadLetter: n.deadLetter(id),
        stateTopic: `${n.ns}${id}.state`,
      }),
    );
  }
  return workers;
}

// ---- the reference interpreter --------------------------------------------------------------

interface Expected {
  /** Sink records: partition when a shard placed them, undefined when the partitioner did. */
  readonly sinks: Array<{ topic: string; partition: number | undefined; value: string }>;
  readonly dead: Array<{ topic: string; reason: string; value: string; attempts: number }>;
  readonly stages: Map<string, { in: number; out: number; dropped: number; dead: number; retried: number }>;
}

function interpret(program: Program, inputs: readonly InputSpec[], n: Names): Expected {
  const expected: Expected = { sinks: [], dead: [], stages: new Map() };
  const count = (stage: string) => {
    let c = expected.stages.get(stage);
    if (c === undefined) expected.stages.set(stage, (c = { in: 0, out: 0, dropped: 0, dead: 0, retried: 0 }));
    return c;
  };
  const laneInputs: Array<{ lane: number; m: Msg; raw: string }> = [];

  // `onFail` runs when the value hits a route error (its input is then dead-lettered).
  const place = (tree: TreeSpec, stage: string, m: Msg, partition: number | undefined, onFail: () => void): void => {
    switch (tree.kind) {
      case "emit": {
        const topic = targetTopic(n, tree.to);
        const c = count(emitStage(tree.to));
        c.in++;
        c.out++;
        if ("sink" in tree.to) expected.sinks.push({ topic, partition, value: JSON.stringify(m) });
        else laneInputs.push({ lane: tree.to.lane, m, raw: JSON.stringify(m) });
        return;
      }
      case "copy": {
        const c = count(stage);
        c.in++;
        tree.lanes.forEach((l, i) => {
          c.out++;
          place(l, `${stage}.${i}`, m, partition, onFail);
        });
        return;
      }
      case "filter": {
        const c = count(stage);
        c.in++;
        if (m.n % tree.mod !== tree.rem) {
          c.out++;
          place(tree.next, `${stage}.0`, m, partition, onFail);
        } else {
          c.dropped++;
          if (tree.droppedTo !== undefined) place({ kind: "emit", to: { sink: tree.droppedTo } }, stage, m, partition, onFail);
        }
        return;
      }
      case "split": {
        const c = count(stage);
        c.in++;
        const i = tree.cases.findIndex((k) => m.n < k.below);
        if (i >= 0) {
          c.out++;
          place(tree.cases[i].next, `${stage}.${i}`, m, partition, onFail);
        } else if (tree.otherwise) {
          c.out++;
          place(tree.otherwise, `${stage}.else`, m, partition, onFail);
        } else {
          c.dead++;
          onFail();
        }
        return;
      }
      case "shard": {
        const c = count(stage);
        c.in++;
        c.out++;
        const key = tree.by === "id" ? m.id : m.key;
        place(tree.next, `${stage}.0`, m, partitionForKey(key, tree.count), onFail);
        return;
      }
    }
  };

  inputs.forEach((input, i) => {
    const decode = count(`${ROUTE}/decode`);
    decode.in++;
    if (input.malformed) {
      decode.dead++;
      expected.dead.push({ topic: n.deadLetter(ROUTE), reason: "malformed", value: malformedValue(i), attempts: 1 });
      return;
    }
    decode.out++;
    const m = message(input, i);
    const raw = JSON.stringify(m);
    let failed = false;
    place(program.root, `${ROUTE}/r`, m, undefined, () => (failed = true));
    if (failed) expected.dead.push({ topic: n.deadLetter(ROUTE), reason: "route-error", value: raw, attempts: 1 });
  });

  for (const { lane, m, raw } of laneInputs) {
    const spec = program.lanes[lane];
    const id = laneWorker(lane);
    const decode = count(`${id}/decode`);
    decode.in++;
    decode.out++;
    const h = count(`${id}/h`);
    h.in++;
    const dlq = n.deadLetter(id);
    if (m.tag === "poison") {
      h.retried += spec.attempts - 1;
      h.dead++;
      expected.dead.push({ topic: dlq, reason: "handler-error", value: raw, attempts: spec.attempts });
      continue;
    }
    if (m.tag === "flaky" && spec.attempts === 1) {
      h.dead++;
      expected.dead.push({ topic: dlq, reason: "handler-error", value: raw, attempts: 1 });
      continue;
    }
    const attempt = m.tag === "flaky" ? 2 : 1;
    h.retried += attempt - 1;
    const outputs = handlerOutputs(spec, lane, m);
    h.out += outputs.length;
    // One dead letter per input, however many of its values hit a route error.
    let failed = false;
    for (const o of outputs) place(spec.tree, `${id}/r`, o, undefined, () => (failed = true));
    if (failed) expected.dead.push({ topic: dlq, reason: "route-error", value: raw, attempts: attempt });
  }
  return expected;
}

function message(input: InputSpec, index: number): Msg {
  const m: Msg = { id: `i${index}`, n: input.n, key: input.key };
  return input.tag === undefined ? m : { ...m, tag: input.tag };
}

function malformedValue(index: number): string {
  return `{"id": "i${index}", broken`;
}

// ---- running ------------------------------------------------------------------------------

/** The deliveries: each input `copies` times, the copies spread over the sequence. */
function deliveries(inputs: readonly InputSpec[], once: boolean, shuffle: () => number): SourceRecord[] {
  const out: Array<{ order: number; record: SourceRecord }> = [];
  inputs.forEach((input, i) => {
    const record: SourceRecord = input.malformed
      ? { id: `i${i}`, key: input.key, raw: malformedValue(i) }
      : { id: `i${i}`, key: input.key, value: message(input, i) };
    const copies = once ? 1 : input.copies;
    // The first copy keeps the input's place; duplicates land anywhere after it.
    out.push({ order: i, record });
    for (let c = 1; c < copies; c++) out.push({ order: i + shuffle() * (inputs.length - i), record });
  });
  return out.sort((a, b) => a.order - b.order).map((d) => d.record);
}

export interface Outcome {
  readonly summary: RunSummary;
  readonly sinks: ConsumedRecord[];
  readonly dead: Array<{ topic: string; reason: string; value: string; attempts: number; id: string }>;
  readonly crashed: CrashSpec[];
}

export interface RunArgs {
  readonly transport: Transport;
  readonly program: Program;
  readonly inputs: readonly InputSpec[];
  readonly once: boolean;
  readonly crashes: readonly CrashSpec[];
  readonly delivery: DeliveryMode;
  readonly seed: number;
  readonly ns: string;
  readonly realTime: boolean;
}

export async function execute(args: RunArgs): Promise<Outcome> {
  const n = names(args.ns);
  return runWorkers(args, buildWorkers(args.program, n), [ROUTE, ...Array.from({ length: LANES }, (_, j) => laneWorker(j))]);
}

/**
 * Runs `workers` as `execute` runs a program's: `ids[i]` is the worker that `CrashSpec.worker`
 * i and `Program.instances[i]` mean (0 = the route worker, 1 + j = lane j). `topology`, when
 * given, is passed to the run (a compiled program's topic plan).
 */
export async function runWorkers(args: RunArgs, workers: Worker[], ids: readonly string[], topology?: Topology): Promise<Outcome> {
  const n = names(args.ns);
  const counts = new Map<string, number>();
  const crashed: CrashSpec[] = [];
  const faults: FaultInjector = {
    crashAt(point, worker) {
      for (const c of args.crashes) {
        if (ids[c.worker] !== worker || c.point !== point || crashed.includes(c)) continue;
        const key = `${worker} ${point}`;
        const seen = (counts.get(key) ?? 0) + 1;
        counts.set(key, seen);
        if (seen === c.nth) {
          crashed.push(c);
          return true;
        }
      }
      return false;
    },
  };
  const instances: Record<string, number> = {};
  ids.forEach((id, i) => (instances[id] = args.program.instances[i]));
  const clock: Clock = args.realTime ? systemClock : new VirtualClock();
  const random = seeded(args.seed);
  const summary = await runPipeline({
    workers,
    transport: args.transport,
    clock,
    random,
    delivery: args.delivery,
    ...(topology === undefined ? {} : { topology }),
    instances,
    sourcePartitions: args.program.sourcePartitions,
    maxInFlight: 6,
    maxPollRecords: 4,
    faults,
    sources: [{ topic: n.source, records: deliveries(args.inputs, args.once, random) }],
  });
  const sinks: ConsumedRecord[] = [];
  for (let i = 0; i < SINKS; i++) {
    const topic = n.sink(i);
    if ((await args.transport.describeTopics([topic])).has(topic)) sinks.push(...(await readTopic(args.transport, topic)));
  }
  const dead: Outcome["dead"] = [];
  for (const w of workers) {
    for (const d of await listDeadLetters(args.transport, w.deadLetterTopic)) {
      dead.push({ topic: w.deadLetterTopic, reason: d.reason, value: d.value ?? "", attempts: d.attempts, id: d.id });
    }
  }
  return { summary, sinks, dead, crashed };
}

/**
 * Whether a crash may have repeated an output that nobody deduplicates (a sink record, a dead
 * letter): at-least-once, when a worker died between writing its outputs and its dedupe marks.
 * A crash injected anywhere can land there, since the flusher runs beside the other loops.
 * Exactly-once never repeats one.
 */
function mayRepeat(outcome: Outcome, delivery: DeliveryMode): boolean {
  return delivery === "at-least-once" && outcome.crashed.length > 0;
}

function distinctDead(dead: Outcome["dead"]): Outcome["dead"] {
  const seen = new Set<string>();
  return dead.filter((d) => {
    const key = `${d.topic}|${d.id}|${d.reason}|${d.attempts}|${d.value}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function sinkKey(r: ConsumedRecord): string {
  return `${r.topic}|${r.value}`;
}

function distinctById(records: readonly ConsumedRecord[]): ConsumedRecord[] {
  const seen = new Set<string>();
  return records.filter((r) => {
    const id = `${r.topic}|${r.headers[Headers.id]}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

export function checkLossless(program: Program, inputs: readonly InputSpec[], outcome: Outcome, delivery: DeliveryMode, n: Names): void {
  const expected = interpret(program, inputs, n);
  const actual = distinctById(outcome.sinks);
  const repeats = mayRepeat(outcome, delivery);
  if (!repeats) expect(actual.length, "duplicate ids in a sink").toBe(outcome.sinks.length);

  // Shard-placed records must sit on their shard; the rest anywhere in their topic.
  const remaining = new Map<string, ConsumedRecord[]>();
  for (const r of actual) {
    const k = sinkKey(r);
    remaining.set(k, [...(remaining.get(k) ?? []), r]);
  }
  const placed = [...expected.sinks].sort((a, b) => (a.partition === undefined ? 1 : 0) - (b.partition === undefined ? 1 : 0));
  for (const e of placed) {
    const pool = remaining.get(`${e.topic}|${e.value}`) ?? [];
    const i = e.partition === undefined ? 0 : pool.findIndex((r) => r.partition === e.partition);
    expect(i >= 0 && pool.length > 0, `missing ${e.topic} p${e.partition ?? "*"} ${e.value}`).toBe(true);
    pool.splice(i, 1);
  }
  const extra = [...remaining.values()].flat();
  expect(extra.map((r) => `${r.topic} p${r.partition} ${r.value}`), "unexpected sink records").toEqual([]);

  const dead = (repeats ? distinctDead(outcome.dead) : outcome.dead).map((d) => `${d.topic}|${d.reason}|${d.attempts}|${d.value}`).sort();
  expect(dead, "dead letters").toEqual(expected.dead.map((d) => `${d.topic}|${d.reason}|${d.attempts}|${d.value}`).sort());

  for (const [stage, c] of expected.stages) {
    const report = outcome.summary.stages.find((s) => s.stage === stage);
    expect(report, `stage ${stage} reported`).toBeDefined();
    const { in: i, out, dropped, dead: d, retried } = report!;
    expect({ in: i, out, dropped, dead: d, retried }, `stage ${stage}`).toEqual(c);
    expect(report!.inflight, `stage ${stage} in flight`).toBe(0);
  }
}

function comparableStages(stages: readonly StageReport[]): unknown[] {
  return [...stages]
    .map(({ stage, in: i, out, dropped, dead, retried, inflight }) => ({ stage, in: i, out, dropped, dead, retried, inflight }))
    .sort((a, b) => a.stage.localeCompare(b.stage));
}

/** Delivering k times (`many`, with crashes) gave the outputs, ids and accounting of once. */
export function checkIdempotent(once: Outcome, onceNs: string, many: Outcome, manyNs: string, delivery: DeliveryMode): void {
  const strip = (topic: string, ns: string) => topic.slice(ns.length);
  const view = (o: Outcome, ns: string) =>
    distinctById(o.sinks)
      .map((r) => `${strip(r.topic, ns)}|p${r.partition}|${r.headers[Headers.id]}|${r.value}`)
      .sort();
  expect(view(many, manyNs)).toEqual(view(once, onceNs));
  const repeats = mayRepeat(many, delivery);
  if (!repeats) expect(many.sinks.length).toBe(once.sinks.length);
  const dead = (o: Outcome, ns: string) =>
    (repeats ? distinctDead(o.dead) : o.dead).map((d) => `${strip(d.topic, ns)}|${d.id}|${d.reason}|${d.attempts}`).sort();
  expect(dead(many, manyNs)).toEqual(dead(once, onceNs));
  expect(comparableStages(many.summary.stages)).toEqual(comparableStages(once.summary.stages));
}

export interface PropertyOptions {
  readonly numRuns: number;
  /** Use the system clock (a real broker cannot follow a virtual one). Backoffs are a few ms. */
  readonly realTime?: boolean;
  /** Per test (vitest timeout). */
  readonly timeoutMs?: number;
  readonly seed?: number;
}

let caseNumber = 0;

export function routingProperties(
  makeTransport: () => Transport | Promise<Transport>,
  options: PropertyOptions,
): void {
  const params = { numRuns: options.numRuns, seed: options.seed };
  const timeout = options.timeoutMs ?? 120_000;
  const realTime = options.realTime ?? false;

  const modesOf = (transport: Transport): DeliveryMode[] =>
    transport.capabilities.transactions ? ["at-least-once", "exactly-once"] : ["at-least-once"];

  it(
    "lossless: every input ends in the sinks the program says, or in a dead-letter topic",
    async () => {
      await fc.assert(
        fc.asyncProperty(programArb, inputsArb, crashesArb, fc.nat(), fc.nat(), async (program, inputs, crashes, pick, seed) => {
          const transport = await makeTransport();
          const modes = modesOf(transport);
          const delivery = modes[pick % modes.length];
          const ns = `p${++caseNumber}.`;
          const outcome = await execute({ transport, program, inputs, once: false, crashes, delivery, seed, ns, realTime });
          checkLossless(program, inputs, outcome, delivery, names(ns));
        }),
        params,
      );
    },
    timeout,
  );

  it(
    "idempotent: delivering messages k times (with crashes) gives the outputs and accounting of once",
    async () => {
      await fc.assert(
        fc.asyncProperty(programArb, inputsArb, crashesArb, fc.nat(), fc.nat(), async (program, inputs, crashes, pick, seed) => {
          const first = await makeTransport();
          const modes = modesOf(first);
          const delivery = modes[pick % modes.length];
          const onceNs = `p${++caseNumber}.`;
          const manyNs = `p${++caseNumber}.`;
          const common = { program, inputs, delivery, seed, realTime };
          const once = await execute({ ...common, transport: first, once: true, crashes: [], ns: onceNs });
          const many = await execute({ ...common, transport: await makeTransport(), once: false, crashes, ns: manyNs });
          checkIdempotent(once, onceNs, many, manyNs, delivery);
        }),
        params,
      );
    },
    timeout,
  );
}
