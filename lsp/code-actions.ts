/**
 * Code actions:
 * - quick fixes for the did-you-mean hints: every diagnostic that carries a
 *   suggestion (unknown stage, topic, type, handler, field, enum member, lane,
 *   policy) becomes "Change 'shrad' to 'shard'";
 * - for a topic written to or a handler used before it is declared, "Declare
 *   topic 'x'" / "Declare handler 'h'", typed by the stream at that point.
 */
import { CodeActionKind, type CodeAction, type Diagnostic as LspDiagnostic, type Range } from "vscode-languageserver/node.js";
import type * as A from "../compiler/ast.js";
import type { ParsedFile } from "../compiler/build-ast.js";
import type { Diagnostic } from "../compiler/diagnostics.js";
import type { Program } from "../compiler/program.js";
import type { SourceFile } from "../compiler/source.js";
import { sameType, typeToString, type FlowType } from "../compiler/types.js";
import { declarationAt, streamAt } from "./analysis.js";
import { spanOfRange, spansOverlap, toRange } from "./convert.js";

const inside = (span: A.Node["span"], offset: number) => span.start <= offset && offset <= span.end;

export function codeActions(uri: string, program: Program, parsed: ParsedFile, range: Range, toLsp: (d: Diagnostic) => LspDiagnostic): CodeAction[] {
  const source = parsed.source;
  const wanted = spanOfRange(source, range);
  const actions: CodeAction[] = [];
  for (const d of program.diagnostics) {
    if (d.file !== source.path || !spansOverlap(d.span, wanted)) continue;
    const found = source.slice(d.span);
    const suggestion = d.data?.suggestion;
    if (suggestion !== undefined && found !== suggestion) {
      actions.push({
        title: `Change '${found}' to '${suggestion}'`,
        kind: CodeActionKind.QuickFix,
        isPreferred: true,
        diagnostics: [toLsp(d)],
        edit: { changes: { [uri]: [{ range: toRange(source, d.span), newText: suggestion }] } },
      });
    }
    const declare = d.key === "unknownTopic" ? declareTopic(program, parsed, d, found) : d.key === "unknownHandler" ? declareHandler(program, parsed, d, found) : undefined;
    if (declare !== undefined) {
      actions.push({
        title: declare.title,
        kind: CodeActionKind.QuickFix,
        diagnostics: [toLsp(d)],
        edit: { changes: { [uri]: [{ range: toRange(source, { start: declare.at, end: declare.at }), newText: declare.text }] } },
      });
    }
  }
  return actions;
}

interface Declaration {
  readonly title: string;
  readonly at: number;
  readonly text: string;
}

/** The message type at a point of a pipeline, when every lane there carries the same known type. */
function typeAt(program: Program, pipeline: A.PipelineDecl, offset: number, lane?: string): FlowType | undefined {
  const point = streamAt(program, pipeline, offset);
  const lanes = lane !== undefined ? point.stream.lanes.filter((l) => l.name === lane) : point.stream.lanes;
  const first = lanes[0]?.type;
  if (first === undefined || first.kind === "error" || lanes.some((l) => l.terminated || !sameType(l.type, first))) return undefined;
  return first;
}

/** Where a new declaration of a kind goes: after the last one of that kind in the file, else at the end. */
function insertionPoint(parsed: ParsedFile, kind: A.Declaration["kind"]): { at: number; before: string; after: string } {
  const text = parsed.source.text;
  const last = [...parsed.document.declarations].reverse().find((d) => d.kind === kind);
  if (last !== undefined) {
    const lineEnd = parsed.source.lineEnd(parsed.source.positionAt(last.span.end).line);
    return { at: lineEnd, before: "\n", after: "" };
  }
  return { at: text.length, before: text.endsWith("\n") || text === "" ? "\n" : "\n\n", after: "\n" };
}

function declareTopic(program: Program, parsed: ParsedFile, d: Diagnostic, name: string): Declaration | undefined {
  const pipeline = declarationAt(parsed.document, d.span.start);
  if (pipeline?.kind !== "Pipeline") return undefined;
  let type: FlowType | undefined;
  const sink = pipeline.sink;
  if (sink?.kind === "TopicSink" && inside(sink.topic.span, d.span.start)) type = typeAt(program, pipeline, sink.span.start);
  else if (sink?.kind === "LaneSink") {
    const route = sink.routes.find((r) => inside(r.topic.span, d.span.start));
    if (route !== undefined) type = typeAt(program, pipeline, sink.span.start, route.lane.text);
  } else {
    // filter(..., dropped: x) and deadLetter(x) take the messages entering their stage.
    const stage = pipeline.stages.find((s) => inside(s.span, d.span.start));
    if (stage !== undefined) type = typeAt(program, pipeline, stage.span.start);
  }
  // A source's type is not known from here: the user writes the declaration.
  if (type === undefined) return undefined;
  const where = insertionPoint(parsed, "Topic");
  return { title: `Declare topic '${name}'`, at: where.at, text: `${where.before}topic ${name}: ${typeToString(type)}${where.after}` };
}

function declareHandler(program: Program, parsed: ParsedFile, d: Diagnostic, name: string): Declaration | undefined {
  const pipeline = declarationAt(parsed.document, d.span.start);
  if (pipeline?.kind !== "Pipeline") return undefined;
  const stage = pipeline.stages.find((s) => inside(s.span, d.span.start));
  if (stage === undefined) return undefined;
  const input = typeAt(program, pipeline, stage.span.start);
  if (input === undefined) return undefined;
  const flat = stage.call.name.text === "flatMap";
  const inputText = typeToString(input);
  // The module of the handlers declared in this file, if they share one.
  const modules = new Set([...program.symbols.handlers.values()].filter((h) => h.file === parsed.source.path).map((h) => h.module));
  const module = modules.size === 1 ? [...modules][0] : "./handlers.ts";
  const where = insertionPoint(parsed, "Handler");
  return {
    title: `Declare handler '${name}'`,
    at: where.at,
    text: `${where.before}handler ${name}(${inputText}) -> ${flat ? `[${inputText}]` : inputText} from "${module}"${where.after}`,
  };
}
