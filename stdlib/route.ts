/**
 * Route trees: the pure, synchronous part of a worker. A worker hands each value (its decoded
 * input, or each result of its handler) to a route tree made of these nodes; the leaves are
 * `emit(topic)`. The constructors only build and validate data: `compileRoute` turns a tree
 * into the closures the runner calls per message.
 */

declare const routeInput: unique symbol;

/**
 * A route that accepts values of type `T`. Contravariant: a `Route<unknown>` (such as `emit`)
 * fits anywhere, and a route for `Photo` fits where a route for a subtype of `Photo` is needed.
 * The combinators take their inner routes as `Route<NoInfer<T>>`, so `T` comes from the
 * context (the worker's type) or from annotated predicates, never from an `emit` leaf.
 */
export interface Route<in T> {
  readonly kind: RouteNode["kind"];
  readonly stage: string;
  /** Type-level only; never present at run time. */
  readonly [routeInput]?: (value: T) => void;
}

/** Predicates and key functions are generated from flowc expressions; they may not throw, but
 *  if one does the message goes to the dead-letter topic with the stage named. */
export type Predicate<T> = (value: T) => boolean;
export type KeyFunction<T> = (value: T) => string | number;

export type RouteNode = CopyNode | FilterNode | SplitNode | ShardNode | EmitNode | MergeFirstNode;

export interface CopyNode {
  readonly kind: "copy";
  readonly stage: string;
  readonly lanes: readonly CopyLane[];
  readonly hedge: boolean;
}
export interface CopyLane {
  readonly lane: string;
  readonly next: RouteNode;
}
export interface FilterNode {
  readonly kind: "filter";
  readonly stage: string;
  readonly predicate: Predicate<any>;
  readonly next: RouteNode;
  /** Where rejected messages go, if anywhere: they still count as dropped. */
  readonly dropped?: EmitNode;
}
export interface SplitNode {
  readonly kind: "split";
  readonly stage: string;
  readonly cases: readonly SplitCase[];
  readonly otherwise?: { readonly lane: string; readonly next: RouteNode };
}
export interface SplitCase {
  readonly lane: string;
  readonly when: Predicate<any>;
  readonly next: RouteNode;
}
export interface ShardNode {
  readonly kind: "shard";
  readonly stage: string;
  readonly count: number;
  readonly key: KeyFunction<any>;
  readonly next: RouteNode;
}
export interface EmitNode {
  readonly kind: "emit";
  readonly stage: string;
  readonly topic: string;
}
export interface MergeFirstNode {
  readonly kind: "mergeFirst";
  readonly stage: string;
  readonly next: RouteNode;
}

/** Thrown by the constructors (and by defineWorker) for a tree the compiler should never emit. */
export class RouteDefinitionError extends Error {
  override readonly name = "RouteDefinitionError";
}

function node(route: Route<never>): RouteNode {
  return route as unknown as RouteNode;
}
function route<T>(n: RouteNode): Route<T> {
  return n as unknown as Route<T>;
}
function requireStage(stage: string, what: string): void {
  if (typeof stage !== "string" || stage.length === 0) {
    throw new RouteDefinitionError(`${what}: the stage id must be a non-empty string`);
  }
}
function requireRoute(r: unknown, where: string): void {
  const kind = (r as { kind?: unknown } | null)?.kind;
  if (
    kind !== "copy" &&
    kind !== "filter" &&
    kind !== "split" &&
    kind !== "shard" &&
    kind !== "emit" &&
    kind !== "mergeFirst"
  ) {
    throw new RouteDefinitionError(`${where}: expected a route (copy, filter, split, shard, emit, mergeFirst)`);
  }
}

/**
 * `copy(a, b, c)`: every message goes to each lane. With `hedge: true` (copy for latency, closed
 * by `mergeFirst`), the lanes' outputs carry a shared hedge id so the merge keeps one per input.
 * Lanes are given as an object (insertion order) or as `[lane, route]` pairs.
 */
export function copy<T>(
  stage: string,
  lanes: Readonly<Record<string, Route<NoInfer<T>>>> | ReadonlyArray<readonly [string, Route<NoInfer<T>>]>,
  options: { hedge?: boolean } = {},
): Route<T> {
  requireStage(stage, "copy");
  const entries: ReadonlyArray<readonly [string, Route<T>]> = Array.isArray(lanes)
    ? (lanes as ReadonlyArray<readonly [string, Route<T>]>)
    : Object.entries(lanes as Record<string, Route<T>>);
  if (entries.length === 0) throw new RouteDefinitionError(`copy ${stage}: needs at least one lane`);
  const seen = new Set<string>();
  const built: CopyLane[] = entries.map(([lane, next]) => {
    if (seen.has(lane)) throw new RouteDefinitionError(`copy ${stage}: lane '${lane}' appears twice`);
    seen.add(lane);
    requireRoute(next, `copy ${stage} lane '${lane}'`);
    return { lane, next: node(next) };
  });
  return route({ kind: "copy", stage, lanes: built, hedge: options.hedge === true });
}

/** `filter(expr)`: keeps messages the predicate accepts. Rejected ones are counted as dropped
 *  and, with `droppedTo` (a topic, or an `emit(topic, { stage })`), emitted there. */
export function filter<T>(
  stage: string,
  predicate: Predicate<T>,
  next: Route<NoInfer<T>>,
  options: { droppedTo?: string | Route<unknown> } = {},
): Route<T> {
  requireStage(stage, "filter");
  if (typeof predicate !== "function") throw new RouteDefinitionError(`filter ${stage}: predicate must be a function`);
  requireRoute(next, `filter ${stage}`);
  const to = options.droppedTo;
  const dropped = to === undefined ? undefined : node(typeof to === "string" ? emit(to) : (to as Route<never>));
  if (dropped !== undefined && dropped.kind !== "emit") {
    throw new RouteDefinitionError(`filter ${stage}: droppedTo must be a topic or an emit(...)`);
  }
  return route({ kind: "filter", stage, predicate, next: node(next), dropped: dropped as EmitNode | undefined });
}

/**
 * `split { a: expr, b: expr, else: c }`: every message goes to exactly one lane, the first whose
 * predicate accepts it, else to `otherwise`. A message no lane takes (possible only without
 * `otherwise`) is dead-lettered, never dropped silently.
 */
export function split<T>(
  stage: string,
  cases: ReadonlyArray<readonly [lane: string, when: Predicate<T>, next: Route<NoInfer<T>>]>,
  otherwise?: readonly [lane: string, next: Route<NoInfer<T>>],
): Route<T> {
  requireStage(stage, "split");
  if (cases.length === 0 && otherwise === undefined) {
    throw new RouteDefinitionError(`split ${stage}: needs at least one lane`);
  }
  const seen = new Set<string>();
  const claim = (lane: string) => {
    if (seen.has(lane)) throw new RouteDefinitionError(`split ${stage}: lane '${lane}' appears twice`);
    seen.add(lane);
  };
  const built: SplitCase[] = cases.map(([lane, when, next]) => {
    claim(lane);
    if (typeof when !== "function") throw new RouteDefinitionError(`split ${stage} lane '${lane}': predicate must be a function`);
    requireRoute(next, `split ${stage} lane '${lane}'`);
    return { lane, when, next: node(next) };
  });
  let other: SplitNode["otherwise"];
  if (otherwise !== undefined) {
    claim(otherwise[0]);
    requireRoute(otherwise[1], `split ${stage} lane '${otherwise[0]}'`);
    other = { lane: otherwise[0], next: node(otherwise[1]) };
  }
  return route({ kind: "split", stage, cases: built, otherwise: other });
}

/**
 * `shard(n, by: key)`: every message goes to exactly one of n shards, shard =
 * toPositive(murmur2(utf8(String(key)))) % n, which is Kafka's default partitioner. The shard
 * becomes the record's partition downstream, and the key its Kafka key. A missing key
 * (null/undefined) dead-letters the message.
 */
export function shard<T>(stage: string, count: number, key: KeyFunction<T>, next: Route<NoInfer<T>>): Route<T> {
  requireStage(stage, "shard");
  if (!Number.isInteger(count) || count < 1) throw new RouteDefinitionError(`shard ${stage}: count must be an integer >= 1, got ${count}`);
  if (typeof key !== "function") throw new RouteDefinitionError(`shard ${stage}: key must be a function`);
  requireRoute(next, `shard ${stage}`);
  return route({ kind: "shard", stage, count, key, next: node(next) });
}

/**
 * A leaf: produce the message to `topic`. Several leaves (in one worker or in several) may emit
 * into one topic; that is a merge, and giving them the same `stage` makes the accounting show
 * the merge as one stage whose `in` is the sum of its lanes. Default stage: `emit:<topic>`.
 */
export function emit(topic: string, options: { stage?: string } = {}): Route<unknown> {
  if (typeof topic !== "string" || topic.length === 0) throw new RouteDefinitionError("emit: topic must be a non-empty string");
  const stage = options.stage ?? `emit:${topic}`;
  requireStage(stage, "emit");
  return route({ kind: "emit", stage, topic });
}

/**
 * `merge(first)`, closing a hedging `copy(..., { hedge: true })`: placed at the end of every
 * hedged lane, it gives each lane's result the same id (derived from the hedge id and this
 * stage) and the same key, so the results meet in one partition and the consumer's duplicate
 * suppression keeps the first to arrive. See docs/runtime.md, "Hedging".
 */
export function mergeFirst<T>(stage: string, next: Route<NoInfer<T>>): Route<T> {
  requireStage(stage, "mergeFirst");
  requireRoute(next, `mergeFirst ${stage}`);
  return route({ kind: "mergeFirst", stage, next: node(next) });
}

/** Every emit topic in a tree with the number of partitions it needs (the largest shard count
 *  above it, or 1), for topic planning and start-up checks. */
export function routeOutputs(root: Route<never>): Map<string, number> {
  const out = new Map<string, number>();
  const visit = (n: RouteNode, need: number) => {
    switch (n.kind) {
      case "emit":
        out.set(n.topic, Math.max(out.get(n.topic) ?? 1, need));
        return;
      case "copy":
        for (const l of n.lanes) visit(l.next, need);
        return;
      case "filter":
        visit(n.next, need);
        if (n.dropped) visit(n.dropped, need);
        return;
      case "split":
        for (const c of n.cases) visit(c.next, need);
        if (n.otherwise) visit(n.otherwise.next, need);
        return;
      case "shard":
        visit(n.next, n.count);
        return;
      case "mergeFirst":
        visit(n.next, 1);
        return;
    }
  };
  visit(node(root), 1);
  return out;
}

/** The internal node view of a route (for the runtime and tools). */
export function routeNode(r: Route<never>): RouteNode {
  return node(r);
}
