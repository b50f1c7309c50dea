/**
 * topology.json: the contract between the compiler and the runtime (and
 * `flowc topics`): every topic with its role, partitions, replication and key;
 * every worker with its consumer group, input, retry and dead-letter topics and
 * outputs; every stage with its inputs and outputs. TOPOLOGY_SCHEMA is its JSON
 * Schema, written beside it as topology.schema.json. docs/build.md describes it.
 */
import { GraphIndex, type Origin, type StageGraph, type Target } from "../ir.js";
import { compare } from "../lower.js";
import { typeToString } from "../types.js";
import { relativeTo } from "./names.js";

export const TOPOLOGY_VERSION = 1;

/**
 * The shape of topology.json. Optional fields are left out rather than null, and the
 * shape is a superset of the runtime's `Topology` (runtime/topology.ts), so the runtime
 * reads the file as it is.
 */
export interface TopologyJson {
  readonly $schema: string;
  readonly version: 1;
  /** The first .flow file, relative to the output directory (the runtime names it in messages). */
  readonly source: string;
  /** Every .flow file of the program. */
  readonly sources: string[];
  readonly topics: TopicJson[];
  readonly consumerGroups: { readonly id: string; readonly worker: string; readonly topics: string[] }[];
  readonly workers: WorkerJson[];
  readonly stages: StageJson[];
  readonly pipelines: { readonly name: string; readonly source: string; readonly sources: string[]; readonly workers: string[] }[];
}

export interface TopicJson {
  readonly name: string;
  readonly role: string;
  /** Absent: the broker's default. */
  readonly partitions?: number;
  readonly replication?: number;
  /** The field path that keys records, e.g. `.id`. Absent: records keep the key of the message they came from. */
  readonly key?: string;
  readonly schema?: string;
  /** A shard stage chooses each record's partition: murmur2(key) % partitions. */
  readonly sharded?: true;
  /** `file:line` of the declaration, for declared topics. */
  readonly declared?: string;
  /** The worker a planned topic (internal, retry, dead-letter, state) is for. */
  readonly plannedFor?: string;
  readonly retry?: { readonly worker: string; readonly tier: number; readonly delayMs: number };
  readonly producers: string[];
  readonly consumers: string[];
}

export interface HandlerJson {
  readonly stage: string;
  readonly kind: string;
  readonly name: string;
  readonly module: string;
  readonly retries: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly timeoutMs: number;
  readonly concurrency: number;
}

export interface WorkerJson {
  readonly id: string;
  readonly group: string;
  readonly pipeline: string;
  readonly lane?: string;
  readonly module: string;
  readonly span: { readonly file: string; readonly line: number };
  readonly input: string;
  readonly handler?: HandlerJson;
  readonly retryTopics: string[];
  readonly deadLetter: string;
  readonly stateTopic: string;
  readonly outputs: string[];
  readonly stages: string[];
}

export type Endpoint = { readonly topic: string } | { readonly stage: string };

export interface StageJson {
  readonly id: string;
  readonly kind: string;
  readonly pipeline: string;
  readonly lane?: string;
  readonly worker: string;
  readonly source: string;
  readonly text: string;
  readonly inputs: Endpoint[];
  readonly outputs: (Endpoint & { readonly lane?: string; readonly dropped?: true })[];
}

const at = (outDir: string, origin: Origin) => `${relativeTo(outDir, origin.file)}:${origin.line}`;
const endpoint = (target: Target): Endpoint => (target.kind === "topic" ? { topic: target.topic } : { stage: target.node });
/** Leaves out undefined fields, so JSON.stringify and the runtime's optional fields agree. */
const defined = <T extends object>(value: T): T => Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;

export function topologyOf(graph: StageGraph, outDir: string): TopologyJson {
  const index = new GraphIndex(graph);
  const inputs = new Map<string, Endpoint[]>();
  const addInput = (node: string, from: Endpoint) => inputs.set(node, [...(inputs.get(node) ?? []), from]);
  for (const worker of graph.workers) {
    const first = worker.handler !== undefined ? { kind: "node" as const, node: worker.handler } : worker.route;
    if (first?.kind === "node") addInput(first.node, { topic: worker.input });
  }
  for (const node of graph.nodes) for (const output of node.outputs) if (output.to.kind === "node") addInput(output.to.node, { stage: node.id });
  const sources = graph.files.map((f) => relativeTo(outDir, f));

  return {
    $schema: "./topology.schema.json",
    version: TOPOLOGY_VERSION,
    source: sources[0] ?? "",
    sources,
    topics: graph.topics.map((t) =>
      defined<TopicJson>({
        name: t.name,
        role: t.role,
        partitions: t.partitions,
        replication: t.replication,
        key: t.key !== undefined ? t.key.map((s) => `.${s}`).join("") : undefined,
        schema: t.type !== undefined ? typeToString(t.type) : undefined,
        sharded: t.sharded === true ? true : undefined,
        declared: t.declared !== undefined && t.origin !== undefined ? at(outDir, t.origin) : undefined,
        plannedFor: t.plannedFor,
        retry: t.retry,
        producers: [...t.producers],
        consumers: [...t.consumers],
      }),
    ),
    consumerGroups: graph.workers.map((w) => ({ id: w.consumerGroup, worker: w.id, topics: [w.input, ...w.retryTopics].sort(compare) })),
    workers: graph.workers.map((w) => {
      const handler = w.handler !== undefined ? index.node(w.handler) : undefined;
      return defined<WorkerJson>({
        id: w.id,
        group: w.consumerGroup,
        pipeline: w.pipeline,
        lane: w.lane,
        module: w.module,
        span: { file: relativeTo(outDir, w.origin.file), line: w.origin.line },
        input: w.input,
        handler:
          handler !== undefined && (handler.kind === "map" || handler.kind === "flatMap")
            ? {
                stage: handler.id,
                kind: handler.kind,
                name: handler.handler.name,
                module: relativeTo(outDir, handler.handler.modulePath),
                retries: handler.policy.retry.retries,
                initialBackoffMs: handler.policy.retry.initialBackoffMs,
                maxBackoffMs: handler.policy.retry.maxBackoffMs,
                timeoutMs: handler.policy.timeoutMs,
                concurrency: handler.policy.concurrency,
              }
            : undefined,
        retryTopics: [...w.retryTopics],
        deadLetter: w.deadLetterTopic,
        stateTopic: w.stateTopic,
        outputs: [...w.emits],
        stages: [...w.nodes],
      });
    }),
    stages: graph.nodes.map((n) =>
      defined<StageJson>({
        id: n.id,
        kind: n.kind,
        pipeline: n.pipeline,
        lane: n.lane,
        worker: n.worker,
        source: at(outDir, n.origin),
        text: n.origin.text,
        inputs: inputs.get(n.id) ?? [],
        outputs: [...n.outputs]
          .sort((a, b) => compare(a.label ?? "", b.label ?? ""))
          .map((o) => ({
            ...endpoint(o.to),
            ...(o.label === "dropped" && n.kind === "filter" ? { dropped: true as const } : o.label !== undefined ? { lane: o.label } : {}),
          })),
      }),
    ),
    pipelines: graph.pipelines.map((p) => ({ name: p.name, source: at(outDir, p.origin), sources: [...p.sources], workers: [...p.workers] })),
  };
}


const names = { type: "array", items: { type: "string" } };
const endpointSchema = {
  oneOf: [
    { type: "object", required: ["topic"], properties: { topic: { type: "string" } } },
    { type: "object", required: ["stage"], properties: { stage: { type: "string" } } },
  ],
};

/** The JSON Schema of topology.json (draft 2020-12). */
export const TOPOLOGY_SCHEMA = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $id: "https://flowc.dev/schemas/topology-v1.json",
  title: "flowc topology",
  description: "What `flowc build` plans: topics, consumer groups, workers and stages. The contract between the compiler and the runtime.",
  type: "object",
  required: ["version", "source", "sources", "topics", "consumerGroups", "workers", "stages", "pipelines"],
  additionalProperties: false,
  properties: {
    $schema: { type: "string" },
    version: { const: TOPOLOGY_VERSION },
    source: { type: "string", description: "The first .flow file, relative to the output directory." },
    sources: { ...names, description: "The .flow files, relative to the output directory." },
    topics: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["name", "role", "producers", "consumers"],
        properties: {
          name: { type: "string", pattern: "^[A-Za-z0-9._-]{1,249}$", description: "The Kafka topic name." },
          role: {
            enum: ["source", "sink", "intermediate", "internal", "retry", "dead-letter", "state"],
            description: "source: read, not written by the program; sink: written, not read; intermediate: declared, written and read; internal, retry, dead-letter, state: planned by the compiler.",
          },
          partitions: { type: "integer", minimum: 1, description: "Absent: the broker's default." },
          replication: { type: "integer", minimum: 1, description: "Absent: the broker's default." },
          key: { type: "string", description: "The field path that keys records, e.g. .id. Absent: records keep the key of the message they came from." },
          schema: { type: "string", description: "The flow type of the messages. Absent for dead-letter and state topics." },
          sharded: { const: true, description: "A shard stage chooses each record's partition: murmur2(key) % partitions." },
          declared: { type: "string", description: "file:line of the declaration, for declared topics." },
          plannedFor: { type: "string", description: "The worker an internal, retry, dead-letter or state topic was planned for." },
          retry: {
            type: "object",
            additionalProperties: false,
            required: ["worker", "tier", "delayMs"],
            properties: { worker: { type: "string" }, tier: { type: "integer", minimum: 1 }, delayMs: { type: "integer", minimum: 0 } },
          },
          producers: { ...names, description: "Stage ids (or worker ids, for retry, dead-letter and state topics) that write the topic." },
          consumers: { ...names, description: "Worker ids that read the topic." },
        },
      },
    },
    consumerGroups: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["id", "worker", "topics"],
        properties: { id: { type: "string" }, worker: { type: "string" }, topics: names },
      },
    },
    workers: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["id", "group", "pipeline", "module", "span", "input", "retryTopics", "deadLetter", "stateTopic", "outputs", "stages"],
        properties: {
          id: { type: "string" },
          group: { type: "string", description: "The consumer group: flowc.<id>." },
          pipeline: { type: "string" },
          lane: { type: "string" },
          module: { type: "string", description: "The worker module, relative to the output directory." },
          span: {
            type: "object",
            additionalProperties: false,
            required: ["file", "line"],
            properties: { file: { type: "string" }, line: { type: "integer", minimum: 1 } },
          },
          input: { type: "string" },
          handler: {
            allOf: [
              {
                type: "object",
                additionalProperties: false,
                required: ["stage", "kind", "name", "module", "retries", "initialBackoffMs", "maxBackoffMs", "timeoutMs", "concurrency"],
                properties: {
                  stage: { type: "string" },
                  kind: { enum: ["map", "flatMap"] },
                  name: { type: "string" },
                  module: { type: "string" },
                  retries: { type: "integer", minimum: 0 },
                  initialBackoffMs: { type: "integer", minimum: 0 },
                  maxBackoffMs: { type: "integer", minimum: 0 },
                  timeoutMs: { type: "integer", minimum: 1 },
                  concurrency: { type: "integer", minimum: 1 },
                },
              },
            ],
          },
          retryTopics: names,
          deadLetter: { type: "string" },
          stateTopic: { type: "string", description: "Where the worker records finished message ids (duplicate suppression)." },
          outputs: names,
          stages: names,
        },
      },
    },
    stages: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["id", "kind", "pipeline", "worker", "source", "text", "inputs", "outputs"],
        properties: {
          id: { type: "string" },
          kind: { enum: ["copy", "filter", "split", "shard", "merge", "map", "flatMap"] },
          pipeline: { type: "string" },
          lane: { type: "string" },
          worker: { type: "string" },
          source: { type: "string", description: "file:line of the stage." },
          text: { type: "string" },
          inputs: { type: "array", items: endpointSchema },
          outputs: {
            type: "array",
            items: {
              allOf: [endpointSchema],
              properties: { topic: { type: "string" }, stage: { type: "string" }, lane: { type: "string" }, dropped: { const: true } },
            },
          },
        },
      },
    },
    pipelines: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["name", "source", "sources", "workers"],
        properties: { name: { type: "string" }, source: { type: "string" }, sources: names, workers: names },
      },
    },
  },
} as const;
