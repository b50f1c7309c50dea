/**
 * topology.json: the contract between the compiler and the runtime (and
 * `flowc topics`): every topic with its role, partitions, replication and key;
 * every worker with its consumer group, input, retry and dead-letter topics and
 * outputs; every stage with its inputs and outputs. TOPOLOGY_SCHEMA is its JSON
 * Schema, written beside it as topology.schema.json. docs/build.md describes it.
 */
import path from "node:path";
import { GraphIndex, type Origin, type StageGraph, type Target } from "../ir.js";
import { compare } from "../lower.js";
import { typeToString } from "../types.js";
import { relativeTo } from "./names.js";

export const TOPOLOGY_VERSION = 1;

export interface TopologyJson {
  readonly $schema: string;
  readonly version: number;
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
  readonly partitions: number | null;
  readonly replication: number | null;
  readonly key: string | null;
  readonly schema: string | null;
  readonly declared: string | null;
  readonly plannedFor: string | null;
  readonly retry: { readonly worker: string; readonly tier: number; readonly delayMs: number } | null;
  readonly sharded: boolean;
  readonly compacted: boolean;
  readonly producers: string[];
  readonly consumers: string[];
}

export interface WorkerJson {
  readonly id: string;
  readonly pipeline: string;
  readonly lane: string | null;
  readonly module: string;
  readonly consumerGroup: string;
  readonly input: string;
  readonly handler: {
    readonly stage: string;
    readonly kind: string;
    readonly name: string;
    readonly module: string;
    readonly retries: number;
    readonly initialBackoffMs: number;
    readonly maxBackoffMs: number;
    readonly timeoutMs: number;
    readonly concurrency: number;
  } | null;
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
  readonly lane: string | null;
  readonly worker: string;
  readonly source: string;
  readonly text: string;
  readonly inputs: Endpoint[];
  readonly outputs: (Endpoint & { readonly lane?: string; readonly dropped?: true })[];
}

const at = (outDir: string, origin: Origin | undefined) => (origin === undefined ? null : `${relativeTo(outDir, origin.file)}:${origin.line}`);
const endpoint = (target: Target): Endpoint => (target.kind === "topic" ? { topic: target.topic } : { stage: target.node });

export function topologyOf(graph: StageGraph, outDir: string): TopologyJson {
  const index = new GraphIndex(graph);
  const inputs = new Map<string, Endpoint[]>();
  const addInput = (node: string, from: Endpoint) => inputs.set(node, [...(inputs.get(node) ?? []), from]);
  for (const worker of graph.workers) {
    const first = worker.handler !== undefined ? { kind: "node" as const, node: worker.handler } : worker.route;
    if (first?.kind === "node") addInput(first.node, { topic: worker.input });
  }
  for (const node of graph.nodes) for (const output of node.outputs) if (output.to.kind === "node") addInput(output.to.node, { stage: node.id });

  return {
    $schema: "./topology.schema.json",
    version: TOPOLOGY_VERSION,
    sources: graph.files.map((f) => relativeTo(outDir, f)),
    topics: graph.topics.map((t) => ({
      name: t.name,
      role: t.role,
      partitions: t.partitions ?? null,
      replication: t.replication ?? null,
      key: t.key !== undefined ? t.key.map((s) => `.${s}`).join("") : null,
      schema: t.type !== undefined ? typeToString(t.type) : null,
      declared: t.declared !== undefined ? at(outDir, t.origin) : null,
      plannedFor: t.plannedFor ?? null,
      retry: t.retry ?? null,
      sharded: t.sharded === true,
      compacted: t.compacted === true,
      producers: [...t.producers],
      consumers: [...t.consumers],
    })),
    consumerGroups: graph.workers.map((w) => ({ id: w.consumerGroup, worker: w.id, topics: [w.input, ...w.retryTopics, w.stateTopic].sort(compare) })),
    workers: graph.workers.map((w) => {
      const handler = w.handler !== undefined ? index.node(w.handler) : undefined;
      return {
        id: w.id,
        pipeline: w.pipeline,
        lane: w.lane ?? null,
        module: w.module,
        consumerGroup: w.consumerGroup,
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
            : null,
        retryTopics: [...w.retryTopics],
        deadLetter: w.deadLetterTopic,
        stateTopic: w.stateTopic,
        outputs: [...w.emits],
        stages: [...w.nodes],
      };
    }),
    stages: graph.nodes.map((n) => ({
      id: n.id,
      kind: n.kind,
      pipeline: n.pipeline,
      lane: n.lane ?? null,
      worker: n.worker,
      source: `${relativeTo(outDir, n.origin.file)}:${n.origin.line}`,
      text: n.origin.text,
      inputs: inputs.get(n.id) ?? [],
      outputs: [...n.outputs]
        .sort((a, b) => compare(a.label ?? "", b.label ?? ""))
        .map((o) => ({
          ...endpoint(o.to),
          ...(o.label === "dropped" && n.kind === "filter" ? { dropped: true as const } : o.label !== undefined ? { lane: o.label } : {}),
        })),
    })),
    pipelines: graph.pipelines.map((p) => ({ name: p.name, source: at(outDir, p.origin)!, sources: [...p.sources], workers: [...p.workers] })),
  };
}

void path;

const nullable = (type: string) => ({ type: [type, "null"] });
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
  required: ["version", "sources", "topics", "consumerGroups", "workers", "stages", "pipelines"],
  additionalProperties: false,
  properties: {
    $schema: { type: "string" },
    version: { const: TOPOLOGY_VERSION },
    sources: { ...names, description: "The .flow files, relative to the output directory." },
    topics: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["name", "role", "partitions", "replication", "key", "schema", "declared", "plannedFor", "retry", "sharded", "compacted", "producers", "consumers"],
        properties: {
          name: { type: "string", pattern: "^[A-Za-z0-9._-]{1,249}$", description: "The Kafka topic name." },
          role: { enum: ["source", "sink", "intermediate", "internal", "retry", "dead-letter", "state"] },
          partitions: { ...nullable("integer"), minimum: 1, description: "null: the broker's default." },
          replication: { ...nullable("integer"), minimum: 1, description: "null: the broker's default." },
          key: { ...nullable("string"), description: "The field path that keys records, e.g. .id; null: records keep the key of the message they came from." },
          schema: { ...nullable("string"), description: "The flow type of the messages; null for dead-letter topics." },
          declared: { ...nullable("string"), description: "file:line of the declaration; null for planned topics." },
          plannedFor: { ...nullable("string"), description: "The worker an internal, retry or dead-letter topic was planned for." },
          retry: {
            oneOf: [
              { type: "null" },
              {
                type: "object",
                additionalProperties: false,
                required: ["worker", "tier", "delayMs"],
                properties: { worker: { type: "string" }, tier: { type: "integer", minimum: 1 }, delayMs: { type: "integer", minimum: 0 } },
              },
            ],
          },
          sharded: { type: "boolean", description: "True when a shard stage chooses each record's partition (partition = murmur2(key) % partitions)." },
          compacted: { type: "boolean", description: "True for state topics: cleanup.policy=compact." },
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
        required: ["id", "pipeline", "lane", "module", "consumerGroup", "input", "handler", "retryTopics", "deadLetter", "stateTopic", "outputs", "stages"],
        properties: {
          id: { type: "string" },
          pipeline: { type: "string" },
          lane: nullable("string"),
          module: { type: "string", description: "The worker module, relative to the output directory." },
          consumerGroup: { type: "string" },
          input: { type: "string" },
          handler: {
            oneOf: [
              { type: "null" },
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
        required: ["id", "kind", "pipeline", "lane", "worker", "source", "text", "inputs", "outputs"],
        properties: {
          id: { type: "string" },
          kind: { enum: ["copy", "filter", "split", "shard", "merge", "map", "flatMap"] },
          pipeline: { type: "string" },
          lane: nullable("string"),
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
