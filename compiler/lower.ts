/**
 * Phase 6: lower. Turns the checked pipelines into the stage graph (compiler/ir.ts):
 * one node per stage instance per lane, workers that group them, and the topic
 * plan that links the workers.
 *
 * The rules, which docs/build.md states for users:
 * - A worker consumes one topic, runs at most one handler (map or flatMap), then
 *   routes each result through the routing stages that follow (copy, filter,
 *   split, shard, merge) up to the next handler or the sink. Routing stages are
 *   pure, so they fuse into the worker before them: no topic between them.
 * - In front of every handler that does not read straight from a pipeline source
 *   the compiler plans an internal topic, named after the handler's worker:
 *   `<pipeline>[.<lane>].<handler>`. Its partitions are the shard count in force
 *   there (the source's partitions when there is none); its key is the shard key.
 * - merge is a fan-in: the lanes' workers emit into one topic. It needs no
 *   worker of its own, except before a copy or split of merged lanes, and after
 *   merge(first) when no handler follows (the first result per input is kept by
 *   the consumer of the topic the lanes meet in): there the compiler plans
 *   `<pipeline>.merge` and a route worker of the same name.
 * - Every handler worker gets retry topics, one per backoff tier
 *   (`<worker>.retry.<n>`), and a dead-letter topic (`<worker>.dlq` unless
 *   declared with deadLetter(topic)); every worker gets a dead-letter topic for
 *   messages that do not decode.
 */
import path from "node:path";
import type * as A from "./ast.js";
import type { CheckedPipeline, CheckedStage, HandlerPolicy } from "./check.js";
import { createDiagnostic, sortDiagnostics, type Diagnostic } from "./diagnostics.js";
import { IR_VERSION, type NodeKind, type Origin, type Output, type PipelinePlan, type StageGraph, type StageNode, type Target, type TopicPlan, type TopicRole, type WorkerPlan } from "./ir.js";
import type { Program } from "./program.js";
import type { TopicSymbol } from "./resolve.js";
import type { EnumType, FlowType, SchemaType } from "./types.js";

export interface LowerResult {
  readonly graph: StageGraph;
  /** Problems only the plan can see (a planned topic name taken by a declared topic). */
  readonly diagnostics: readonly Diagnostic[];
}

/** Lowers a program that checked without errors. */
export function lower(program: Program): LowerResult {
  if (program.hasErrors) throw new Error("lower: the program has errors; check it first");
  return new Lowering(program).run();
}

/** The delays before each retry: exponential from the initial backoff, capped at the maximum. */
export function retryDelays(policy: HandlerPolicy): number[] {
  const delays: number[] = [];
  for (let i = 0; i < policy.retry.retries; i++) {
    delays.push(Math.min(policy.retry.initialBackoffMs * 2 ** i, policy.retry.maxBackoffMs));
  }
  return delays;
}

/** Retry tiers: the distinct delays, shortest first. Attempt n waits on tier min(n, tiers). */
export function retryTiers(policy: HandlerPolicy): number[] {
  return [...new Set(retryDelays(policy))];
}

// --- drafts: mutable while lowering, frozen into the graph at the end -------------

interface NodeDraft {
  id: string;
  kind: NodeKind;
  pipeline: string;
  lane: string | undefined;
  worker: WorkerDraft;
  origin: Origin;
  input: FlowType;
  outputs: Output[];
  extra: Record<string, unknown>;
}

interface WorkerDraft {
  id: string;
  pipeline: string;
  lane: string | undefined;
  input: string;
  inputType: FlowType;
  handler: NodeDraft | undefined;
  route: Target | undefined;
  nodes: NodeDraft[];
  origin: Origin;
  policy: HandlerPolicy | undefined;
  replication: number | undefined;
}

interface TopicDraft {
  name: string;
  role: TopicRole | undefined;
  declared: TopicSymbol | undefined;
  type: FlowType | undefined;
  partitions: number | undefined;
  replication: number | undefined;
  key: readonly string[] | undefined;
  retry?: { worker: string; tier: number; delayMs: number };
  plannedFor?: string;
  sharded?: boolean;
  producers: Set<string>;
  consumers: Set<string>;
  origin: Origin | undefined;
}

/** Where a strand's next output attaches. */
type Tail =
  | { readonly kind: "source"; readonly topic: TopicSymbol }
  | { readonly kind: "worker"; readonly worker: WorkerDraft }
  | { readonly kind: "node"; readonly node: NodeDraft; readonly label: string | undefined };

/** One lane of one pipeline as it is being lowered. */
interface Strand {
  /** The lane name, undefined before copy or split and after merge. */
  lane: string | undefined;
  /** The lane that names this strand's nodes; kept after merge so ids stay unique. */
  idLane: string | undefined;
  tail: Tail;
  type: FlowType;
  /** The field path that keys messages here (shard key, or the source key until a handler). */
  key: readonly string[] | undefined;
  /** Partitions of the topic the strand lives in (the shard count after shard). */
  partitions: number | undefined;
  replication: number | undefined;
  merged: { first: boolean } | undefined;
  /** True after a shard stage in the current worker: emits choose their partition. */
  sharded: boolean;
  /** The copy that opened this lane: merge(first) marks it as hedging. */
  openedBy: NodeDraft | undefined;
}

class Lowering {
  private readonly nodes = new Map<string, NodeDraft>();
  private readonly workers = new Map<string, WorkerDraft>();
  private readonly topics = new Map<string, TopicDraft>();
  private readonly pipelines: PipelinePlan[] = [];
  private readonly diagnostics: Diagnostic[] = [];

  constructor(private readonly program: Program) {}

  run(): LowerResult {
    const checked = [...this.program.checked.pipelines].sort((a, b) => compare(a.name, b.name));
    for (const pipeline of checked) this.pipeline(pipeline);
    return { graph: this.freeze(), diagnostics: sortDiagnostics(this.diagnostics) };
  }

  // --- origins ------------------------------------------------------------------
  private origin(file: string, span: A.Node["span"], text?: string): Origin {
    const source = this.program.sourceOf(file);
    const position = source?.positionAt(span.start) ?? { line: 1, column: 1 };
    const written = text ?? source?.slice(span) ?? "";
    return { file, span, line: position.line, column: position.column, text: written.replace(/\s+/g, " ").trim() };
  }

  // --- topics ---------------------------------------------------------------------
  private declaredTopic(symbol: TopicSymbol): TopicDraft {
    let topic = this.topics.get(symbol.kafkaName);
    if (topic === undefined) {
      topic = {
        name: symbol.kafkaName,
        role: undefined,
        declared: symbol,
        type: symbol.type,
        partitions: symbol.partitions,
        replication: symbol.replication,
        key: symbol.key,
        producers: new Set(),
        consumers: new Set(),
        origin: this.origin(symbol.file, symbol.decl.span, `topic ${symbol.name}`),
      };
      this.topics.set(topic.name, topic);
    }
    return topic;
  }

  private plannedTopic(name: string, role: TopicRole, fields: Omit<TopicDraft, "name" | "role" | "producers" | "consumers" | "declared">): TopicDraft {
    const clash = [...this.program.symbols.topics.values()].find((t) => t.kafkaName === name);
    if (clash !== undefined) {
      this.diagnostics.push(
        createDiagnostic("plannedTopicClash", clash.file, clash.decl.name.span, { topic: name, planned: role === "internal" ? `the input of worker '${fields.plannedFor}'` : `a ${role} topic of worker '${fields.plannedFor}'` }),
      );
    }
    const topic: TopicDraft = { name, role, declared: undefined, producers: new Set(), consumers: new Set(), ...fields };
    this.topics.set(name, topic);
    return topic;
  }

  // --- ids ------------------------------------------------------------------------
  private uniqueNodeId(base: string): string {
    let id = base;
    for (let n = 2; this.nodes.has(id); n++) id = `${base}.${n}`;
    return id;
  }

  private uniqueWorkerId(base: string): string {
    let id = base;
    for (let n = 2; this.workers.has(id); n++) id = `${base}.${n}`;
    return id;
  }

  // --- building blocks ------------------------------------------------------------
  private newWorker(pipeline: CheckedPipeline, lane: string | undefined, stage: string, input: TopicDraft, inputType: FlowType, origin: Origin, replication: number | undefined): WorkerDraft {
    const id = this.uniqueWorkerId([pipeline.name, ...(lane !== undefined ? [lane] : []), stage].join("."));
    const worker: WorkerDraft = { id, pipeline: pipeline.name, lane, input: input.name, inputType, handler: undefined, route: undefined, nodes: [], origin, policy: undefined, replication };
    this.workers.set(id, worker);
    input.consumers.add(id);
    return worker;
  }

  /** The worker a strand's next routing node runs in; starts a route worker at a source. */
  private ensureWorker(pipeline: CheckedPipeline, strand: Strand, origin: Origin): WorkerDraft {
    const tail = strand.tail;
    if (tail.kind === "node") return tail.node.worker;
    if (tail.kind === "worker") return tail.worker;
    const source = this.declaredTopic(tail.topic);
    const lane = pipeline.sources.length > 1 ? tail.topic.name : undefined;
    const worker = this.newWorker(pipeline, lane, "route", source, tail.topic.type, origin, strand.replication);
    strand.tail = { kind: "worker", worker };
    return worker;
  }

  private connect(tail: Tail, target: Target): void {
    if (tail.kind === "worker") tail.worker.route = target;
    else if (tail.kind === "node") tail.node.outputs.push({ label: tail.label, to: target });
    else throw new Error("lower: a source cannot be connected directly");
  }

  private emitTo(pipeline: CheckedPipeline, strand: Strand, topic: TopicDraft, origin: Origin): void {
    this.ensureWorker(pipeline, strand, origin);
    const tail = strand.tail;
    this.connect(tail, { kind: "topic", topic: topic.name });
    if (strand.sharded) topic.sharded = true;
    topic.producers.add(tail.kind === "node" ? tail.node.id : (tail as { worker: WorkerDraft }).worker.id);
  }

  private addNode(pipeline: CheckedPipeline, strand: Strand, kind: NodeKind, label: string, origin: Origin, extra: Record<string, unknown>): NodeDraft {
    const worker = this.ensureWorker(pipeline, strand, origin);
    const id = this.uniqueNodeId([pipeline.name, ...(strand.idLane !== undefined ? [strand.idLane] : []), label].join("/"));
    const node: NodeDraft = { id, kind, pipeline: pipeline.name, lane: strand.lane, worker, origin, input: strand.type, outputs: [], extra };
    this.nodes.set(id, node);
    worker.nodes.push(node);
    this.connect(strand.tail, { kind: "node", node: id });
    strand.tail = { kind: "node", node, label: undefined };
    return node;
  }

  // --- pipelines ------------------------------------------------------------------
  private pipeline(pipeline: CheckedPipeline): void {
    const multi = pipeline.sources.length > 1;
    let strands: Strand[] = pipeline.sources.map((source) => ({
      lane: multi ? source.name : undefined,
      idLane: multi ? source.name : undefined,
      tail: { kind: "source", topic: source },
      type: source.type,
      key: source.key,
      partitions: source.partitions,
      replication: source.replication,
      merged: undefined,
      sharded: false,
      openedBy: undefined,
    }));
    for (const source of pipeline.sources) this.declaredTopic(source);
    const workersBefore = new Set(this.workers.keys());

    for (const stage of pipeline.stages) {
      strands = this.stage(pipeline, stage, strands);
    }
    this.sink(pipeline, strands);

    this.pipelines.push({
      name: pipeline.name,
      file: pipeline.file,
      origin: this.origin(pipeline.file, pipeline.decl.name.span, `pipeline ${pipeline.name}`),
      sources: pipeline.sources.map((s) => s.kafkaName).sort(compare),
      workers: [...this.workers.keys()].filter((id) => !workersBefore.has(id)).sort(compare),
    });
  }

  private stage(pipeline: CheckedPipeline, stage: CheckedStage, strands: Strand[]): Strand[] {
    const step = stage.step;
    const origin = this.origin(pipeline.file, step.stage.span);
    // merge(first) keeps the first result per input at the consumer of the topic the lanes
    // meet in: a handler's input topic, or else a topic and route worker of its own.
    if (step.kind !== "map" && step.kind !== "flatMap" && strands.some((s) => s.merged?.first)) strands = [this.mergeBoundary(pipeline, strands, origin)];
    switch (step.kind) {
      case "copy":
      case "split": {
        if (strands.length > 1) strands = [this.mergeBoundary(pipeline, strands, origin)];
        const out: Strand[] = [];
        for (const strand of strands) {
          const lanes = step.kind === "copy" ? step.lanes : [...step.cases.map((c) => c.lane), ...(step.elseLane !== undefined ? [step.elseLane] : [])];
          const node = this.addNode(pipeline, strand, step.kind, step.kind, origin, step.kind === "copy" ? { lanes: step.lanes } : { cases: step.cases, elseLane: step.elseLane });
          for (const lane of lanes) out.push({ ...strand, lane, idLane: lane, merged: undefined, openedBy: step.kind === "copy" ? node : undefined, tail: { kind: "node", node, label: lane } });
        }
        return out;
      }
      case "filter":
        for (const strand of strands) {
          const node = this.addNode(pipeline, strand, "filter", "filter", origin, { predicate: step.predicate, dropped: step.droppedTo?.kafkaName });
          if (step.droppedTo !== undefined) {
            const topic = this.declaredTopic(step.droppedTo);
            // Like a sink: a declared topic without partitions takes the shard count that feeds it.
            if (topic.partitions === undefined && strand.partitions !== undefined && topic.declared?.partitions === undefined) topic.partitions = strand.partitions;
            node.outputs.push({ label: "dropped", to: { kind: "topic", topic: topic.name } });
            topic.producers.add(node.id);
          }
        }
        return strands;
      case "shard":
        for (const strand of strands) {
          const key = step.key !== undefined ? step.key.segments.map((s) => s.text) : strand.key;
          this.addNode(pipeline, strand, "shard", "shard", origin, { count: step.count, key, keyNode: step.key });
          strand.key = key;
          strand.partitions = step.count;
          strand.sharded = true;
        }
        return strands;
      case "merge":
        for (const strand of strands) {
          this.addNode(pipeline, strand, "merge", "merge", origin, { first: step.first });
          strand.lane = undefined;
          strand.merged = { first: step.first };
          // The copy that opened these lanes shares one hedge id across them, so merge(first) can pair results.
          if (step.first && strand.openedBy !== undefined) strand.openedBy.extra.hedge = true;
        }
        return strands;
      case "map":
      case "flatMap":
        return this.handler(pipeline, stage, strands, origin);
    }
  }

  /** Merged lanes that meet a copy or split go through one topic and one route worker first. */
  private mergeBoundary(pipeline: CheckedPipeline, strands: Strand[], origin: Origin): Strand {
    const name = this.uniqueWorkerId(`${pipeline.name}.merge`);
    const common = commonOf(strands);
    const topic = this.plannedTopic(name, "internal", { type: strands[0].type, partitions: common.partitions, replication: common.replication, key: common.key, plannedFor: name, origin });
    for (const strand of strands) this.emitTo(pipeline, strand, topic, origin);
    const worker = this.newWorker(pipeline, undefined, "merge", topic, strands[0].type, origin, common.replication);
    return { lane: undefined, idLane: undefined, tail: { kind: "worker", worker }, type: strands[0].type, key: common.key, partitions: common.partitions, replication: common.replication, merged: undefined, sharded: false, openedBy: undefined };
  }

  private handler(pipeline: CheckedPipeline, stage: CheckedStage, strands: Strand[], origin: Origin): Strand[] {
    const step = stage.step as Extract<CheckedStage["step"], { kind: "map" | "flatMap" }>;
    // Strands in one lane (or merged into none) share one handler worker.
    const groups = new Map<string, Strand[]>();
    for (const strand of strands) {
      const key = strand.lane ?? "\u0000";
      groups.set(key, [...(groups.get(key) ?? []), strand]);
    }
    const out: Strand[] = [];
    for (const group of groups.values()) {
      const lane = group[0].lane;
      const common = commonOf(group);
      const type = group[0].type;
      const direct = group.length === 1 && group[0].tail.kind === "source" ? group[0].tail.topic : undefined;
      const workerId = this.uniqueWorkerId([pipeline.name, ...(lane !== undefined ? [lane] : []), step.handler.name].join("."));
      let input: TopicDraft;
      if (direct !== undefined) {
        input = this.declaredTopic(direct);
      } else {
        input = this.plannedTopic(workerId, "internal", { type, partitions: common.partitions, replication: common.replication, key: common.key, plannedFor: workerId, origin });
        for (const strand of group) this.emitTo(pipeline, strand, input, origin);
      }
      const worker = this.newWorker(pipeline, lane, step.handler.name, input, type, origin, common.replication);
      if (worker.id !== workerId) throw new Error(`lower: worker id ${worker.id} differs from its planned input ${workerId}`);
      worker.policy = step.policy;
      const output = handlerOutput(step.kind, step.handler.output);
      const strand: Strand = { lane, idLane: lane, tail: { kind: "worker", worker }, type, key: undefined, partitions: input.partitions, replication: common.replication, merged: undefined, sharded: false, openedBy: group[0].openedBy };
      const node = this.addNode(pipeline, strand, step.kind, step.handler.name, origin, { handler: step.handler, policy: step.policy, output });
      worker.handler = node;
      worker.route = undefined;
      this.planFailureTopics(worker, input, step.policy, origin);
      if (output === undefined) continue; // effects only: the lane ends here
      out.push({ ...strand, type: output });
    }
    return out;
  }

  private planFailureTopics(worker: WorkerDraft, input: TopicDraft, policy: HandlerPolicy, origin: Origin): void {
    retryTiers(policy).forEach((delayMs, index) => {
      const topic = this.plannedTopic(`${worker.id}.retry.${index + 1}`, "retry", {
        type: input.type,
        partitions: input.partitions,
        replication: worker.replication,
        key: input.key,
        retry: { worker: worker.id, tier: index + 1, delayMs },
        plannedFor: worker.id,
        origin,
      });
      topic.producers.add(worker.id);
      topic.consumers.add(worker.id);
    });
  }

  private sink(pipeline: CheckedPipeline, strands: Strand[]): void {
    const sink = pipeline.sink;
    if (sink === undefined) return;
    const origin = this.origin(pipeline.file, sink.node.span);
    if (strands.some((s) => s.merged?.first)) strands = [this.mergeBoundary(pipeline, strands, origin)];
    for (const strand of strands) {
      const symbol = sink.kind === "topic" ? sink.topic : sink.routes.find((r) => r.lane === strand.lane)?.topic;
      if (symbol === undefined) throw new Error(`lower: lane ${strand.lane ?? "(stream)"} of pipeline ${pipeline.name} has no sink`);
      const topic = this.declaredTopic(symbol);
      // A declared topic without partitions takes the shard count that feeds it.
      if (topic.partitions === undefined && strand.partitions !== undefined && topic.declared?.partitions === undefined) topic.partitions = strand.partitions;
      this.emitTo(pipeline, strand, topic, origin);
    }
  }

  // --- freezing -------------------------------------------------------------------
  private freeze(): StageGraph {
    // Every worker gets a dead-letter topic; a handler's deadLetter(topic) overrides it.
    const deadLetters = new Map<string, string>();
    for (const worker of [...this.workers.values()].sort((a, b) => compare(a.id, b.id))) {
      const declared = worker.policy?.deadLetter;
      let topic: TopicDraft;
      if (declared !== undefined) {
        topic = this.declaredTopic(declared);
        topic.role = "dead-letter";
      } else {
        topic = this.plannedTopic(`${worker.id}.dlq`, "dead-letter", {
          type: undefined,
          partitions: 1,
          replication: worker.replication,
          key: undefined,
          plannedFor: worker.id,
          origin: worker.handler?.origin ?? worker.origin,
        });
      }
      topic.producers.add(worker.id);
      deadLetters.set(worker.id, topic.name);
      // The ids of finished messages, for duplicate suppression: one partition per input partition.
      const state = this.plannedTopic(`${worker.id}.state`, "state", {
        type: undefined,
        partitions: this.topics.get(worker.input)?.partitions,
        replication: worker.replication,
        key: undefined,
        plannedFor: worker.id,
        origin: worker.handler?.origin ?? worker.origin,
      });
      state.producers.add(worker.id);
      state.consumers.add(worker.id);
    }

    const topics: TopicPlan[] = [...this.topics.values()]
      .map((t) => {
        const role: TopicRole = t.role ?? (t.producers.size === 0 ? "source" : t.consumers.size === 0 ? "sink" : "intermediate");
        return {
          name: t.name,
          role,
          declared: t.declared,
          type: t.type,
          partitions: t.partitions,
          replication: t.replication,
          key: t.key,
          ...(t.retry !== undefined ? { retry: t.retry } : {}),
          ...(t.plannedFor !== undefined ? { plannedFor: t.plannedFor } : {}),
          ...(t.sharded ? { sharded: true } : {}),
          producers: [...t.producers].sort(compare),
          consumers: [...t.consumers].sort(compare),
          origin: t.origin,
        };
      })
      .sort((a, b) => compare(a.name, b.name));

    const nodes: StageNode[] = [...this.nodes.values()]
      .map(
        (n) =>
          ({
            id: n.id,
            kind: n.kind,
            pipeline: n.pipeline,
            lane: n.lane,
            worker: n.worker.id,
            origin: n.origin,
            input: n.input,
            outputs: n.outputs,
            ...n.extra,
          }) as unknown as StageNode,
      )
      .sort((a, b) => compare(a.id, b.id));

    const workers: WorkerPlan[] = [...this.workers.values()]
      .map((w) => {
        const route = w.handler !== undefined ? w.handler.outputs[0]?.to : w.route;
        const emits = new Set<string>();
        for (const node of w.nodes) for (const output of node.outputs) if (output.to.kind === "topic") emits.add(output.to.topic);
        if (w.route?.kind === "topic") emits.add(w.route.topic);
        const retryTopics = topics.filter((t) => t.retry?.worker === w.id).map((t) => t.name);
        return {
          id: w.id,
          pipeline: w.pipeline,
          lane: w.lane,
          module: `${w.pipeline}/${w.id.slice(w.pipeline.length + 1)}.worker.ts`,
          consumerGroup: `flowc.${w.id}`,
          input: w.input,
          inputType: w.inputType,
          handler: w.handler?.id,
          route,
          retryTopics,
          deadLetterTopic: deadLetters.get(w.id)!,
          stateTopic: `${w.id}.state`,
          nodes: w.nodes.map((n) => n.id),
          emits: [...emits].sort(compare),
          origin: w.handler?.origin ?? w.nodes[0]?.origin ?? w.origin,
        };
      })
      .sort((a, b) => compare(a.id, b.id));

    const types = [...this.program.symbols.types.values()].sort((a, b) => compare(a.name, b.name)) as (SchemaType | EnumType)[];
    const files = [...this.program.files.keys()].map((f) => path.resolve(f)).sort(compare);
    return { version: IR_VERSION, files, types, pipelines: this.pipelines.sort((a, b) => compare(a.name, b.name)), topics, nodes, workers };
  }
}

function handlerOutput(kind: "map" | "flatMap", output: FlowType | undefined): FlowType | undefined {
  if (output === undefined) return undefined;
  return kind === "flatMap" && output.kind === "array" ? output.element : output;
}

/** What a group of strands has in common: the key and partitions when they agree. */
function commonOf(strands: readonly Strand[]): { key: readonly string[] | undefined; partitions: number | undefined; replication: number | undefined } {
  const keys = new Set(strands.map((s) => (s.key === undefined ? "" : s.key.join("."))));
  const key = keys.size === 1 ? strands[0].key : undefined;
  const partitionList = strands.map((s) => s.partitions).filter((p): p is number => p !== undefined);
  const replicationList = strands.map((s) => s.replication).filter((r): r is number => r !== undefined);
  return {
    key,
    partitions: partitionList.length > 0 ? Math.max(...partitionList) : undefined,
    replication: replicationList.length > 0 ? Math.max(...replicationList) : undefined,
  };
}

/** Code-unit order: the same on every machine and locale. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
