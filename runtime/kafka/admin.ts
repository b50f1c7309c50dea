/**
 * The Kafka side of `flowc topics apply` and `flowc dlq list|replay --brokers`.
 *
 * `applyTopicPlan` creates the planned topics that are missing (partitions, replication, and
 * the configuration their role needs: dead letters kept forever, dedupe state bounded) and
 * reports every existing topic that differs from the plan. It never alters an existing topic:
 * changing a partition count moves keys between partitions, and changing retention can delete
 * data, so both stay a person's decision.
 */
import { DEFAULT_DEDUPE_WINDOW, type Topology } from "../topology.js";
import { listDeadLetters, replayDeadLetters, type DeadLetter, type ListOptions, type ReplayOptions } from "../dlq.js";
import type { TopicSpec } from "../transport.js";
import { kafkajs } from "./client.js";
import { createKafkaTransport, KafkaTransport, topicConfig, type KafkaTransportOptions } from "./transport.js";

/** A topic of a plan: topology.json's topics, or the compiler's topic plan. */
export interface PlannedTopic {
  readonly name: string;
  /** source, sink, internal, intermediate, retry, dead-letter, state. */
  readonly role?: string;
  /** undefined: the broker's default (num.partitions). */
  readonly partitions?: number | undefined;
  /** undefined: the broker's default (default.replication.factor). */
  readonly replication?: number | undefined;
  readonly config?: Readonly<Record<string, string>>;
  /** Dedupe state topics: records to keep per partition. */
  readonly maxRecordsPerPartition?: number;
  /** The worker a retry, dead-letter or state topic belongs to. */
  readonly plannedFor?: string | undefined;
}

export interface TopicDifference {
  /** "partitions", "replication" or "config.<key>". */
  readonly what: string;
  readonly planned: string;
  readonly actual: string;
}

export interface TopicPlanReport {
  readonly created: ReadonlyArray<{ readonly name: string; readonly role?: string; readonly partitions: number; readonly replication: number | "default"; readonly config: Readonly<Record<string, string>> }>;
  readonly unchanged: readonly string[];
  /** Existing topics that differ from the plan; left as they are. */
  readonly differing: ReadonlyArray<{ readonly name: string; readonly role?: string; readonly differences: readonly TopicDifference[] }>;
}

export type KafkaTarget = KafkaTransport | string | KafkaTransportOptions;

/** Runs `fn` with a transport: the given one, or one made (and closed) for the call. */
export async function withKafka<T>(target: KafkaTarget, fn: (transport: KafkaTransport) => Promise<T>): Promise<T> {
  if (target instanceof KafkaTransport) return fn(target);
  const options: KafkaTransportOptions =
    typeof target === "string" ? { brokers: target, clientId: "flowc-cli", logLevel: "nothing" } : { logLevel: "nothing", ...target };
  const transport = createKafkaTransport(options);
  try {
    return await fn(transport);
  } finally {
    await transport.close();
  }
}

/** The TopicSpec (what the transport creates) of a planned topic, with its role's configuration. */
export function plannedSpec(topic: PlannedTopic, plan: readonly PlannedTopic[], defaultPartitions: number): TopicSpec & { readonly partitions: number } {
  let maxRecordsPerPartition = topic.maxRecordsPerPartition;
  if (topic.role === "state" && maxRecordsPerPartition === undefined) {
    // As runtime/topology.ts sizes it: the marks of one dedupe window per input and retry topic.
    const tiers = plan.filter((t) => t.role === "retry" && t.plannedFor !== undefined && t.plannedFor === topic.plannedFor).length;
    maxRecordsPerPartition = (Math.ceil(DEFAULT_DEDUPE_WINDOW / 64) + 16) * (1 + tiers);
  }
  return {
    name: topic.name,
    partitions: topic.partitions ?? defaultPartitions,
    replication: topic.replication,
    maxRecordsPerPartition,
    retainAll: topic.role === "dead-letter" ? true : undefined,
    config: topic.config,
  };
}

function plannedTopics(plan: Topology | readonly PlannedTopic[]): PlannedTopic[] {
  if (Array.isArray(plan)) return [...(plan as readonly PlannedTopic[])];
  const topology = plan as Topology;
  const owner = new Map<string, string>();
  for (const w of topology.workers) {
    for (const t of [...w.retryTopics, w.deadLetter, w.stateTopic]) owner.set(t, w.id);
  }
  return topology.topics.map((t) => ({ ...t, plannedFor: owner.get(t.name) }));
}

async function brokerDefaultPartitions(transport: KafkaTransport): Promise<number> {
  try {
    const admin = await transport.admin();
    const cluster = await admin.describeCluster();
    const result = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: kafkajs.ConfigResourceTypes.BROKER, name: String(cluster.controller ?? cluster.brokers[0]?.nodeId ?? 1), configNames: ["num.partitions"] }],
    });
    const value = Number(result.resources[0]?.configEntries.find((c) => c.configName === "num.partitions")?.configValue);
    return Number.isInteger(value) && value > 0 ? value : 1;
  } catch {
    return 1;
  }
}

/**
 * Creates the planned topics that do not exist; reports those that exist and differ (partition
 * count, replication factor when planned, configuration the plan sets) without altering them.
 */
export async function applyTopicPlan(
  target: KafkaTarget,
  plan: Topology | readonly PlannedTopic[],
  options: { readonly replication?: number } = {},
): Promise<TopicPlanReport> {
  return withKafka(target, async (transport) => {
    const topics = plannedTopics(plan).map((t) => ({ ...t, replication: t.replication ?? options.replication }));
    const needsDefault = topics.some((t) => t.partitions === undefined);
    const defaultPartitions = needsDefault ? await brokerDefaultPartitions(transport) : 1;
    const specs = new Map(topics.map((t) => [t.name, plannedSpec(t, topics, defaultPartitions)] as const));
    const existing = await transport.inspectTopics(topics.map((t) => t.name));

    const missing = topics.filter((t) => !existing.has(t.name));
    if (missing.length > 0) await transport.createMissing(missing.map((t) => specs.get(t.name)!));
    const created = missing.map((t) => {
      const spec = specs.get(t.name)!;
      return { name: t.name, role: t.role, partitions: spec.partitions, replication: spec.replication ?? ("default" as const), config: topicConfig(spec) };
    });

    const present = topics.filter((t) => existing.has(t.name));
    const keys = [...new Set(present.flatMap((t) => Object.keys(topicConfig(specs.get(t.name)!))))];
    const configs = keys.length > 0 ? await transport.topicConfigs(present.map((t) => t.name), keys) : new Map<string, Record<string, string>>();
    const unchanged: string[] = [];
    const differing: Array<{ name: string; role?: string; differences: TopicDifference[] }> = [];
    for (const t of present) {
      const actual = existing.get(t.name)!;
      const spec = specs.get(t.name)!;
      const differences: TopicDifference[] = [];
      if (t.partitions !== undefined && actual.partitions !== t.partitions) {
        differences.push({ what: "partitions", planned: String(t.partitions), actual: String(actual.partitions) });
      }
      if (t.replication !== undefined && actual.replication !== t.replication) {
        differences.push({ what: "replication", planned: String(t.replication), actual: String(actual.replication) });
      }
      const config = configs.get(t.name) ?? {};
      for (const [key, value] of Object.entries(topicConfig(spec))) {
        if (config[key] !== undefined && config[key] !== value) differences.push({ what: `config.${key}`, planned: value, actual: config[key] });
      }
      if (differences.length > 0) differing.push({ name: t.name, role: t.role, differences });
      else unchanged.push(t.name);
    }
    return { created, unchanged, differing };
  });
}

/** The report as `flowc topics apply` prints it. */
export function formatTopicPlanReport(report: TopicPlanReport): string {
  const lines: string[] = [];
  for (const c of report.created) {
    const config = Object.entries(c.config).map(([k, v]) => `${k}=${v}`);
    lines.push(`created    ${c.name} (${c.partitions} partitions, replication ${c.replication}${config.length > 0 ? `, ${config.join(", ")}` : ""})`);
  }
  for (const name of report.unchanged) lines.push(`exists     ${name}`);
  for (const d of report.differing) {
    lines.push(`DIFFERS    ${d.name}: ${d.differences.map((x) => `${x.what} is ${x.actual}, planned ${x.planned}`).join("; ")} (left as it is)`);
  }
  lines.push(
    `${report.created.length} created, ${report.unchanged.length} already as planned, ${report.differing.length} differing from the plan (not altered)`,
  );
  return `${lines.join("\n")}\n`;
}

/** `flowc dlq list --brokers`: the dead letters of one topic on Kafka. */
export function listKafkaDeadLetters(target: KafkaTarget, topic: string, options: ListOptions = {}): Promise<DeadLetter[]> {
  return withKafka(target, (transport) => listDeadLetters(transport, topic, options));
}

/** `flowc dlq replay --brokers`: sends chosen dead letters back to their original partitions. */
export function replayKafkaDeadLetters(target: KafkaTarget, topic: string, options: ReplayOptions = {}): Promise<{ replayed: DeadLetter[] }> {
  return withKafka(target, (transport) => replayDeadLetters(transport, topic, options));
}
