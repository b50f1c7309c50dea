/**
 * Hover: the stream at each point of a pipeline (message type, lanes, shards),
 * the declaration of a symbol, the type of a field, and the documentation of
 * built-in stages, policies and keywords.
 */
import type { Hover } from "vscode-languageserver/node.js";
import * as A from "../compiler/ast.js";
import type { ParsedFile } from "../compiler/build-ast.js";
import type { StreamShape } from "../compiler/check.js";
import type { Program } from "../compiler/program.js";
import { fieldsOf, typeToString, type FlowType } from "../compiler/types.js";
import * as T from "../grammar/tokens.js";
import { declarationAt, shapeSummary, shapeTable, streamAt, symbolAt, symbolSignature, type FlowSymbol } from "./analysis.js";
import { toRange } from "./convert.js";
import { KEYWORD_DOCS, POLICY_DOCS, STAGE_DOCS, TOPIC_OPTION_DOCS, type BuiltinDoc } from "./docs.js";
import { displayPath } from "../compiler/program.js";

const fence = (code: string) => "```flow\n" + code + "\n```";
const inside = (span: A.Node["span"], offset: number) => span.start <= offset && offset <= span.end;

export function hover(program: Program, parsed: ParsedFile, offset: number): Hover | null {
  const source = parsed.source;
  const make = (sections: string[], span: A.Node["span"]): Hover => ({
    contents: { kind: "markdown", value: sections.filter((s) => s !== "").join("\n\n") },
    range: toRange(source, span),
  });
  const decl = declarationAt(parsed.document, offset);

  const hit = symbolAt(program, source.path, offset);
  if (hit !== undefined) {
    const sections = [fence(symbolSignature(hit.symbol)), symbolNotes(hit.symbol, program)];
    if (decl?.kind === "Pipeline") {
      const stream = pipelineContext(program, decl, offset, hit.node);
      if (stream) sections.push(stream);
    }
    return make(sections, hit.node.span);
  }

  if (decl?.kind === "Pipeline") {
    const found = pipelineHover(program, parsed, decl, offset);
    if (found) return make(found.sections, found.span);
  }
  if (decl?.kind === "Topic") {
    const topic = program.symbols.topics.get(decl.name.text);
    for (const option of decl.options) {
      if (option.name && inside(option.name.span, offset) && TOPIC_OPTION_DOCS[option.name.text]) {
        return make([`**${option.name.text}**: ${TOPIC_OPTION_DOCS[option.name.text]}`], option.name.span);
      }
      if (option.value.kind === "Path" && topic) {
        const field = pathSegmentHover(option.value, topic.type, offset);
        if (field) return make(field.sections, field.span);
      }
    }
  }
  if (decl?.kind === "Schema" || decl?.kind === "Topic" || decl?.kind === "Handler") {
    const field = fieldDeclarationHover(decl, offset);
    if (field) return make(field.sections, field.span);
  }

  // A keyword: its documentation.
  const token = parsed.tokens.find((t) => t.startOffset <= offset && offset <= (t.endOffset ?? t.startOffset) + 1);
  if (token && T.keywords.includes(token.tokenType) && KEYWORD_DOCS[token.image]) {
    return make([KEYWORD_DOCS[token.image]], { start: token.startOffset, end: (token.endOffset ?? token.startOffset) + 1 });
  }
  return null;
}

function symbolNotes(symbol: FlowSymbol, program: Program): string {
  const where = `declared in \`${displayPath(symbol.file)}\``;
  switch (symbol.kind) {
    case "handler":
      return `TypeScript: \`${displayPath(symbol.modulePath)}\` exports \`${symbol.name}\` · ${where}`;
    case "topic": {
      const readers = program.checked.pipelines.filter((p) => p.sources.some((s) => s.name === symbol.name)).map((p) => p.name);
      const writers = program.checked.pipelines
        .filter((p) => (p.sink?.kind === "topic" && p.sink.topic.name === symbol.name) || (p.sink?.kind === "lanes" && p.sink.routes.some((r) => r.topic.name === symbol.name)))
        .map((p) => p.name);
      const parts = [where];
      if (writers.length > 0) parts.push(`written by ${writers.map((w) => `\`${w}\``).join(", ")}`);
      if (readers.length > 0) parts.push(`read by ${readers.map((r) => `\`${r}\``).join(", ")}`);
      return parts.join(" · ");
    }
    default:
      return where;
  }
}

/** For a symbol inside a pipeline (a source, a handler, a sink topic): the stream there. */
function pipelineContext(program: Program, decl: A.PipelineDecl, offset: number, node: A.Identifier): string | undefined {
  if (decl.sources.includes(node)) return `**stream in:** ${shapeSummary(streamAt(program, decl, decl.sources[0]?.span.end ?? offset).stream)}`;
  const point = streamAt(program, decl, offset);
  if (point.stage) return `**stream in:** ${shapeSummary(point.stage.before)}\n\n**stream out:** ${shapeSummary(point.stage.after)}`;
  if (decl.sink && inside(decl.sink.span, offset)) return `**stream at the sink:** ${shapeSummary(point.stream)}`;
  return undefined;
}

function docSection(doc: BuiltinDoc): string {
  return [fence(doc.signature), `**${doc.name}**: ${doc.summary}`, doc.detail ?? ""].filter((s) => s !== "").join("\n\n");
}

function streamSections(label: string, shape: StreamShape): string[] {
  return [`**${label}:** ${shapeSummary(shape)}`, shapeTable(shape)];
}

function pipelineHover(program: Program, parsed: ParsedFile, decl: A.PipelineDecl, offset: number): { sections: string[]; span: A.Node["span"] } | undefined {
  const source = parsed.source;
  const point = streamAt(program, decl, offset);
  const stageNode = decl.stages.find((s) => inside(s.span, offset));

  if (stageNode !== undefined) {
    const call = stageNode.call;
    // The stage's own name: its documentation and the stream after it.
    if (inside(call.name.span, offset)) {
      const doc = STAGE_DOCS[call.name.text];
      const sections = [fence(source.slice(call.span)), doc ? `**${doc.name}**: ${doc.summary}` : ""];
      if (point.stage) {
        sections.push(`**stream in:** ${shapeSummary(point.stage.before)}`, ...streamSections("stream out", point.stage.after));
      } else sections.push(...streamSections("stream in", point.stream));
      if (doc?.detail) sections.push(doc.detail);
      return { sections, span: call.name.span };
    }
    for (const policy of stageNode.policies) {
      if (inside(policy.name.span, offset)) {
        const doc = POLICY_DOCS[policy.name.text];
        return { sections: doc ? [docSection(doc)] : [fence(source.slice(policy.span))], span: policy.name.span };
      }
    }
    // A field inside a condition or key: its type, against the stream entering the stage.
    for (const arg of [...(call.args ?? []), ...stageNode.policies.flatMap((p) => p.args ?? [])]) {
      let found: { sections: string[]; span: A.Node["span"] } | undefined;
      A.walk(arg.value, (node) => {
        if (found === undefined && node.kind === "Path") {
          for (const lane of point.stream.lanes) {
            found ??= pathSegmentHover(node, lane.type, offset);
          }
        }
      });
      if (found) return found;
      // A lane name in copy or split: the lane as it leaves the stage.
      const laneId = laneNameOf(call.name.text, arg);
      if (laneId && inside(laneId.span, offset) && point.stage) {
        const lane = point.stage.after.lanes.find((l) => l.name === laneId.text);
        if (lane) return { sections: [`**lane** \`${lane.name}\``, shapeSummary({ lanes: [lane] })], span: laneId.span };
      }
    }
    return undefined;
  }

  // The sink: the stream as it arrives, and where each lane goes.
  if (decl.sink && inside(decl.sink.span, offset)) {
    if (decl.sink.kind === "LaneSink") {
      for (const route of decl.sink.routes) {
        if (inside(route.lane.span, offset)) {
          const lane = point.stream.lanes.find((l) => l.name === route.lane.text);
          if (lane) return { sections: [`**lane** \`${route.lane.text}\` → \`${route.topic.text}\``, shapeSummary({ lanes: [lane] })], span: route.lane.span };
        }
      }
    }
    return { sections: streamSections("stream at the sink", point.stream), span: decl.sink.span };
  }

  // Between stages (on a `|` or `->`): what flows there.
  const token = parsed.tokens.find((t) => t.startOffset <= offset && offset <= (t.endOffset ?? t.startOffset) + 1 && (t.tokenType === T.Pipe || t.tokenType === T.Arrow));
  if (token) {
    const span = { start: token.startOffset, end: (token.endOffset ?? token.startOffset) + 1 };
    return { sections: streamSections(token.tokenType === T.Arrow ? "stream at the sink" : "stream here", point.stream), span };
  }
  return undefined;
}

/** The lane an argument names: copy(a, b), split { a: ..., else: b }. */
function laneNameOf(stage: string, arg: A.Argument): A.Identifier | undefined {
  if (stage === "copy") return arg.value.kind === "Name" ? arg.value.name : undefined;
  if (stage !== "split") return undefined;
  if (arg.name?.text === "else") return arg.value.kind === "Name" ? arg.value.name : undefined;
  return arg.name;
}

/** The segment of a path under the cursor, typed against the root type. */
function pathSegmentHover(path: A.PathExpr, root: FlowType, offset: number): { sections: string[]; span: A.Node["span"] } | undefined {
  let type: FlowType = root;
  let owner = typeToString(root);
  for (const segment of path.segments) {
    const field = fieldsOf(type)?.find((f) => f.name === segment.text);
    if (field === undefined) return undefined;
    if (inside(segment.span, offset)) {
      return { sections: [fence(`${owner}.${field.name}${field.optional ? "?" : ""}: ${typeToString(field.type)}`)], span: segment.span };
    }
    type = field.type;
    owner = `${owner}.${field.name}`;
  }
  return undefined;
}

/** A field's name in a schema or an inline record: the field and its type. */
function fieldDeclarationHover(decl: A.Declaration, offset: number): { sections: string[]; span: A.Node["span"] } | undefined {
  let result: { sections: string[]; span: A.Node["span"] } | undefined;
  A.walk(decl, (node) => {
    if (result !== undefined || node.kind !== "Field" || !inside(node.name.span, offset)) return;
    const typeText = typeNodeText(node.type);
    const owner = decl.kind === "Schema" ? `${decl.name.text}.` : "";
    result = { sections: [fence(`${owner}${node.name.text}${node.optional ? "?" : ""}: ${typeText}`)], span: node.name.span };
  });
  return result;
}

function typeNodeText(node: A.TypeNode): string {
  switch (node.kind) {
    case "NamedType":
      return node.name.text || "?";
    case "ArrayType":
      return `[${typeNodeText(node.element)}]`;
    case "RecordType":
      return `{ ${node.fields.map((f) => `${f.name.text}${f.optional ? "?" : ""}: ${typeNodeText(f.type)}`).join(", ")} }`;
  }
}
