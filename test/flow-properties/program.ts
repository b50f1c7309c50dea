/**
 * Random routing programs as `.flow` source: the runtime property suite's `Program`s
 * (test/runtime/properties.ts), restricted to what one `.flow` pipeline per worker can say,
 * and a printer from such a `Program` to `.flow` text.
 *
 * The runtime suite's program has a route worker (the source, through a route tree, into sinks
 * and three lane topics) and a worker per used lane (a map or flatMap handler with a retry
 * policy, then a route tree into the sinks). Printed, that is one pipeline `routing` reading
 * `src`, and one pipeline `workJ` per used lane reading the topic `laneJ`; the route trees
 * become the stages after the source or the handler.
 *
 * What the language cannot say, and so the arbitrary here does not generate:
 *
 * - nested lanes: a pipeline opens lanes once (copy or split), and the stages after it apply
 *   to every lane alike. So a tree is a chain of filters and shards, then either an emit or one
 *   copy/split whose lanes all continue with one common chain into a target each (lane sinks;
 *   `merge` when every lane has the same target). A `copy` or `split` after `merge` would need
 *   a topic of its own (a third worker) that the runtime suite's program does not have.
 * - `copy` of one lane (FLOW2009: copy needs two lanes): copies have 2 or 3 lanes.
 * - a split without `else` (FLOW3003 unless the cases cover an enum or bool field, and
 *   `.n < k` never does): every split has `else`, so no route-error dead letters arise here;
 *   the runtime suite covers them.
 * - different shard counts into one topic (FLOW3005: a topic fed by `shard(n)` has n
 *   partitions): the shards whose outputs meet in a topic (an emit or a filter's dropped
 *   edge below them, before another shard) all get the count of the first of them, and the
 *   topic that many partitions.
 *
 * - topics without partitions: every topic is declared with them (the printer does not vary
 *   this yet). Left out, they once made `flowc run` stop before it started; known-bugs.test.ts
 *   keeps those cases, and the dropped-topic shard check (FLOW3005).
 *
 * Dead letters: a lane's handler may name its dead-letter topic (`deadLetter(deadJ)`), a
 * print choice; the suite's interpreter knows one dead-letter topic per worker either way.
 *
 * Filters: the suite's `n % mod != rem` becomes `.n not in [...]` listing the values up to
 * MAX_N (the largest `n` a tree can see) with `n % mod == rem`; when there are none (rem >=
 * mod) the filter keeps everything, printed `.n >= 0`. Shards: `by: "id"` is `shard(k, by:
 * .id)`; `by: "key"` is `shard(k, by: .key)`, or `shard(k)` (the record key) where the
 * source's key `.key` is still in force (the routing pipeline, before any other shard).
 */
import fc from "fast-check";
import { LANES, SINKS, type LaneSpec, type Program, type Target, type TreeSpec } from "../runtime/properties.js";

/** Inputs have n in 0..24; a map adds at most LANES, a flatMap at most 1. */
export const MAX_N = 24 + LANES;

type Step =
  | { readonly kind: "filter"; readonly mod: number; readonly rem: number; readonly droppedTo: number | undefined }
  | { readonly kind: "shard"; readonly count: number; readonly by: "id" | "key" };

type Fork = { readonly kind: "copy"; readonly lanes: number } | { readonly kind: "split"; readonly belows: readonly number[] };

/** One worker's route as a pipeline can write it. */
interface Shape {
  readonly pre: readonly Step[];
  readonly fork: Fork | undefined;
  /** The chain every lane of the fork continues with. */
  readonly lane: readonly Step[];
  readonly targets: readonly Target[];
}

/** How a program is printed, where the language has more than one way to say it. */
export interface PrintChoices {
  /** Where `| merge` goes in the lane chain (modulo its length + 1), when lanes merge. */
  readonly mergeAt: number;
  /** Print `shard(k)` for a shard by the record key where `.key` is in force. */
  readonly implicitShardKey: boolean;
  /** Partitions of sink0..2 and lane0..2 when no shard decides them. */
  readonly partitions: readonly number[];
  /** Lane j's handler names its dead-letter topic, `deadJ` (deadLetter(deadJ)). */
  readonly deadLetters: readonly boolean[];
}

export interface FlowCase {
  readonly program: Program;
  readonly choices: PrintChoices;
}

// ---- the arbitrary --------------------------------------------------------------------------

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant("filter" as const),
    mod: fc.integer({ min: 2, max: 3 }),
    rem: fc.integer({ min: 0, max: 2 }),
    droppedTo: fc.option(fc.integer({ min: 0, max: SINKS - 1 }), { nil: undefined }),
  }),
  fc.record({ kind: fc.constant("shard" as const), count: fc.integer({ min: 1, max: 4 }), by: fc.constantFrom("id" as const, "key" as const) }),
);

function shapeArb(allowLanes: boolean): fc.Arbitrary<Shape> {
  const target: fc.Arbitrary<Target> = allowLanes
    ? fc.oneof(fc.record({ sink: fc.integer({ min: 0, max: SINKS - 1 }) }), fc.record({ lane: fc.integer({ min: 0, max: LANES - 1 }) }))
    : fc.record({ sink: fc.integer({ min: 0, max: SINKS - 1 }) });
  const fork: fc.Arbitrary<Fork | undefined> = fc.oneof(
    fc.constant(undefined),
    fc.record({ kind: fc.constant("copy" as const), lanes: fc.integer({ min: 2, max: 3 }) }),
    fc.record({ kind: fc.constant("split" as const), belows: fc.array(fc.integer({ min: 0, max: 24 }), { minLength: 1, maxLength: 3 }) }),
  );
  return fc
    .record({
      pre: fc.array(stepArb, { maxLength: 2 }),
      fork,
      lane: fc.array(stepArb, { maxLength: 2 }),
      targets: fc.array(target, { minLength: 4, maxLength: 4 }),
      // Lanes into one target (a merge) would be rare by chance.
      merge: fc.boolean(),
    })
    .map(({ pre, fork, lane, targets, merge }) => {
      const lanes = fork === undefined ? 1 : fork.kind === "copy" ? fork.lanes : fork.belows.length + 1;
      const used = targets.slice(0, lanes);
      return { pre, fork, lane: fork === undefined ? [] : lane, targets: merge ? used.map(() => used[0]) : used };
    });
}

function chain(steps: readonly Step[], tail: TreeSpec): TreeSpec {
  return steps.reduceRight<TreeSpec>(
    (next, s) => (s.kind === "filter" ? { kind: "filter", mod: s.mod, rem: s.rem, next, droppedTo: s.droppedTo } : { kind: "shard", count: s.count, by: s.by, next }),
    tail,
  );
}

function treeOf(shape: Shape): TreeSpec {
  const leaf = (to: Target): TreeSpec => chain(shape.lane, { kind: "emit", to });
  const { fork, targets } = shape;
  if (fork === undefined) return chain(shape.pre, { kind: "emit", to: targets[0] });
  if (fork.kind === "copy") return chain(shape.pre, { kind: "copy", lanes: targets.map(leaf) });
  return chain(shape.pre, {
    kind: "split",
    cases: fork.belows.map((below, i) => ({ below, next: leaf(targets[i]) })),
    otherwise: leaf(targets[fork.belows.length]),
  });
}

const laneSpecArb: fc.Arbitrary<LaneSpec> = fc.record({
  kind: fc.constantFrom("map" as const, "flatMap" as const),
  attempts: fc.integer({ min: 1, max: 3 }),
  tiers: fc.integer({ min: 1, max: 2 }),
  concurrency: fc.integer({ min: 1, max: 3 }),
  tree: shapeArb(false).map(treeOf),
});

/** Programs of the runtime suite's `programArb` domain that a `.flow` file can express. */
export const flowCaseArb: fc.Arbitrary<FlowCase> = fc
  .record({
    program: fc.record({
      root: shapeArb(true).map(treeOf),
      lanes: fc.array(laneSpecArb, { minLength: LANES, maxLength: LANES }),
      sourcePartitions: fc.integer({ min: 1, max: 3 }),
      instances: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 1 + LANES, maxLength: 1 + LANES }),
    }),
    choices: fc.record({
      mergeAt: fc.nat({ max: 2 }),
      implicitShardKey: fc.boolean(),
      partitions: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: SINKS + LANES, maxLength: SINKS + LANES }),
      deadLetters: fc.array(fc.boolean(), { minLength: LANES, maxLength: LANES }),
    }),
  })
  .map(({ program, choices }) => ({ program: unifyShards(program), choices }));

// ---- shard counts ---------------------------------------------------------------------------

export const topicOf = (to: Target): string => ("sink" in to ? `sink${to.sink}` : `lane${to.lane}`);

export function usedLanes(tree: TreeSpec, into = new Set<number>()): Set<number> {
  switch (tree.kind) {
    case "emit":
      if ("lane" in tree.to) into.add(tree.to.lane);
      break;
    case "copy":
      tree.lanes.forEach((l) => usedLanes(l, into));
      break;
    case "filter":
    case "shard":
      usedLanes(tree.next, into);
      break;
    case "split":
      tree.cases.forEach((c) => usedLanes(c.next, into));
      if (tree.otherwise) usedLanes(tree.otherwise, into);
      break;
  }
  return into;
}

/** The trees of the workers a program has: the route worker's and each used lane's. */
function workerTrees(program: Program): Array<{ name: string; tree: TreeSpec }> {
  return [
    { name: "route", tree: program.root },
    ...[...usedLanes(program.root)].sort().map((j) => ({ name: `lane${j}`, tree: program.lanes[j].tree })),
  ];
}

/**
 * Shards whose outputs meet in one topic get one count (the first's, in preorder), so every
 * topic fed by shards can have that many partitions (FLOW3005); `shardComponents(..).topics`
 * gives those topics' partitions. A shard's id ignores which lane of a copy or split it is in
 * (`.L`): the lanes share their stages, so a shard has one count in all of them.
 */
function unifyShards(program: Program): Program {
  const { counts } = shardComponents(program);
  const rewrite = (tree: TreeSpec, id: string): TreeSpec => {
    switch (tree.kind) {
      case "emit":
        return tree;
      case "copy":
        return { ...tree, lanes: tree.lanes.map((l) => rewrite(l, `${id}.L`)) };
      case "filter":
        return { ...tree, next: rewrite(tree.next, `${id}.0`) };
      case "split":
        return {
          ...tree,
          cases: tree.cases.map((c) => ({ ...c, next: rewrite(c.next, `${id}.L`) })),
          otherwise: tree.otherwise && rewrite(tree.otherwise, `${id}.L`),
        };
      case "shard":
        return { ...tree, count: counts.get(id) ?? tree.count, next: rewrite(tree.next, `${id}.0`) };
    }
  };
  const used = usedLanes(program.root);
  return {
    ...program,
    root: rewrite(program.root, "route"),
    lanes: program.lanes.map((l, j) => (used.has(j) ? { ...l, tree: rewrite(l.tree, `lane${j}`) } : l)),
  };
}

function shardComponents(program: Program): { counts: Map<string, number>; topics: Map<string, number> } {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    const p = parent.get(x) ?? x;
    if (p === x) return x;
    const r = find(p);
    parent.set(x, r);
    return r;
  };
  const union = (a: string, b: string) => {
    const [ra, rb] = [find(a), find(b)];
    if (ra !== rb) parent.set(rb, ra);
  };
  const shards: Array<{ id: string; count: number }> = [];
  const walk = (tree: TreeSpec, id: string, inForce: string | undefined): void => {
    switch (tree.kind) {
      case "emit":
        if (inForce !== undefined) union(inForce, `topic:${topicOf(tree.to)}`);
        return;
      case "copy":
        tree.lanes.forEach((l) => walk(l, `${id}.L`, inForce));
        return;
      case "filter":
        if (inForce !== undefined && tree.droppedTo !== undefined) union(inForce, `topic:sink${tree.droppedTo}`);
        walk(tree.next, `${id}.0`, inForce);
        return;
      case "split":
        tree.cases.forEach((c) => walk(c.next, `${id}.L`, inForce));
        if (tree.otherwise) walk(tree.otherwise, `${id}.L`, inForce);
        return;
      case "shard":
        shards.push({ id, count: tree.count });
        find(id);
        walk(tree.next, `${id}.0`, id);
        return;
    }
  };
  for (const { name, tree } of workerTrees(program)) walk(tree, name, undefined);
  const first = new Map<string, number>();
  for (const s of shards) if (!first.has(find(s.id))) first.set(find(s.id), s.count);
  const counts = new Map(shards.map((s) => [s.id, first.get(find(s.id))!] as const));
  const topics = new Map<string, number>();
  for (const key of parent.keys()) {
    if (!key.startsWith("topic:")) continue;
    const count = first.get(find(key));
    if (count !== undefined) topics.set(key.slice("topic:".length), count);
  }
  return { counts, topics };
}

// ---- the printer ----------------------------------------------------------------------------

/** Thrown for a tree the printer cannot say in `.flow` (outside this suite's arbitrary). */
export class NotExpressible extends Error {}

function steps(tree: TreeSpec): { steps: Step[]; rest: TreeSpec } {
  const out: Step[] = [];
  let t = tree;
  for (;;) {
    if (t.kind === "filter") {
      out.push({ kind: "filter", mod: t.mod, rem: t.rem, droppedTo: t.droppedTo });
      t = t.next;
    } else if (t.kind === "shard") {
      out.push({ kind: "shard", count: t.count, by: t.by });
      t = t.next;
    } else return { steps: out, rest: t };
  }
}

/** A tree back as a shape, or NotExpressible. */
export function shapeOf(tree: TreeSpec): Shape {
  const { steps: pre, rest } = steps(tree);
  if (rest.kind === "emit") return { pre, fork: undefined, lane: [], targets: [rest.to] };
  let fork: Fork;
  let lanes: TreeSpec[];
  if (rest.kind === "copy") {
    if (rest.lanes.length < 2) throw new NotExpressible("copy of one lane");
    fork = { kind: "copy", lanes: rest.lanes.length };
    lanes = [...rest.lanes];
  } else if (rest.kind === "split") {
    if (rest.otherwise === undefined) throw new NotExpressible("split without else");
    fork = { kind: "split", belows: rest.cases.map((c) => c.below) };
    lanes = [...rest.cases.map((c) => c.next), rest.otherwise];
  } else throw new NotExpressible(`unexpected ${rest.kind}`);
  const parts = lanes.map(steps);
  const lane = parts[0].steps;
  for (const p of parts) {
    if (JSON.stringify(p.steps) !== JSON.stringify(lane)) throw new NotExpressible("lanes with different stages");
    if (p.rest.kind !== "emit") throw new NotExpressible("nested lanes");
  }
  return { pre, fork, lane, targets: parts.map((p) => (p.rest as { to: Target }).to) };
}

const laneNames = (fork: Fork): string[] =>
  fork.kind === "copy" ? Array.from({ length: fork.lanes }, (_, i) => `l${i}`) : [...fork.belows.map((_, i) => `l${i}`), "le"];

export const handlerName = (spec: LaneSpec, j: number): string => `${spec.kind === "map" ? "mapLane" : "flatMapLane"}${j}`;
export const ROUTING_PIPELINE = "routing";
export const lanePipeline = (j: number): string => `work${j}`;

function keepList(mod: number, rem: number): number[] {
  return Array.from({ length: MAX_N + 1 }, (_, v) => v).filter((v) => v % mod === rem);
}

function printStep(s: Step, state: { keyInForce: boolean }): string {
  if (s.kind === "filter") {
    const rejected = keepList(s.mod, s.rem);
    const cond = rejected.length === 0 ? ".n >= 0" : `.n not in [${rejected.join(", ")}]`;
    return `filter(${cond}${s.droppedTo === undefined ? "" : `, dropped: sink${s.droppedTo}`})`;
  }
  const text = s.by === "id" ? `shard(${s.count}, by: .id)` : state.keyInForce ? `shard(${s.count})` : `shard(${s.count}, by: .key)`;
  state.keyInForce = false;
  return text;
}

function printRoute(shape: Shape, first: string[], choices: PrintChoices, routing: boolean): string[] {
  const lines = [...first];
  const state = { keyInForce: routing && choices.implicitShardKey };
  const stage = (s: Step) => lines.push(`| ${printStep(s, state)}`);
  shape.pre.forEach(stage);
  if (shape.fork === undefined) {
    lines.push(`-> ${topicOf(shape.targets[0])}`);
    return lines;
  }
  const names = laneNames(shape.fork);
  if (shape.fork.kind === "copy") lines.push(`| copy(${names.join(", ")})`);
  else {
    const cases = shape.fork.belows.map((b, i) => `${names[i]}: .n < ${b}`);
    lines.push(`| split { ${[...cases, `else: ${names[names.length - 1]}`].join(", ")} }`);
  }
  const merged = shape.targets.every((t) => topicOf(t) === topicOf(shape.targets[0]));
  if (merged) {
    const at = choices.mergeAt % (shape.lane.length + 1);
    shape.lane.slice(0, at).forEach(stage);
    lines.push("| merge");
    shape.lane.slice(at).forEach(stage);
    lines.push(`-> ${topicOf(shape.targets[0])}`);
  } else {
    shape.lane.forEach(stage);
    lines.push(`-> { ${names.map((l, i) => `${l}: ${topicOf(shape.targets[i])}`).join(", ")} }`);
  }
  return lines;
}

export const deadLetterTopic = (j: number): string => `dead${j}`;

function printPolicy(spec: LaneSpec, j: number, choices: PrintChoices): string {
  const retry = spec.attempts === 1 ? "retry(0)" : `retry(${spec.attempts - 1}, backoff: ${spec.tiers === 2 ? "2ms..8ms" : "2ms..2ms"})`;
  return `${retry} concurrency(${spec.concurrency})${choices.deadLetters[j] ? ` deadLetter(${deadLetterTopic(j)})` : ""}`;
}

/**
 * The program as a `.flow` file; its handlers come from "./handlers.ts" (this folder's
 * handlers.ts, beside which the file is written).
 */
export function printFlow({ program, choices }: FlowCase, header: readonly string[] = []): string {
  const lanes = [...usedLanes(program.root)].sort();
  const pipelines: string[][] = [];
  const topics = new Set<string>();
  const collect = (shape: Shape) => {
    shape.targets.forEach((t) => topics.add(topicOf(t)));
    for (const s of [...shape.pre, ...shape.lane]) if (s.kind === "filter" && s.droppedTo !== undefined) topics.add(`sink${s.droppedTo}`);
  };
  const root = shapeOf(program.root);
  collect(root);
  pipelines.push([`pipeline ${ROUTING_PIPELINE} {`, ...printRoute(root, ["src"], choices, true).map((l, i) => (i === 0 ? `  ${l}` : `    ${l}`)), "}"]);
  for (const j of lanes) {
    const spec = program.lanes[j];
    const shape = shapeOf(spec.tree);
    collect(shape);
    const head = [`lane${j}`, `| ${spec.kind}(${handlerName(spec, j)}) ${printPolicy(spec, j, choices)}`];
    pipelines.push([`pipeline ${lanePipeline(j)} {`, ...printRoute(shape, head, choices, false).map((l, i) => (i === 0 ? `  ${l}` : `    ${l}`)), "}"]);
  }
  const sharded = shardComponents(program).topics;
  const topicLines = [`topic src: Msg (partitions: ${program.sourcePartitions}, key: .key)`];
  const order = [...Array.from({ length: SINKS }, (_, i) => `sink${i}`), ...Array.from({ length: LANES }, (_, j) => `lane${j}`)];
  order.forEach((t, i) => {
    if (!topics.has(t)) return;
    const partitions = sharded.get(t) ?? choices.partitions[i];
    topicLines.push(`topic ${t}: Msg (partitions: ${partitions}${t.startsWith("lane") ? ", key: .key" : ""})`);
  });
  for (const j of lanes) if (choices.deadLetters[j]) topicLines.push(`topic ${deadLetterTopic(j)}: Msg (partitions: 1)`);
  const handlers = lanes.map((j) => {
    const spec = program.lanes[j];
    return `handler ${handlerName(spec, j)}(Msg) -> ${spec.kind === "map" ? "Msg" : "[Msg]"} from "./handlers.ts"`;
  });
  return [
    ...header.map((h) => `// ${h}`),
    "enum Tag { poison, flaky }",
    "schema Msg { id: string, n: int, key: string, tag?: Tag, via?: int, part?: int }",
    "",
    ...topicLines,
    "",
    ...handlers,
    "",
    ...pipelines.map((p) => p.join("\n")).join("\n\n").split("\n"),
    "",
  ].join("\n");
}
