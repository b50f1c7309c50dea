/**
 * Questions the editor features ask of a checked program: what symbol is at
 * this offset, which pipeline and stage, and what the stream is at a point.
 */
import type * as A from "../compiler/ast.js";
import type { CheckedPipeline, CheckedStage, Lane, StreamShape } from "../compiler/check.js";
import type { Program } from "../compiler/program.js";
import type { HandlerSymbol, TopicSymbol, TypeSymbol, ValueSymbol } from "../compiler/resolve.js";
import { errorType, typeToString, type FlowType } from "../compiler/types.js";

export type FlowSymbol = TypeSymbol | ValueSymbol;

export interface SymbolHit {
  readonly symbol: FlowSymbol;
  /** The identifier under the cursor: the declaration's name or a reference. */
  readonly node: A.Identifier;
  readonly isDeclaration: boolean;
}

const inside = (span: { start: number; end: number }, offset: number) => span.start <= offset && offset <= span.end;

/** Every declared symbol of a program. */
export function allSymbols(program: Program): FlowSymbol[] {
  const { types, topics, handlers, pipelines } = program.symbols;
  return [...types.values(), ...topics.values(), ...handlers.values(), ...pipelines.values()];
}

/** The declaration or resolved reference under the cursor. */
export function symbolAt(program: Program, file: string, offset: number): SymbolHit | undefined {
  for (const ref of program.symbols.references) {
    if (ref.file === file && inside(ref.node.span, offset)) return { symbol: ref.target, node: ref.node, isDeclaration: false };
  }
  for (const symbol of allSymbols(program)) {
    if (symbol.file === file && !symbol.decl.name.missing && inside(symbol.decl.name.span, offset)) {
      return { symbol, node: symbol.decl.name, isDeclaration: true };
    }
  }
  return undefined;
}

/** Same symbol across programs: programs built from different roots hold different objects. */
export function sameSymbol(a: FlowSymbol, b: FlowSymbol): boolean {
  return a.kind === b.kind && a.name === b.name && a.file === b.file;
}

/** The declaration of a file that holds the offset; a broken one reaches up to the next declaration. */
export function declarationAt(document: A.Document, offset: number): A.Declaration | undefined {
  let found: A.Declaration | undefined;
  for (const decl of document.declarations) {
    if (decl.span.start <= offset) found = decl;
    else break;
  }
  return found;
}

export function checkedPipelineOf(program: Program, decl: A.PipelineDecl): CheckedPipeline | undefined {
  return program.checked.pipelines.find((p) => p.decl === decl);
}

/** The stream that enters the first stage: one lane, or one lane per source topic. */
export function initialShape(program: Program, pipeline: A.PipelineDecl): StreamShape {
  const typeOf = (name: A.Identifier): FlowType => program.symbols.topics.get(name.text)?.type ?? errorType;
  if (pipeline.sources.length > 1) return { lanes: pipeline.sources.map((s) => ({ name: s.text, type: typeOf(s), shards: undefined })) };
  const first = pipeline.sources[0];
  return { lanes: [{ name: undefined, type: first ? typeOf(first) : errorType, shards: undefined }] };
}

export interface StreamPoint {
  /** The checked stage whose text holds the offset, if any. */
  readonly stage: CheckedStage | undefined;
  /** The stream flowing at the offset: into the stage under the cursor, or after the last stage before it. */
  readonly stream: StreamShape;
}

/** What flows at an offset of a pipeline. Expressions in a stage see the stream entering it. */
export function streamAt(program: Program, pipeline: A.PipelineDecl, offset: number): StreamPoint {
  const checked = checkedPipelineOf(program, pipeline);
  const stages = checked?.stages ?? [];
  const current = stages.find((s) => inside(s.step.stage.span, offset));
  if (current !== undefined) return { stage: current, stream: current.before };
  let stream = initialShape(program, pipeline);
  for (const s of stages) if (s.step.stage.span.end <= offset) stream = s.after;
  return { stage: undefined, stream };
}

// --- descriptions -------------------------------------------------------------

export function laneLabel(lane: Lane): string {
  return lane.name ?? "stream";
}

/** A stream as a short line: `Photo · lanes 4k, 1080p, gif · 10 shards`. */
export function shapeSummary(shape: StreamShape): string {
  const lanes = shape.lanes;
  if (lanes.length === 0) return "nothing";
  const types = new Set(lanes.map((l) => typeToString(l.type)));
  const shards = new Set(lanes.map((l) => l.shards));
  const parts: string[] = [];
  if (lanes.every((l) => l.terminated)) return "nothing (the handler has only effects)";
  parts.push(types.size === 1 ? [...types][0] : "mixed types");
  if (lanes.length > 1 || lanes[0].name !== undefined) parts.push(`lanes ${lanes.map((l) => l.name ?? "stream").join(", ")}`);
  if (shards.size === 1) {
    const n = [...shards][0];
    if (n !== undefined) parts.push(`${n} shard${n === 1 ? "" : "s"}`);
  } else parts.push("shards differ per lane");
  return parts.join(" · ");
}

/** A stream as a markdown table, one row per lane. */
export function shapeTable(shape: StreamShape): string {
  const rows = shape.lanes.map((l) => `| ${laneLabel(l)} | \`${l.terminated ? "(ended)" : typeToString(l.type)}\` | ${l.shards ?? "–"} |`);
  return ["| lane | message | shards |", "|---|---|---|", ...rows].join("\n");
}

export function typeDetail(type: FlowType): string {
  return type.kind === "error" ? "unknown" : typeToString(type);
}

/** The declaration of a symbol as flow source, for hover. */
export function symbolSignature(symbol: FlowSymbol): string {
  switch (symbol.kind) {
    case "schema": {
      const fields = symbol.fields.map((f) => `  ${f.name}${f.optional ? "?" : ""}: ${typeDetail(f.type)}`);
      return fields.length === 0 ? `schema ${symbol.name} {}` : `schema ${symbol.name} {\n${fields.join("\n")}\n}`;
    }
    case "enum":
      return `enum ${symbol.name} { ${symbol.members.join(", ")} }`;
    case "topic":
      return topicSignature(symbol);
    case "handler":
      return handlerSignature(symbol);
    case "pipeline":
      return `pipeline ${symbol.name}`;
  }
}

export function topicSignature(topic: TopicSymbol): string {
  const options: string[] = [];
  if (topic.partitions !== undefined) options.push(`partitions: ${topic.partitions}`);
  if (topic.replication !== undefined) options.push(`replication: ${topic.replication}`);
  if (topic.key !== undefined) options.push(`key: ${topic.key.map((k) => `.${k}`).join("")}`);
  if (topic.kafkaName !== topic.name) options.push(`name: "${topic.kafkaName}"`);
  return `topic ${topic.name}: ${typeDetail(topic.type)}${options.length > 0 ? ` (${options.join(", ")})` : ""}`;
}

export function handlerSignature(handler: HandlerSymbol): string {
  const output = handler.output === undefined ? "" : ` -> ${typeDetail(handler.output)}`;
  return `handler ${handler.name}(${typeDetail(handler.input)})${output} from "${handler.module}"`;
}
