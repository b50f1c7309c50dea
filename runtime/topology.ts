import type { TopicSpec } from "./transport.js";
import type { Worker } from "./worker.js";

/**
 * topology.json: the contract between the compiler and the runtime. The compiler writes it
 * next to the worker modules; the runtime (and `flowc topics apply`) creates the topics from
 * it. Plain JSON: no functions, no undefined-only fields the JSON round trip would lose.
 */
export interface Topology {
  readonly version: 1;
  /** The .flow file it was built from (relative, for messages). */
  readonly source?: string;
  readonly topics: readonly TopologyTopic[];
  readonly workers: readonly TopologyWorker[];
}

export type TopicRole = "source" | "internal" | "sink" | "retry" | "dead-letter" | "state";

export interface TopologyTopic {
  readonly name: string;
  readonly partitions: number;
  readonly role: TopicRole;
  readonly replication?: number;
  /** The key expression of a sharded topic, as written in the .flow file (e.g. ".id"). */
  readonly key?: string;
  /** The schema of the values (for tools). */
  readonly schema?: string;
  /** Records per partition to keep (state topics). */
  readonly maxRecordsPerPartition?: number;
  /** Broker-specific topic configuration, passed through. */
  readonly config?: Readonly<Record<string, string>>;
}

export interface TopologyWorker {
  readonly id: string;
  readonly group: string;
  readonly input: string;
  readonly outputs: readonly string[];
  readonly retryTopics: readonly string[];
  readonly deadLetter: string;
  readonly stateTopic: string;
  /** Stage ids in the worker (handler and route stages), for graphs and reports. */
  readonly stages: readonly string[];
  /** The generated module, relative to topology.json. */
  readonly module?: string;
  /** Where in the .flow source the worker comes from. */
  readonly span?: { readonly file: string; readonly line: number };
}

export interface PlanOptions {
  /** Partitions of source topics (those no worker emits into): one number or per topic. */
  readonly sourcePartitions?: number | Readonly<Record<string, number>>;
  /** Ids each worker remembers per partition for dedupe (sizes the state topics). */
  readonly dedupeWindow?: number;
}

export const DEFAULT_DEDUPE_WINDOW = 10_000;

/**
 * Derives a topology from worker modules alone: what `runPipeline` uses when no
 * topology.json is given. Emitted topics get the partitions their shards need (at least 1).
 */
export function planTopology(workers: readonly Worker[], options: PlanOptions = {}): Topology {
  const consumed = new Set(workers.map((w) => w.inputTopic));
  const emitted = new Map<string, number>();
  for (const w of workers) {
    for (const [topic, partitions] of w.outputs) emitted.set(topic, Math.max(emitted.get(topic) ?? 1, partitions));
  }
  const topics = new Map<string, TopologyTopic>();
  const add = (t: TopologyTopic) => {
    const existing = topics.get(t.name);
    if (existing && existing.role !== t.role) {
      throw new Error(`topic '${t.name}' would be both ${existing.role} and ${t.role}`);
    }
    topics.set(t.name, existing ? { ...existing, partitions: Math.max(existing.partitions, t.partitions) } : t);
  };
  const sourcePartitions = (topic: string) => {
    const given = options.sourcePartitions;
    if (typeof given === "number") return given;
    return given?.[topic] ?? 1;
  };
  for (const w of workers) {
    const partitions = emitted.get(w.inputTopic) ?? sourcePartitions(w.inputTopic);
    add({ name: w.inputTopic, partitions, role: emitted.has(w.inputTopic) ? "internal" : "source" });
  }
  for (const [name, partitions] of emitted) {
    if (!consumed.has(name)) add({ name, partitions, role: "sink" });
  }
  const window = options.dedupeWindow ?? DEFAULT_DEDUPE_WINDOW;
  // A mark record lists the ids of one flush. Keep enough records for `window` ids when
  // flushes are busy (64+ ids each) and always the last few, which is what recovery after a
  // crash needs; memory stays bounded either way.
  const markRecords = Math.ceil(window / 64) + 16;
  for (const w of workers) {
    const inputPartitions = topics.get(w.inputTopic)!.partitions;
    for (const name of w.retryTopics) add({ name, partitions: inputPartitions, role: "retry" });
    add({ name: w.deadLetterTopic, partitions: 1, role: "dead-letter" });
    add({
      name: w.stateTopic,
      partitions: inputPartitions,
      role: "state",
      maxRecordsPerPartition: markRecords * (1 + w.retryTopics.length),
    });
  }
  return {
    version: 1,
    topics: [...topics.values()],
    workers: workers.map((w) => ({
      id: w.id,
      group: w.group,
      input: w.inputTopic,
      outputs: [...w.outputs.keys()],
      retryTopics: w.retryTopics,
      deadLetter: w.deadLetterTopic,
      stateTopic: w.stateTopic,
      stages: w.plan.table.entries.filter((e) => e.kind !== "decode").map((e) => e.stage),
    })),
  };
}

/**
 * The topics to create: the given topology's, plus any the workers need that it lacks (a
 * topology written before the runtime added state topics, say).
 */
export function topicSpecs(workers: readonly Worker[], topology: Topology | undefined, options: PlanOptions = {}): TopicSpec[] {
  const planned = planTopology(workers, options);
  const byName = new Map<string, TopologyTopic>();
  for (const t of topology?.topics ?? []) byName.set(t.name, t);
  for (const t of planned.topics) if (!byName.has(t.name)) byName.set(t.name, t);
  return [...byName.values()].map((t) => ({
    name: t.name,
    partitions: t.partitions,
    replication: t.replication,
    maxRecordsPerPartition: t.maxRecordsPerPartition,
    // Dead letters wait for a person; nobody commits past them.
    retainAll: t.role === "dead-letter" ? true : undefined,
    config: t.config,
  }));
}

/** Topic names by role. */
export function topicsWithRole(workers: readonly Worker[], topology: Topology | undefined, role: TopicRole): string[] {
  const topics = topology?.topics ?? planTopology(workers).topics;
  return topics.filter((t) => t.role === role).map((t) => t.name);
}
