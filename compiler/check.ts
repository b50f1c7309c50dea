/**
 * Phase 5: check. Types every pipeline stage by stage: the stream is a set of
 * lanes (copy and split open them, merge folds them), each with a message type
 * and, after shard, a shard count. Checks expressions against schemas, the
 * lossless rules (split exhaustive or with else, every lane routed, no output
 * without a sink) and the topic graph (cycles, unused topics).
 */
import type * as A from "./ast.js";
import { DiagnosticBag, suggest } from "./diagnostics.js";
import { resolvePath, type HandlerSymbol, type SymbolTable, type TopicSymbol } from "./resolve.js";
import { errorType, fieldsOf, isBool, isNumeric, isScalar, primitive, sameType, typeToString, type EnumType, type FlowType } from "./types.js";

export const STAGES = ["copy", "filter", "split", "shard", "merge", "map", "flatMap"] as const;
export type StageKind = (typeof STAGES)[number];
export const POLICIES = ["retry", "timeout", "concurrency", "deadLetter"] as const;

export interface Lane {
  /** undefined for the one lane of a stream that was never copied or split. */
  readonly name: string | undefined;
  readonly type: FlowType;
  readonly shards: number | undefined;
  /** True after a handler that returns nothing: the lane ends here. */
  readonly terminated?: boolean;
}

export interface StreamShape {
  readonly lanes: readonly Lane[];
}

export interface RetryPolicy {
  /** Attempts after the first; 0 sends a failure straight to the dead-letter topic. */
  readonly retries: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
}

export interface HandlerPolicy {
  readonly retry: RetryPolicy;
  readonly timeoutMs: number;
  readonly concurrency: number;
  /** A declared topic for dead letters; by default the compiler plans one per stage. */
  readonly deadLetter: TopicSymbol | undefined;
}

export const DEFAULT_POLICY: HandlerPolicy = {
  retry: { retries: 3, initialBackoffMs: 100, maxBackoffMs: 10_000 },
  timeoutMs: 30_000,
  concurrency: 1,
  deadLetter: undefined,
};

export type CheckedStep =
  | { readonly kind: "copy"; readonly stage: A.Stage; readonly lanes: readonly string[] }
  | { readonly kind: "filter"; readonly stage: A.Stage; readonly predicate: A.Expression; readonly droppedTo: TopicSymbol | undefined }
  | {
      readonly kind: "split";
      readonly stage: A.Stage;
      readonly cases: readonly { readonly lane: string; readonly when: A.Expression }[];
      readonly elseLane: string | undefined;
    }
  | { readonly kind: "shard"; readonly stage: A.Stage; readonly count: number; readonly key: A.PathExpr | undefined }
  | { readonly kind: "merge"; readonly stage: A.Stage; readonly first: boolean }
  | { readonly kind: "map" | "flatMap"; readonly stage: A.Stage; readonly handler: HandlerSymbol; readonly policy: HandlerPolicy };

export interface CheckedStage {
  readonly step: CheckedStep;
  readonly before: StreamShape;
  readonly after: StreamShape;
}

export type CheckedSink =
  | { readonly kind: "topic"; readonly node: A.TopicSink; readonly topic: TopicSymbol }
  | { readonly kind: "lanes"; readonly node: A.LaneSink; readonly routes: readonly { readonly lane: string; readonly topic: TopicSymbol }[] };

export interface CheckedPipeline {
  readonly name: string;
  readonly decl: A.PipelineDecl;
  readonly file: string;
  readonly sources: readonly TopicSymbol[];
  readonly stages: readonly CheckedStage[];
  readonly sink: CheckedSink | undefined;
  /** The stream as it reaches the sink. */
  readonly output: StreamShape;
  /** False when any error was reported inside this pipeline. */
  readonly valid: boolean;
}

/** What an expression means, recorded for code generation and the editor. */
export type ExpressionInfo =
  | { readonly kind: "type"; readonly type: FlowType; readonly optional?: boolean }
  | { readonly kind: "enumMember"; readonly enumType: EnumType; readonly member: string };

export interface CheckResult {
  readonly pipelines: readonly CheckedPipeline[];
  readonly expressionTypes: Map<A.Expression, ExpressionInfo>;
}

export function check(table: SymbolTable, bag: DiagnosticBag): CheckResult {
  const checker = new PipelineChecker(table, bag);
  const pipelines = [...table.pipelines.values()].map((p) => checker.pipeline(p.decl, p.file));
  checkGraph(table, pipelines, bag);
  return { pipelines, expressionTypes: checker.expressionTypes };
}

const single = (type: FlowType, shards?: number): StreamShape => ({ lanes: [{ name: undefined, type, shards }] });
const laneLabel = (lane: Lane) => (lane.name === undefined ? "the stream" : `lane '${lane.name}'`);

class PipelineChecker {
  readonly expressionTypes = new Map<A.Expression, ExpressionInfo>();
  private file = "";
  private errorsBefore = 0;

  constructor(
    private readonly table: SymbolTable,
    private readonly bag: DiagnosticBag,
  ) {}

  private errorCount(): number {
    return this.bag.errorCount;
  }

  private topic(name: A.Identifier): TopicSymbol | undefined {
    if (name.missing) return undefined;
    const topic = this.table.topics.get(name.text);
    if (topic === undefined) {
      this.bag.report("unknownTopic", this.file, name.span, { name: name.text, ...suggest(name.text, this.table.topics.keys()) });
      return undefined;
    }
    this.table.references.push({ file: this.file, node: name, target: topic });
    return topic;
  }

  pipeline(decl: A.PipelineDecl, file: string): CheckedPipeline {
    this.file = file;
    this.errorsBefore = this.errorCount();
    const sources: TopicSymbol[] = [];
    for (const source of decl.sources) {
      const topic = this.topic(source);
      if (topic) sources.push(topic);
    }
    let stream: StreamShape =
      decl.sources.length > 1
        ? { lanes: decl.sources.map((s) => ({ name: s.text, type: this.table.topics.get(s.text)?.type ?? errorType, shards: undefined })) }
        : single(sources[0]?.type ?? errorType, undefined);
    const stages: CheckedStage[] = [];
    for (const stage of decl.stages) {
      const before = stream;
      if (before.lanes.some((l) => l.terminated)) {
        const handlerStage = stages[stages.length - 1]?.step;
        this.bag.report("handlerHasNoOutput", file, stage.call.name.span, { handler: handlerStage && "handler" in handlerStage ? handlerStage.handler.name : "?" });
      }
      const result = this.stage(stage, before);
      if (result === undefined) {
        // An unusable stage: keep lanes, forget types, check the rest.
        stream = { lanes: before.lanes.map((l) => ({ ...l, type: errorType })) };
        continue;
      }
      stream = result.after;
      stages.push({ step: result.step, before, after: result.after });
    }
    const sink = this.sink(decl, stream, sources);
    return { name: decl.name.text, decl, file, sources, stages, sink, output: stream, valid: this.errorCount() === this.errorsBefore };
  }

  private stage(stage: A.Stage, before: StreamShape): { step: CheckedStep; after: StreamShape } | undefined {
    const call = stage.call;
    const name = call.name.text;
    if (call.name.missing) return undefined;
    if (!(STAGES as readonly string[]).includes(name)) {
      const policyMisplaced = (POLICIES as readonly string[]).includes(name);
      if (policyMisplaced) this.bag.report("policyNotAllowed", this.file, call.name.span, { policy: name });
      else this.bag.report("unknownStage", this.file, call.name.span, { name, ...suggest(name, STAGES) });
      return undefined;
    }
    const kind = name as StageKind;
    if (kind !== "map" && kind !== "flatMap") {
      for (const policy of stage.policies) {
        if ((POLICIES as readonly string[]).includes(policy.name.text)) {
          this.bag.report("policyNotAllowed", this.file, policy.name.span, { policy: policy.name.text, stage: kind });
        } else {
          this.bag.report("unknownPolicy", this.file, policy.name.span, { name: policy.name.text, ...suggest(policy.name.text, POLICIES) });
        }
      }
    }
    switch (kind) {
      case "copy":
        return this.copy(stage, before);
      case "filter":
        return this.filter(stage, before);
      case "split":
        return this.split(stage, before);
      case "shard":
        return this.shard(stage, before);
      case "merge":
        return this.merge(stage, before);
      case "map":
      case "flatMap":
        return this.map(stage, kind, before);
    }
  }

  private bad(stage: A.Stage, span: A.Node["span"], problem: string, usage: string): undefined {
    this.bag.report("badArguments", this.file, span, { stage: stage.call.name.text, problem, usage });
    return undefined;
  }

  private laneNames(stage: A.Stage, args: readonly A.Argument[], usage: string): string[] | undefined {
    const names: string[] = [];
    for (const arg of args) {
      if (arg.value.kind !== "Name") return this.bad(stage, arg.value.span, "lanes are plain names", usage);
      const lane = arg.value.name.text;
      if (names.includes(lane)) {
        this.bag.report("duplicateMember", this.file, arg.value.span, { name: lane, kind: "lane", owner: stage.call.name.text });
        return undefined;
      }
      names.push(lane);
    }
    return names;
  }

  private notInsideLanes(stage: A.Stage, before: StreamShape, usage: string): boolean {
    if (before.lanes.length > 1) {
      this.bad(stage, stage.call.name.span, "lanes are already open here; merge them, or route them to topics first", usage);
      return false;
    }
    return true;
  }

  private copy(stage: A.Stage, before: StreamShape) {
    const usage = "copy(laneA, laneB, ...)";
    const args = stage.call.args ?? [];
    if (stage.call.block || args.some((a) => a.name !== undefined)) return this.bad(stage, stage.call.span, "takes lane names", usage);
    if (args.length < 2) return this.bad(stage, stage.call.span, "needs at least two lanes", usage);
    if (!this.notInsideLanes(stage, before, usage)) return undefined;
    const lanes = this.laneNames(stage, args, usage);
    if (lanes === undefined) return undefined;
    const source = before.lanes[0];
    return {
      step: { kind: "copy" as const, stage, lanes },
      after: { lanes: lanes.map((name) => ({ name, type: source.type, shards: source.shards })) },
    };
  }

  private filter(stage: A.Stage, before: StreamShape) {
    const usage = "filter(<condition>, dropped: <topic>)";
    const args = stage.call.args ?? [];
    const positional = args.filter((a) => a.name === undefined);
    if (stage.call.block || positional.length !== 1) return this.bad(stage, stage.call.span, "takes one condition", usage);
    let droppedTo: TopicSymbol | undefined;
    for (const arg of args.filter((a) => a.name !== undefined)) {
      if (arg.name!.text !== "dropped") return this.bad(stage, arg.name!.span, `unknown option '${arg.name!.text}'`, usage);
      if (arg.value.kind !== "Name") return this.bad(stage, arg.value.span, "dropped names a topic", usage);
      droppedTo = this.topic(arg.value.name);
      if (droppedTo) {
        this.checkTopicCarries(droppedTo, before, arg.value.span);
        // Drops keep their shard placement, as a sink's records do.
        for (const lane of before.lanes) this.checkShards(droppedTo, lane, arg.value.span);
      }
    }
    const predicate = positional[0].value;
    for (const lane of before.lanes) this.predicate(predicate, lane.type, "filter condition");
    return { step: { kind: "filter" as const, stage, predicate, droppedTo }, after: before };
  }

  private split(stage: A.Stage, before: StreamShape) {
    const usage = "split { laneA: <condition>, laneB: <condition>, else: laneC }";
    const args = stage.call.args ?? [];
    if (!stage.call.block) return this.bad(stage, stage.call.span, "takes a block of lanes", usage);
    if (!this.notInsideLanes(stage, before, usage)) return undefined;
    const type = before.lanes[0].type;
    const cases: { lane: string; when: A.Expression }[] = [];
    let elseLane: string | undefined;
    const seen = new Set<string>();
    for (const arg of args) {
      if (arg.name === undefined) return this.bad(stage, arg.span, "each case is lane: condition", usage);
      if (arg.name.text === "else") {
        if (arg.value.kind !== "Name") return this.bad(stage, arg.value.span, "else names a lane", usage);
        elseLane = arg.value.name.text;
        if (arg !== args[args.length - 1]) this.bad(stage, arg.span, "else comes last", usage);
      } else {
        cases.push({ lane: arg.name.text, when: arg.value });
        this.predicate(arg.value, type, `split case '${arg.name.text}'`);
      }
      const lane = arg.name.text === "else" ? elseLane! : arg.name.text;
      if (seen.has(lane)) this.bag.report("duplicateMember", this.file, arg.name.span, { name: lane, kind: "lane", owner: "split" });
      seen.add(lane);
    }
    if (cases.length === 0) return this.bad(stage, stage.call.span, "needs at least one case", usage);
    if (elseLane === undefined) {
      const missing = exhaustiveness(cases.map((c) => c.when), type, this.expressionTypes);
      if (missing !== undefined) this.bag.report("splitNotExhaustive", this.file, stage.call.name.span, { missing });
    }
    const lanes = [...cases.map((c) => c.lane), ...(elseLane !== undefined ? [elseLane] : [])];
    return {
      step: { kind: "split" as const, stage, cases, elseLane },
      after: { lanes: lanes.map((name) => ({ name, type, shards: before.lanes[0].shards })) },
    };
  }

  private shard(stage: A.Stage, before: StreamShape) {
    const usage = "shard(<count>, by: .field)";
    const args = stage.call.args ?? [];
    const positional = args.filter((a) => a.name === undefined);
    if (stage.call.block || positional.length !== 1) return this.bad(stage, stage.call.span, "takes a shard count", usage);
    const countExpr = positional[0].value;
    if (countExpr.kind !== "Number" || !Number.isInteger(countExpr.value) || countExpr.value < 1) {
      const count = countExpr.kind === "Number" ? countExpr.text : countExpr.kind === "Name" ? `'${countExpr.name.text}'` : countExpr.kind === "String" ? JSON.stringify(countExpr.value) : "something else";
      this.bag.report("shardCount", this.file, countExpr.span, { count });
      return undefined;
    }
    let key: A.PathExpr | undefined;
    for (const arg of args.filter((a) => a.name !== undefined)) {
      if (arg.name!.text !== "by") return this.bad(stage, arg.name!.span, `unknown option '${arg.name!.text}'`, usage);
      if (arg.value.kind !== "Path") return this.bad(stage, arg.value.span, "by takes a field path such as .userId", usage);
      key = arg.value;
      for (const lane of before.lanes) {
        const resolved = resolvePath(lane.type, key, this.file, this.bag);
        if (resolved === undefined) return undefined;
        this.expressionTypes.set(key, { kind: "type", type: resolved.type, optional: resolved.optional });
        if (!isScalar(resolved.type)) {
          this.bag.report("typeMismatch", this.file, key.span, { expected: "a string, number, bool or enum field", found: typeToString(resolved.type), context: "shard key" });
          return undefined;
        }
      }
    }
    const count = countExpr.value;
    return {
      step: { kind: "shard" as const, stage, count, key },
      after: { lanes: before.lanes.map((l) => ({ ...l, shards: count })) },
    };
  }

  private merge(stage: A.Stage, before: StreamShape) {
    const usage = "merge, or merge(first) to keep the first result per message";
    const args = stage.call.args ?? [];
    let first = false;
    if (args.length > 1 || stage.call.block) return this.bad(stage, stage.call.span, "takes no lanes", usage);
    if (args.length === 1) {
      const arg = args[0];
      // A wrong mode is reported, and the stage still merges: the lanes after it are one stream.
      if (arg.name !== undefined || arg.value.kind !== "Name" || arg.value.name.text !== "first") this.bad(stage, arg.span, "the only mode is 'first'", usage);
      else first = true;
    }
    // After a stage that could not be checked the lanes are unknown: say nothing about them.
    const unknown = before.lanes.every((l) => l.type.kind === "error");
    if (before.lanes.length < 2 && !unknown) this.bag.report("mergeWithoutLanes", this.file, stage.call.name.span, {});
    const types = before.lanes.filter((l) => l.type.kind !== "error");
    if (types.some((l) => !sameType(l.type, types[0].type))) {
      this.bag.report("mergeTypeMismatch", this.file, stage.call.name.span, {
        lanes: before.lanes.map((l) => `${l.name ?? "stream"}: ${typeToString(l.type)}`).join(", "),
      });
      return { step: { kind: "merge" as const, stage, first }, after: single(errorType) };
    }
    const shards = before.lanes.every((l) => l.shards === before.lanes[0].shards) ? before.lanes[0].shards : undefined;
    return { step: { kind: "merge" as const, stage, first }, after: single(before.lanes[0].type, shards) };
  }

  private map(stage: A.Stage, kind: "map" | "flatMap", before: StreamShape) {
    const usage = `${kind}(<handler>) retry(3, backoff: 100ms..10s) timeout(30s) concurrency(4)`;
    const args = stage.call.args ?? [];
    if (stage.call.block || args.length !== 1 || args[0].name !== undefined || args[0].value.kind !== "Name") {
      return this.bad(stage, stage.call.span, "takes one handler name", usage);
    }
    const nameNode = args[0].value.name;
    const handler = this.table.handlers.get(nameNode.text);
    if (handler === undefined) {
      this.bag.report("unknownHandler", this.file, nameNode.span, { name: nameNode.text, ...suggest(nameNode.text, this.table.handlers.keys()) });
      return undefined;
    }
    this.table.references.push({ file: this.file, node: nameNode, target: handler });
    for (const lane of before.lanes) {
      if (!sameType(lane.type, handler.input)) {
        this.bag.report("handlerInputMismatch", this.file, nameNode.span, {
          handler: handler.name,
          expected: typeToString(handler.input),
          found: typeToString(lane.type),
          lane: laneLabel(lane),
        });
      }
    }
    const policy = this.policies(stage, kind, before);
    let output: FlowType | undefined = handler.output;
    if (kind === "flatMap" && output !== undefined) {
      if (output.kind === "array") output = output.element;
      else if (output.kind !== "error") {
        this.bag.report("flatMapNeedsArray", this.file, nameNode.span, { handler: handler.name, found: typeToString(output) });
        output = errorType;
      }
    }
    const after: StreamShape = {
      lanes: before.lanes.map((l) => (output === undefined ? { ...l, type: errorType, terminated: true } : { ...l, type: output })),
    };
    return { step: { kind, stage, handler, policy }, after };
  }

  private policies(stage: A.Stage, kind: string, before: StreamShape): HandlerPolicy {
    let retry = DEFAULT_POLICY.retry;
    let timeoutMs = DEFAULT_POLICY.timeoutMs;
    let concurrency = DEFAULT_POLICY.concurrency;
    let deadLetter: TopicSymbol | undefined;
    const seen = new Set<string>();
    for (const policy of stage.policies) {
      const name = policy.name.text;
      const args = policy.args ?? [];
      const report = (span: A.Node["span"], problem: string, usage: string) =>
        this.bag.report("badArguments", this.file, span, { stage: name, problem, usage });
      if (!(POLICIES as readonly string[]).includes(name)) {
        this.bag.report("unknownPolicy", this.file, policy.name.span, { name, ...suggest(name, POLICIES) });
        continue;
      }
      if (seen.has(name)) this.bag.report("duplicatePolicy", this.file, policy.name.span, { policy: name });
      seen.add(name);
      const positional = args.filter((a) => a.name === undefined);
      if (name === "retry") {
        const usage = "retry(<retries>, backoff: 100ms..30s)";
        const count = positional[0]?.value;
        if (positional.length !== 1 || count?.kind !== "Number" || !Number.isInteger(count.value) || count.value < 0) {
          report(count?.span ?? policy.span, "takes the number of retries (0 or more)", usage);
          continue;
        }
        let initial = DEFAULT_POLICY.retry.initialBackoffMs;
        let max = DEFAULT_POLICY.retry.maxBackoffMs;
        for (const arg of args.filter((a) => a.name !== undefined)) {
          if (arg.name!.text !== "backoff") {
            report(arg.name!.span, `unknown option '${arg.name!.text}'`, usage);
            continue;
          }
          const v = arg.value;
          if (v.kind === "Duration" && v.milliseconds > 0) {
            initial = v.milliseconds;
            max = Math.max(v.milliseconds, max);
          } else if (v.kind === "Range" && v.from.kind === "Duration" && v.to.kind === "Duration" && v.from.milliseconds > 0 && v.to.milliseconds >= v.from.milliseconds) {
            initial = v.from.milliseconds;
            max = v.to.milliseconds;
          } else report(v.span, "backoff is a duration or a range of durations, shortest first: 100ms..30s", usage);
        }
        retry = { retries: count.value, initialBackoffMs: initial, maxBackoffMs: max };
      } else if (name === "timeout") {
        const v = positional[0]?.value;
        if (args.length !== 1 || v?.kind !== "Duration" || v.milliseconds <= 0) report(v?.span ?? policy.span, "takes a duration", "timeout(10s)");
        else timeoutMs = v.milliseconds;
      } else if (name === "concurrency") {
        const v = positional[0]?.value;
        if (args.length !== 1 || v?.kind !== "Number" || !Number.isInteger(v.value) || v.value < 1) report(v?.span ?? policy.span, "takes a whole number of at least 1", "concurrency(8)");
        else concurrency = v.value;
      } else if (name === "deadLetter") {
        const v = positional[0]?.value;
        if (args.length !== 1 || v?.kind !== "Name") report(v?.span ?? policy.span, "names a topic", "deadLetter(failedRenders)");
        else {
          deadLetter = this.topic(v.name);
          // Dead letters are the stage's input messages, as they came in.
          if (deadLetter) this.checkTopicCarries(deadLetter, before, v.span);
        }
      }
    }
    void kind;
    return { retry, timeoutMs, concurrency, deadLetter };
  }

  private checkTopicCarries(topic: TopicSymbol, stream: StreamShape, span: A.Node["span"]): void {
    for (const lane of stream.lanes) {
      if (!sameType(topic.type, lane.type)) {
        this.bag.report("sinkTypeMismatch", this.file, span, { topic: topic.name, expected: typeToString(topic.type), found: typeToString(lane.type), lane: laneLabel(lane) });
      }
    }
  }

  private checkShards(topic: TopicSymbol, lane: Lane, span: A.Node["span"]): void {
    if (lane.shards !== undefined && topic.partitions !== undefined && topic.partitions !== lane.shards) {
      this.bag.report("shardPartitionMismatch", this.file, span, { shards: lane.shards, topic: topic.name, partitions: topic.partitions });
    }
  }

  private sink(decl: A.PipelineDecl, stream: StreamShape, sources: readonly TopicSymbol[]): CheckedSink | undefined {
    const node = decl.sink;
    const live = stream.lanes.filter((l) => !l.terminated);
    if (node === undefined) {
      if (live.length > 0 && decl.sources.length > 0) {
        this.bag.report("missingSink", this.file, decl.name.span, { pipeline: decl.name.text, type: typeToString(live[0].type) });
      }
      return undefined;
    }
    if (stream.lanes.some((l) => l.terminated)) {
      const last = [...decl.stages].reverse().find((s) => s.call.name.text === "map" || s.call.name.text === "flatMap");
      const handler = last?.call.args?.[0]?.value;
      this.bag.report("sinkAfterEffect", this.file, node.span, { handler: handler?.kind === "Name" ? handler.name.text : "?" });
      // Still resolve the sink's topics: they are named here (no 'unused topic' on top), and the editor can follow them.
      for (const name of node.kind === "TopicSink" ? [node.topic] : node.routes.map((r) => r.topic)) this.topic(name);
      return undefined;
    }
    if (node.kind === "TopicSink") {
      const topic = this.topic(node.topic);
      if (topic === undefined) return undefined;
      if (sources.includes(topic)) this.bag.report("sourceIsSink", this.file, node.topic.span, { topic: topic.name });
      if (stream.lanes.length > 1) {
        this.bag.report("unmergedLanes", this.file, node.topic.span, { lanes: stream.lanes.map((l) => l.name).join(", "), topic: topic.name });
        return { kind: "topic", node, topic };
      }
      this.checkTopicCarries(topic, stream, node.topic.span);
      this.checkShards(topic, stream.lanes[0], node.topic.span);
      return { kind: "topic", node, topic };
    }
    const routes: { lane: string; topic: TopicSymbol }[] = [];
    const laneNames = stream.lanes.map((l) => l.name).filter((n): n is string => n !== undefined);
    for (const route of node.routes) {
      // The topic first: a route with a wrong lane still names its topic.
      const topic = this.topic(route.topic);
      const lane = stream.lanes.find((l) => l.name === route.lane.text);
      if (lane === undefined) {
        if (!route.lane.missing) this.bag.report("unknownLane", this.file, route.lane.span, { name: route.lane.text, ...suggest(route.lane.text, laneNames) });
        continue;
      }
      if (routes.some((r) => r.lane === route.lane.text)) {
        this.bag.report("duplicateMember", this.file, route.lane.span, { name: route.lane.text, kind: "lane", owner: "sink" });
        continue;
      }
      if (topic === undefined) continue;
      if (sources.includes(topic)) this.bag.report("sourceIsSink", this.file, route.topic.span, { topic: topic.name });
      if (!sameType(topic.type, lane.type)) {
        this.bag.report("sinkTypeMismatch", this.file, route.topic.span, { topic: topic.name, expected: typeToString(topic.type), found: typeToString(lane.type), lane: laneLabel(lane) });
      }
      this.checkShards(topic, lane, route.topic.span);
      routes.push({ lane: route.lane.text, topic });
    }
    for (const lane of stream.lanes) {
      if (lane.name !== undefined && !node.routes.some((r) => r.lane.text === lane.name)) {
        this.bag.report("laneNotRouted", this.file, node.span, { lane: lane.name });
      }
    }
    return { kind: "lanes", node, routes };
  }

  // --- expressions ---------------------------------------------------------
  private predicate(expr: A.Expression, subject: FlowType, context: string): void {
    const type = this.expression(expr, subject, undefined);
    if (type !== undefined && type.kind !== "error" && !isBool(type)) {
      this.bag.report("typeMismatch", this.file, expr.span, { expected: "a condition (bool)", found: typeToString(type), context });
    }
  }

  /** Types an expression against the message type; `expected` lets bare names resolve to enum members. */
  private expression(expr: A.Expression, subject: FlowType, expected: FlowType | undefined): FlowType | undefined {
    const record = (type: FlowType, optional?: boolean): FlowType => {
      this.expressionTypes.set(expr, { kind: "type", type, ...(optional ? { optional } : {}) });
      return type;
    };
    switch (expr.kind) {
      case "Missing":
        return errorType;
      case "Path": {
        const resolved = resolvePath(subject, expr, this.file, this.bag);
        return resolved === undefined ? errorType : record(resolved.type, resolved.optional);
      }
      case "String":
        return record(primitive("string"));
      case "Number":
        return record(primitive(Number.isInteger(expr.value) && !expr.text.includes(".") ? "int" : "float"));
      case "Bool":
        return record(primitive("bool"));
      case "Duration":
        this.bag.report("typeMismatch", this.file, expr.span, { expected: "a value of the message", found: "a duration", context: "condition" });
        return errorType;
      case "Range":
        this.bag.report("typeMismatch", this.file, expr.span, { expected: "a value", found: "a range", context: "condition" });
        return errorType;
      case "List":
        this.bag.report("typeMismatch", this.file, expr.span, { expected: "a value", found: "a list", context: "condition (lists go after 'in')" });
        return errorType;
      case "Paren": {
        const inner = this.expression(expr.inner, subject, expected) ?? errorType;
        return record(inner);
      }
      case "Name": {
        if (expected?.kind === "enum") {
          const member = expr.name.text;
          if (!expected.members.includes(member)) {
            this.bag.report("unknownEnumMember", this.file, expr.span, { name: member, enumName: expected.name, ...suggest(member, expected.members) });
            return errorType;
          }
          this.expressionTypes.set(expr, { kind: "enumMember", enumType: expected, member });
          return expected;
        }
        const enumsWithMember = [...this.table.types.values()].filter((t): t is EnumType => t.kind === "enum" && t.members.includes(expr.name.text));
        this.bag.report("typeMismatch", this.file, expr.span, {
          expected: expected ? typeToString(expected) : "a field path (.field) or a literal",
          found:
            enumsWithMember.length > 0
              ? `enum member '${expr.name.text}'`
              : fieldsOf(subject)?.some((f) => f.name === expr.name.text)
                ? `the name '${expr.name.text}' (a field is written with a dot: .${expr.name.text})`
                : `the name '${expr.name.text}'`,
          context: "condition",
        });
        return errorType;
      }
      case "Not": {
        const operand = this.expression(expr.operand, subject, undefined) ?? errorType;
        if (operand.kind !== "error" && !isBool(operand)) {
          this.bag.report("typeMismatch", this.file, expr.operand.span, { expected: "bool", found: typeToString(operand), context: "'not'" });
        }
        return record(primitive("bool"));
      }
      case "Has": {
        const resolved = resolvePath(subject, expr.path, this.file, this.bag);
        if (resolved !== undefined) {
          this.expressionTypes.set(expr.path, { kind: "type", type: resolved.type, optional: resolved.optional });
          if (!resolved.optional && resolved.type.kind !== "error") {
            this.bag.report("presenceOfRequired", this.file, expr.path.span, { path: expr.path.segments.map((s) => `.${s.text}`).join("") });
          }
        }
        return record(primitive("bool"));
      }
      case "In": {
        const value = this.expression(expr.value, subject, undefined) ?? errorType;
        if (value.kind !== "error" && !isScalar(value)) {
          this.bag.report("typeMismatch", this.file, expr.value.span, { expected: "a scalar value", found: typeToString(value), context: "'in'" });
        }
        // A value that is not scalar was reported above; its items would only repeat that.
        const against = isScalar(value) ? value : errorType;
        for (const item of expr.list.items) {
          const itemType = this.expression(item, subject, against) ?? errorType;
          this.comparable(against, itemType, item.span, "item of 'in' list");
        }
        return record(primitive("bool"));
      }
      case "Binary": {
        if (expr.operator === "and" || expr.operator === "or") {
          for (const side of [expr.left, expr.right]) {
            const t = this.expression(side, subject, undefined) ?? errorType;
            if (t.kind !== "error" && !isBool(t)) this.bag.report("typeMismatch", this.file, side.span, { expected: "bool", found: typeToString(t), context: `'${expr.operator}'` });
          }
          return record(primitive("bool"));
        }
        // Type the side that can stand alone first, so `email == .channel` works too.
        const leftFirst = expr.left.kind !== "Name";
        const firstSide = leftFirst ? expr.left : expr.right;
        const secondSide = leftFirst ? expr.right : expr.left;
        const firstType = this.expression(firstSide, subject, undefined) ?? errorType;
        const secondType = this.expression(secondSide, subject, firstType) ?? errorType;
        const [left, right] = leftFirst ? [firstType, secondType] : [secondType, firstType];
        if (expr.operator !== "==" && expr.operator !== "!=") {
          // Ordering first: `.ok > 1` is one mistake (bools have no order), not two.
          const ordered = (t: FlowType) => t.kind === "error" || isNumeric(t) || (t.kind === "primitive" && (t.name === "string" || t.name === "timestamp"));
          if (!ordered(left) || !ordered(right)) {
            this.bag.report("typeMismatch", this.file, expr.span, { expected: "numbers, strings or timestamps", found: `${typeToString(left)} and ${typeToString(right)}`, context: `'${expr.operator}'` });
            return record(primitive("bool"));
          }
        }
        this.comparable(left, right, expr.span, `comparison '${expr.operator}'`);
        return record(primitive("bool"));
      }
    }
  }

  private comparable(a: FlowType, b: FlowType, span: A.Node["span"], context: string): void {
    if (a.kind === "error" || b.kind === "error") return;
    if (isNumeric(a) && isNumeric(b)) return;
    // A timestamp compares with an ISO 8601 string literal.
    const timestampAndString = (x: FlowType, y: FlowType) => x.kind === "primitive" && x.name === "timestamp" && y.kind === "primitive" && y.name === "string";
    if (timestampAndString(a, b) || timestampAndString(b, a)) return;
    if (!sameType(a, b)) this.bag.report("typeMismatch", this.file, span, { expected: typeToString(a), found: typeToString(b), context });
  }
}

/**
 * A split without else is lossless only if its cases provably cover every
 * message: each case tests the same required enum or bool field for equality
 * (==, in, or the bool field itself), and together they name every value.
 * Returns a description of what is not covered, or undefined when exhaustive.
 */
function exhaustiveness(conditions: readonly A.Expression[], subject: FlowType, types: Map<A.Expression, ExpressionInfo>): string | undefined {
  let fieldKey: string | undefined;
  const covered = new Set<string>();
  let domain: readonly string[] | undefined;
  const unprovable = "its cases cannot be shown to cover every message";
  for (const condition of conditions) {
    const parts = disjuncts(condition);
    for (const part of parts) {
      const tested = testedValues(part, types);
      if (tested === undefined) return unprovable;
      if (fieldKey !== undefined && tested.field !== fieldKey) return unprovable;
      fieldKey = tested.field;
      if (tested.optional) return `field '${tested.field}' is optional, so a message without it matches no case`;
      domain = tested.domain;
      tested.values.forEach((v) => covered.add(v));
    }
  }
  if (domain === undefined) return unprovable;
  const missing = domain.filter((v) => !covered.has(v));
  if (missing.length === 0) return undefined;
  void subject;
  return `no case matches ${fieldKey} == ${missing.join(" or ")}`;
}

function disjuncts(expr: A.Expression): A.Expression[] {
  if (expr.kind === "Paren") return disjuncts(expr.inner);
  if (expr.kind === "Binary" && expr.operator === "or") return [...disjuncts(expr.left), ...disjuncts(expr.right)];
  return [expr];
}

function testedValues(
  expr: A.Expression,
  types: Map<A.Expression, ExpressionInfo>,
): { field: string; values: string[]; domain: readonly string[]; optional: boolean } | undefined {
  const pathInfo = (p: A.Expression) => {
    if (p.kind !== "Path") return undefined;
    const info = types.get(p);
    if (info?.kind !== "type") return undefined;
    return { field: p.segments.map((s) => `.${s.text}`).join(""), type: info.type, optional: info.optional === true };
  };
  const domainOf = (t: FlowType) => (t.kind === "enum" ? t.members : isBool(t) ? ["true", "false"] : undefined);
  const literal = (e: A.Expression): string | undefined => {
    if (e.kind === "Bool") return String(e.value);
    const info = types.get(e);
    return info?.kind === "enumMember" ? info.member : undefined;
  };
  if (expr.kind === "Paren") return testedValues(expr.inner, types);
  const bare = pathInfo(expr);
  if (bare !== undefined) {
    return isBool(bare.type) ? { field: bare.field, values: ["true"], domain: ["true", "false"], optional: bare.optional } : undefined;
  }
  if (expr.kind === "Not") {
    const inner = pathInfo(expr.operand.kind === "Paren" ? expr.operand.inner : expr.operand);
    return inner && isBool(inner.type) ? { field: inner.field, values: ["false"], domain: ["true", "false"], optional: inner.optional } : undefined;
  }
  if (expr.kind === "Binary" && expr.operator === "==") {
    const [path, value] = pathInfo(expr.left) ? [pathInfo(expr.left)!, literal(expr.right)] : [pathInfo(expr.right), literal(expr.left)];
    const domain = path && domainOf(path.type);
    if (!path || !domain || value === undefined) return undefined;
    return { field: path.field, values: [value], domain, optional: path.optional };
  }
  if (expr.kind === "In" && !expr.negated) {
    const path = pathInfo(expr.value);
    const domain = path && domainOf(path.type);
    if (!path || !domain) return undefined;
    const values = expr.list.items.map(literal);
    if (values.some((v) => v === undefined)) return undefined;
    return { field: path.field, values: values as string[], domain, optional: path.optional };
  }
  return undefined;
}

/** The topic graph: pipelines are edges from their source topics to the topics they write. */
function checkGraph(table: SymbolTable, pipelines: readonly CheckedPipeline[], bag: DiagnosticBag): void {
  const writes = (p: CheckedPipeline): TopicSymbol[] => {
    const out: TopicSymbol[] = [];
    if (p.sink?.kind === "topic") out.push(p.sink.topic);
    if (p.sink?.kind === "lanes") out.push(...p.sink.routes.map((r) => r.topic));
    for (const s of p.stages) {
      if (s.step.kind === "filter" && s.step.droppedTo) out.push(s.step.droppedTo);
    }
    return out;
  };
  const edges = new Map<string, { to: string; pipeline: CheckedPipeline }[]>();
  const used = new Set<string>();
  // Every topic a pipeline names counts as used, even where that pipeline has errors:
  // an 'unused topic' warning on top of the error would only repeat it.
  for (const reference of table.references) if (reference.target.kind === "topic") used.add(reference.target.name);
  for (const p of pipelines) {
    for (const source of p.sources) used.add(source.name);
    for (const stage of p.stages) if ((stage.step.kind === "map" || stage.step.kind === "flatMap") && stage.step.policy.deadLetter) used.add(stage.step.policy.deadLetter.name);
    for (const target of writes(p)) {
      used.add(target.name);
      for (const source of p.sources) {
        if (source === target) continue; // reported as sourceIsSink
        const list = edges.get(source.name) ?? [];
        list.push({ to: target.name, pipeline: p });
        edges.set(source.name, list);
      }
    }
  }
  // Depth-first search for cycles; each cycle reported once, at the pipeline that closes it.
  const state = new Map<string, "visiting" | "done">();
  const stack: { topic: string; via: CheckedPipeline | undefined }[] = [];
  const reported = new Set<string>();
  // Iterative, so a long chain of topics cannot overflow the call stack.
  const visit = (root: string) => {
    const sortedEdges = (topic: string) => [...(edges.get(topic) ?? [])].sort((a, b) => a.to.localeCompare(b.to));
    const work: { topic: string; edges: { to: string; pipeline: CheckedPipeline }[]; next: number }[] = [];
    const enter = (topic: string, via: CheckedPipeline | undefined) => {
      state.set(topic, "visiting");
      stack.push({ topic, via });
      work.push({ topic, edges: sortedEdges(topic), next: 0 });
    };
    enter(root, undefined);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      if (frame.next >= frame.edges.length) {
        work.pop();
        stack.pop();
        state.set(frame.topic, "done");
        continue;
      }
      const edge = frame.edges[frame.next++];
      const seen = state.get(edge.to);
      if (seen === undefined) {
        enter(edge.to, edge.pipeline);
      } else if (seen === "visiting") {
        const frames = stack.slice(stack.findIndex((f) => f.topic === edge.to));
        const key = frames.map((f) => f.topic).sort().join(",");
        if (reported.has(key)) continue;
        reported.add(key);
        const steps = frames.map((f, i) => `${f.topic} -(${(frames[i + 1]?.via ?? edge.pipeline).name})->`);
        bag.report("topicCycle", edge.pipeline.file, edge.pipeline.decl.name.span, { cycle: `${steps.join(" ")} ${edge.to}` });
      }
    }
  };
  for (const topic of [...edges.keys()].sort()) if (!state.has(topic)) visit(topic);

  for (const topic of table.topics.values()) {
    if (!used.has(topic.name)) bag.report("unusedTopic", topic.file, topic.decl.name.span, { name: topic.name });
  }
}
