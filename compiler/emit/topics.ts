/**
 * The topic plan as data: what `flowc topics` prints, what `kafka-topics.sh`
 * commands create, and what `flowc topics apply` (with a Kafka admin client)
 * creates on a live cluster.
 */
import type { StageGraph, TopicPlan } from "../ir.js";

export interface TopicSpec {
  readonly name: string;
  readonly role: TopicPlan["role"];
  /** undefined: the broker's default. */
  readonly partitions: number | undefined;
  readonly replication: number | undefined;
  /** Topic-level configuration (none planned yet; the apply command may add its own). */
  readonly config: Readonly<Record<string, string>>;
  /** Field path of the record key, for people reading the plan. */
  readonly key: string | undefined;
  /** The worker the compiler planned it for (internal, retry, dead-letter and state topics). */
  readonly plannedFor: string | undefined;
}

/** Every topic of the graph, in the graph's order (by name). */
export function topicSpecs(graph: StageGraph): TopicSpec[] {
  return graph.topics.map((t) => ({
    name: t.name,
    role: t.role,
    partitions: t.partitions,
    replication: t.replication,
    config: {},
    key: t.key !== undefined ? `.${t.key.join(".")}` : undefined,
    plannedFor: t.plannedFor,
  }));
}

const shellQuote = (text: string) => (/^[A-Za-z0-9._\-:=/,@]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`);

/** `kafka-topics.sh --create` commands, idempotent with --if-not-exists. */
export function kafkaTopicsCommands(specs: readonly TopicSpec[], bootstrapServer: string, defaults: { replication?: number } = {}): string[] {
  return specs.map((spec) => {
    const replication = spec.replication ?? defaults.replication;
    const parts = ["kafka-topics.sh", "--bootstrap-server", shellQuote(bootstrapServer), "--create", "--if-not-exists", "--topic", shellQuote(spec.name)];
    if (spec.partitions !== undefined) parts.push("--partitions", String(spec.partitions));
    if (replication !== undefined) parts.push("--replication-factor", String(replication));
    for (const [key, value] of Object.entries(spec.config).sort()) parts.push("--config", shellQuote(`${key}=${value}`));
    return parts.join(" ");
  });
}
