/**
 * The stage graph: what `lower` makes of a checked program and what every
 * emitter (worker modules, topology.json, `flowc topics`, `flowc graph`) reads.
 *
 * - A **node** is one stage instance in one lane: `copy(4k, 1080p, gif) | shard(10)`
 *   gives `renderPhotos/copy`, then `renderPhotos/4k/shard`, `renderPhotos/1080p/shard`, ...
 *   Ids derive from names (pipeline / lane / stage), never from declaration order.
 * - **Edges** are either in-process (a node passes its output to the next node of
 *   the same worker) or topics (a node emits to a topic that a worker consumes).
 * - A **worker** is a grouping of nodes: it consumes one topic, runs at most one
 *   handler, then a pure route tree (copy, filter, split, shard, merge) whose
 *   leaves emit to topics. One worker is one generated module and one consumer group.
 *
 * Every list in the graph is sorted by id, so the graph does not depend on the
 * order files were named or declarations written.
 */
import type * as A from "./ast.js";
import type { HandlerPolicy } from "./check.js";
import type { HandlerSymbol, TopicSymbol } from "./resolve.js";
import type { EnumType, FlowType, SchemaType } from "./types.js";

export const IR_VERSION = 1;

/** Where something came from in a `.flow` file. `file` is absolute; emitters relativize it. */
export interface Origin {
  readonly file: string;
  readonly span: A.Node["span"];
  /** 1-based line and column of span.start. */
  readonly line: number;
  readonly column: number;
  /** The stage as written, on one line, e.g. `shard(10, by: .id)`. */
  readonly text: string;
}

export type TopicRole = "source" | "sink" | "intermediate" | "internal" | "retry" | "dead-letter" | "state";

export interface TopicPlan {
  /** The Kafka topic name; also the topic's id in the graph. */
  readonly name: string;
  readonly role: TopicRole;
  /** The declared topic, for source, sink, intermediate (and declared dead-letter) topics. */
  readonly declared: TopicSymbol | undefined;
  /** What the topic carries; undefined for dead-letter topics (the runtime's dead-letter record). */
  readonly type: FlowType | undefined;
  /** undefined: the broker's default. */
  readonly partitions: number | undefined;
  readonly replication: number | undefined;
  /** Field path that keys records; undefined: records keep the key of the message they came from. */
  readonly key: readonly string[] | undefined;
  /** For retry topics: the worker it feeds back into, its tier (1-based) and the delay before redelivery. */
  readonly retry?: { readonly worker: string; readonly tier: number; readonly delayMs: number };
  /** True when the partitions are shards: a shard stage chose each record's partition. */
  readonly sharded?: boolean;
  /** For internal, retry, dead-letter and state topics: the worker that the compiler planned it for. */
  readonly plannedFor?: string;
  /** Ids of the nodes that emit here (and `worker:<id>` for retry and dead-letter producers), sorted. */
  readonly producers: readonly string[];
  /** Ids of the workers that consume it, sorted. */
  readonly consumers: readonly string[];
  /** Where the topic is declared, or the stage that made the compiler plan it. */
  readonly origin: Origin | undefined;
}

/** Where a node's output goes: the next node in the same worker, or a topic. */
export type Target = { readonly kind: "node"; readonly node: string } | { readonly kind: "topic"; readonly topic: string };

/** A node's outgoing edges. `label` names a lane (copy, split) or `dropped` (filter). */
export interface Output {
  readonly label: string | undefined;
  readonly to: Target;
}

interface NodeBase {
  readonly id: string;
  readonly pipeline: string;
  /** The lane the node runs in; undefined before copy or split and after merge. */
  readonly lane: string | undefined;
  readonly worker: string;
  readonly origin: Origin;
  /** The type of the messages the node receives. */
  readonly input: FlowType;
  readonly outputs: readonly Output[];
}

export type StageNode =
  | (NodeBase & {
      readonly kind: "copy";
      readonly lanes: readonly string[];
      /** True when the lanes meet again in merge(first): the copy is a hedge and its lanes share one id. */
      readonly hedge?: boolean;
    })
  | (NodeBase & { readonly kind: "filter"; readonly predicate: A.Expression; readonly dropped: string | undefined })
  | (NodeBase & {
      readonly kind: "split";
      readonly cases: readonly { readonly lane: string; readonly when: A.Expression }[];
      readonly elseLane: string | undefined;
    })
  | (NodeBase & { readonly kind: "shard"; readonly count: number; readonly key: readonly string[] | undefined; readonly keyNode: A.PathExpr | undefined })
  | (NodeBase & { readonly kind: "merge"; readonly first: boolean })
  | (NodeBase & {
      readonly kind: "map" | "flatMap";
      readonly handler: HandlerSymbol;
      readonly policy: HandlerPolicy;
      /** The element type the handler produces per message (for flatMap, the array's element). */
      readonly output: FlowType | undefined;
    });

export type NodeKind = StageNode["kind"];

export interface WorkerPlan {
  /** `<pipeline>[.<lane>].<stage>`: `renderPhotos.route`, `renderPhotos.4k.render`. */
  readonly id: string;
  readonly pipeline: string;
  readonly lane: string | undefined;
  /** Output path of the module, relative to the output directory, e.g. `renderPhotos/4k.render.worker.ts`. */
  readonly module: string;
  /** `flowc.<id>`. */
  readonly consumerGroup: string;
  readonly input: string;
  readonly inputType: FlowType;
  /** The handler node, when the worker runs one. */
  readonly handler: string | undefined;
  /** The first node of the route tree (after the handler), or undefined when results go straight to `emits`. */
  readonly route: Target | undefined;
  readonly retryTopics: readonly string[];
  readonly deadLetterTopic: string;
  /** Where the worker records the message ids it finished (duplicate suppression): `<worker>.state`. */
  readonly stateTopic: string;
  /** Every node the worker runs, in route order. */
  readonly nodes: readonly string[];
  /** Topics the worker writes (not counting retry and dead-letter topics), sorted. */
  readonly emits: readonly string[];
  /** The pipeline line, for the module's doc comment. */
  readonly origin: Origin;
}

export interface PipelinePlan {
  readonly name: string;
  readonly file: string;
  readonly origin: Origin;
  readonly sources: readonly string[];
  readonly workers: readonly string[];
}

export interface StageGraph {
  readonly version: typeof IR_VERSION;
  /** Absolute paths of the `.flow` files the program was built from, sorted. */
  readonly files: readonly string[];
  /** Every schema and enum of the program, sorted by name. */
  readonly types: readonly (SchemaType | EnumType)[];
  readonly pipelines: readonly PipelinePlan[];
  readonly topics: readonly TopicPlan[];
  readonly nodes: readonly StageNode[];
  readonly workers: readonly WorkerPlan[];
}

/** Lookups over a graph, built once. */
export class GraphIndex {
  readonly topics: ReadonlyMap<string, TopicPlan>;
  readonly nodes: ReadonlyMap<string, StageNode>;
  readonly workers: ReadonlyMap<string, WorkerPlan>;

  constructor(readonly graph: StageGraph) {
    this.topics = new Map(graph.topics.map((t) => [t.name, t]));
    this.nodes = new Map(graph.nodes.map((n) => [n.id, n]));
    this.workers = new Map(graph.workers.map((w) => [w.id, w]));
  }

  topic(name: string): TopicPlan {
    const topic = this.topics.get(name);
    if (topic === undefined) throw new Error(`stage graph: no topic '${name}'`);
    return topic;
  }

  node(id: string): StageNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`stage graph: no node '${id}'`);
    return node;
  }

  worker(id: string): WorkerPlan {
    const worker = this.workers.get(id);
    if (worker === undefined) throw new Error(`stage graph: no worker '${id}'`);
    return worker;
  }
}
