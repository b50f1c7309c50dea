import { Field, FIELDS, type StageKind } from "./accounting.js";
import { Headers } from "./headers.js";
import { deriveMessageId, deriveMessageIdJoined } from "./ids.js";
import { partitionForKey } from "./murmur2.js";
import { routeNode, type Route, type RouteNode } from "./route.js";

/** A record a route produced, ready for a transport's producer. */
export interface Emission {
  readonly topic: string;
  /** Set by shard; otherwise the transport's partitioner places the record by its key. */
  readonly partition: number | undefined;
  readonly key: string;
  readonly value: string;
  readonly headers: Record<string, string>;
}

export interface EmissionSink {
  push(emission: Emission): unknown;
}

/** A message a route stage could not place (predicate threw, no split lane, missing key). */
export interface RouteFailure {
  readonly stage: string;
  readonly message: string;
}

/** One stage in a worker's stage table: counters are kept per entry. */
export interface StageEntry {
  readonly index: number;
  readonly stage: string;
  readonly kind: StageKind;
  /** Copy lanes, for copy's law. */
  readonly lanes: number;
}

/**
 * Assigns counter slots to stage ids. A stage id used twice in one worker (two leaves emitting
 * into the same topic) shares one slot, so it must have the same kind both times.
 */
export class StageTable {
  readonly entries: StageEntry[] = [];
  private readonly byStage = new Map<string, StageEntry>();

  register(stage: string, kind: StageKind, lanes = 1): number {
    const existing = this.byStage.get(stage);
    if (existing) {
      if (existing.kind !== kind || existing.lanes !== lanes) {
        throw new Error(`stage '${stage}' is used as both ${existing.kind} and ${kind}`);
      }
      return existing.index;
    }
    const entry: StageEntry = { index: this.entries.length, stage, kind, lanes };
    this.entries.push(entry);
    this.byStage.set(stage, entry);
    return entry.index;
  }

  get size(): number {
    return this.entries.length;
  }

  newCounters(): Float64Array {
    return new Float64Array(this.entries.length * FIELDS);
  }
}

/**
 * The mutable state a compiled route reads and writes while it places one value. The runner
 * owns one and resets the per-value fields before each call; routes are synchronous, so one
 * object serves a whole worker.
 */
export class RouteScope {
  /** Counters the stages bump (the runner swaps in a fresh block per flush). */
  counts: Float64Array = new Float64Array(0);
  value: unknown = undefined;
  /** The value's JSON, when already known (a route-only worker forwards its input bytes). */
  encoded: string | undefined = undefined;
  /** The id of the input message (the `flowc-parent` of every output). */
  parentId = "";
  /** What output ids derive from: the input id, or the hedge id under mergeFirst. */
  idBase = "";
  /** Handler step (stage, lane, flatMap index) prepended to each leaf's path. */
  idPrefix = "";
  /** The hedge id travelling with the value, if a hedging copy is upstream. */
  hedge: string | undefined = undefined;
  /** Where leaves put their records (the runner passes its pending output list). */
  emissions: EmissionSink = [];
  failures: RouteFailure[] = [];

  encode(): string {
    if (this.encoded === undefined) this.encoded = JSON.stringify(this.value) ?? "null";
    return this.encoded;
  }
}

type Step = (scope: RouteScope, key: string | null, partition: number) => void;

export interface CompiledRoute {
  /** Places `scope.value`, pushing emissions and failures onto the scope. `key` is the input
   *  record's key (kept on outputs unless a shard or mergeFirst replaces it). */
  run(scope: RouteScope, key: string | null): void;
  /** The root stage's slot (its `in` must equal what the worker handed to the route). */
  readonly rootIndex: number;
  /** Slots of all stages in this route. */
  readonly stageIndexes: readonly number[];
  /** Slots of the leaves. */
  readonly emitIndexes: readonly number[];
  /** Slots of filters that route their rejects to a topic (their dropped feed an emit). */
  readonly routedDropIndexes: readonly number[];
  /** The topic of each leaf slot. */
  readonly emitTopics: ReadonlyMap<number, string>;
  /** Leaves below a mergeFirst: their topic receives one record per hedged lane, of which
   *  the consumer keeps the first. */
  readonly hedgedEmitIndexes: readonly number[];
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * Compiles a route tree into closures. Each stage counts its own in/out/dropped/dead into
 * `scope.counts`, so the runner's conservation check tests what the code did, not what it
 * was supposed to do.
 */
export function compileRoute(root: Route<never>, table: StageTable): CompiledRoute {
  const stageIndexes = new Set<number>();
  const emitIndexes = new Set<number>();
  const routedDropIndexes = new Set<number>();
  const emitTopics = new Map<number, string>();
  const hedgedEmitIndexes = new Set<number>();
  let underMergeFirst = 0;

  const compile = (n: RouteNode, path: string): { step: Step; index: number } => {
    const here = path === "" ? n.stage : `${path}>${n.stage}`;
    switch (n.kind) {
      case "emit": {
        const index = table.register(n.stage, "emit");
        stageIndexes.add(index);
        emitIndexes.add(index);
        const known = emitTopics.get(index);
        if (known !== undefined && known !== n.topic) {
          throw new Error(`emit stage '${n.stage}' is used for two topics ('${known}' and '${n.topic}')`);
        }
        emitTopics.set(index, n.topic);
        if (underMergeFirst > 0) hedgedEmitIndexes.add(index);
        const base = index * FIELDS;
        const topic = n.topic;
        const step: Step = (scope, key, partition) => {
          const c = scope.counts;
          c[base + Field.in]++;
          const id = deriveMessageIdJoined(scope.idBase, scope.idPrefix, here);
          // Literal keys (Headers.id, Headers.parent): one fixed object shape per emission.
          const headers: Record<string, string> = { "flowc-id": id, "flowc-parent": scope.parentId };
          if (scope.hedge !== undefined) headers[Headers.hedge] = scope.hedge;
          scope.emissions.push({
            topic,
            partition: partition >= 0 ? partition : undefined,
            // Unkeyed outputs are keyed by their id: a duplicate then lands in the same
            // partition as the original, where the consumer's dedupe window sees both.
            key: key ?? id,
            value: scope.encode(),
            headers,
          });
          c[base + Field.out]++;
        };
        return { step, index };
      }
      case "copy": {
        const index = table.register(n.stage, "copy", n.lanes.length);
        stageIndexes.add(index);
        const base = index * FIELDS;
        const lanes = n.lanes.map((l) => compile(l.next, `${path === "" ? "" : `${path}>`}${n.stage}[${l.lane}]`).step);
        const hedge = n.hedge;
        const step: Step = (scope, key, partition) => {
          const c = scope.counts;
          c[base + Field.in]++;
          const outer = scope.hedge;
          if (hedge) scope.hedge = deriveMessageIdJoined(scope.idBase, scope.idPrefix, here);
          for (let i = 0; i < lanes.length; i++) {
            c[base + Field.out]++;
            lanes[i](scope, key, partition);
          }
          scope.hedge = outer;
        };
        return { step, index };
      }
      case "filter": {
        const index = table.register(n.stage, "filter");
        stageIndexes.add(index);
        const base = index * FIELDS;
        const next = compile(n.next, here).step;
        const dropped = n.dropped ? compile(n.dropped, `${here}[dropped]`).step : undefined;
        if (dropped) routedDropIndexes.add(index);
        const predicate = n.predicate;
        const stage = n.stage;
        const step: Step = (scope, key, partition) => {
          const c = scope.counts;
          c[base + Field.in]++;
          let keep: boolean;
          try {
            keep = predicate(scope.value) === true;
          } catch (error) {
            c[base + Field.dead]++;
            scope.failures.push({ stage, message: `filter predicate threw: ${errorMessage(error)}` });
            return;
          }
          if (keep) {
            c[base + Field.out]++;
            next(scope, key, partition);
          } else {
            c[base + Field.dropped]++;
            if (dropped) dropped(scope, key, partition);
          }
        };
        return { step, index };
      }
      case "split": {
        const index = table.register(n.stage, "split");
        stageIndexes.add(index);
        const base = index * FIELDS;
        const prefix = path === "" ? "" : `${path}>`;
        const cases = n.cases.map((k) => ({ when: k.when, step: compile(k.next, `${prefix}${n.stage}[${k.lane}]`).step }));
        const otherwise = n.otherwise ? compile(n.otherwise.next, `${prefix}${n.stage}[${n.otherwise.lane}]`).step : undefined;
        const stage = n.stage;
        const step: Step = (scope, key, partition) => {
          const c = scope.counts;
          c[base + Field.in]++;
          let chosen: Step | undefined;
          try {
            for (let i = 0; i < cases.length; i++) {
              if (cases[i].when(scope.value) === true) {
                chosen = cases[i].step;
                break;
              }
            }
          } catch (error) {
            c[base + Field.dead]++;
            scope.failures.push({ stage, message: `split predicate threw: ${errorMessage(error)}` });
            return;
          }
          chosen ??= otherwise;
          if (chosen === undefined) {
            c[base + Field.dead]++;
            scope.failures.push({ stage, message: "no split lane matched and there is no else lane" });
            return;
          }
          c[base + Field.out]++;
          chosen(scope, key, partition);
        };
        return { step, index };
      }
      case "shard": {
        const index = table.register(n.stage, "shard");
        stageIndexes.add(index);
        const base = index * FIELDS;
        const next = compile(n.next, here).step;
        const keyOf = n.key;
        const count = n.count;
        const stage = n.stage;
        const step: Step = (scope) => {
          const c = scope.counts;
          c[base + Field.in]++;
          let raw: string | number;
          try {
            raw = keyOf(scope.value);
          } catch (error) {
            c[base + Field.dead]++;
            scope.failures.push({ stage, message: `shard key threw: ${errorMessage(error)}` });
            return;
          }
          if (raw === null || raw === undefined) {
            c[base + Field.dead]++;
            scope.failures.push({ stage, message: "shard key is missing" });
            return;
          }
          const shardKey = typeof raw === "string" ? raw : String(raw);
          c[base + Field.out]++;
          next(scope, shardKey, partitionForKey(shardKey, count));
        };
        return { step, index };
      }
      case "mergeFirst": {
        const index = table.register(n.stage, "mergeFirst");
        stageIndexes.add(index);
        const base = index * FIELDS;
        // Ids below restart from the hedge id: both lanes must derive identical ids here.
        underMergeFirst++;
        const next = compile(n.next, "").step;
        underMergeFirst--;
        const stage = n.stage;
        const step: Step = (scope) => {
          const c = scope.counts;
          c[base + Field.in]++;
          const hedge = scope.hedge;
          if (hedge === undefined) {
            c[base + Field.dead]++;
            scope.failures.push({ stage, message: "merge(first) needs a hedging copy upstream (no flowc-hedge header)" });
            return;
          }
          const { idBase, idPrefix } = scope;
          scope.idBase = deriveMessageId(hedge, stage);
          scope.idPrefix = "";
          scope.hedge = undefined;
          c[base + Field.out]++;
          // Key by the shared id so both lanes' results meet in one partition.
          next(scope, scope.idBase, -1);
          scope.idBase = idBase;
          scope.idPrefix = idPrefix;
          scope.hedge = hedge;
        };
        return { step, index };
      }
    }
  };

  const compiled = compile(routeNode(root), "");
  const rootStep = compiled.step;
  return {
    run: (scope, key) => rootStep(scope, key, -1),
    rootIndex: compiled.index,
    stageIndexes: [...stageIndexes],
    emitIndexes: [...emitIndexes],
    routedDropIndexes: [...routedDropIndexes],
    emitTopics,
    hedgedEmitIndexes: [...hedgedEmitIndexes],
  };
}
