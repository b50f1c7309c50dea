/**
 * The canonical layout of a .flow file, as prettier docs.
 *
 * Style:
 * - 2-space indent, print width 100 (the plugin's defaults; prettier options win).
 *   The file ends with one newline; an empty file stays empty; line ends are LF.
 * - Declarations start their own lines. Schemas and pipelines are always set off
 *   by one blank line; between other declarations the user's blank line is kept
 *   (at most one), so runs of topics or handlers stay together.
 * - Inside any list printed one item per line (fields, split cases, stages,
 *   broken argument lists), at most one blank line the user put between two
 *   items is kept; blank lines after `{` and before `}` go.
 * - `schema Photo {` with one field per line, no commas. A nested record stays
 *   on one line, `{ lat: float, lon: float }`, when it fits and the user wrote it
 *   on one line (no line break after its `{`); otherwise one field per line.
 * - `enum Channel { email, sms }` on one line when it fits; else one member per
 *   line without commas. Lane sinks `-> { a: x, b: y }` likewise.
 * - `topic photos: Photo (partitions: 10, key: .id)`; argument lists
 *   `(a, b)` break one argument per line, with commas, when too long.
 * - `handler render(Photo) -> Rendition from "./handlers/photos.ts"`.
 * - Pipelines: the body sits on its own lines inside the braces. Its sources
 *   come first, then one `| stage` per line indented by 2, then `-> sink`.
 *   A pipeline with at most one stage stays on one line (`a | map(f) -> b`) when
 *   it fits and the user wrote it so (no line break between the source and the
 *   first `|` or `->`); two or more stages are always one per line.
 * - A stage's policies follow its call on the same line, `map(f) retry(3)`, or
 *   one per line under it when the stage is too long. Block arguments
 *   (`split { ... }`) always put one case per line, without commas, indented
 *   under the stage name.
 * - Expressions: single spaces around binary operators and `in`; none inside
 *   `..` ranges, `has(...)`, `(...)` or after `-`. Parentheses are printed only
 *   where the user wrote them (the tree keeps them). Expressions never break,
 *   except list literals, which break like argument lists.
 * - Strings are printed exactly as written (escapes included); numbers and
 *   durations too (`1.50` stays `1.50`).
 * - Comments are all kept, as described in comments.ts. Trailing spaces in
 *   comments are dropped; block comments whose lines all start with `*` are
 *   re-indented to the comment's column.
 */
import type { AstPath, Doc, ParserOptions } from "prettier";
import { builders } from "prettier/doc";
import type * as A from "../ast.js";
import { blankLineBetween, CONTEXT, newlineAfter, parentOf, startsLine, type Commented, type FlowComment, type FlowRoot, type FormatContext } from "./comments.js";

const { align, breakParent, group, hardline, ifBreak, indent, join, line, lineSuffix, literalline, softline } = builders;

type Node = A.Node | FlowRoot;
type Print = (selector?: string | number | Array<string | number> | AstPath) => Doc;

/** Extra indentation of a stage's own lines under its `| `. */
const STAGE_ALIGN = 2;

export function contextOf(path: AstPath): FormatContext {
  return (path.root as FlowRoot)[CONTEXT];
}

/** prettier's `print` for the flowc printer. */
export function print(path: AstPath<Node>, options: ParserOptions, print: Print): Doc {
  const node = path.node;
  const context = contextOf(path);
  const doc = printNode(path, options, print, context);
  // Stages and sinks get their comments around their `|` and `->`, from the pipeline.
  if (node.kind === "Document" || node.kind === "Stage" || node.kind === "TopicSink" || node.kind === "LaneSink") return doc;
  const leading = leadingComments(node, context);
  return [leading.lines, leading.inline, doc, trailingComments(node)];
}

function printNode(path: AstPath<Node>, options: ParserOptions, print: Print, context: FormatContext): Doc {
  const node = path.node;
  switch (node.kind) {
    case "Document":
      return printDocument(path as AstPath<FlowRoot>, print, context);
    case "Import":
      return ["import ", print("path")];
    case "Schema":
      return ["schema ", print("name"), " ", print("body")];
    case "Enum":
      return printEnum(path as AstPath<A.EnumDecl>, print, context);
    case "Topic":
      return printTopic(path as AstPath<A.TopicDecl>, print, context);
    case "Handler":
      return ["handler ", print("name"), "(", print("input"), ")", node.output ? [" -> ", print("output")] : "", " from ", print("module")];
    case "Pipeline":
      return printPipeline(path as AstPath<A.PipelineDecl>, print, context);
    case "Stage":
      return group([print("call"), indent(path.map((policy) => [line, print(policy)], "policies"))]);
    case "Call":
      return printCall(path as AstPath<A.Call>, print, context);
    case "Argument":
      return node.name ? [print("name"), ": ", print("value")] : print("value");
    case "TopicSink":
      return print("topic");
    case "LaneSink":
      return printBracketed(path, print, context, "routes", { open: "{", close: "}", separator: [ifBreak("", ","), line], padded: true });
    case "LaneRoute":
      return [print("lane"), ": ", print("topic")];
    case "NamedType":
      return print("name");
    case "ArrayType":
      return ["[", print("element"), "]"];
    case "RecordType":
      return printRecord(path as AstPath<A.RecordTypeNode>, print, context, parentOf(node)?.kind === "Schema");
    case "Field":
      return [print("name"), node.optional ? "?" : "", ": ", print("type")];
    case "Identifier":
      return node.text;
    case "StringLiteral":
    case "String":
      // As written: the tree holds the unescaped value, the user chose the escapes.
      return options.originalText.slice(node.span.start, node.span.end);
    case "Number":
    case "Duration":
      return node.text;
    case "Bool":
      return node.value ? "true" : "false";
    case "Path":
      return path.map((segment) => [".", print(segment)], "segments");
    case "Name":
      return print("name");
    case "List":
      return printBracketed(path, print, context, "items", { open: "[", close: "]", separator: [",", line], padded: false });
    case "Range":
      return [print("from"), "..", print("to")];
    case "Binary":
      return [print("left"), " ", node.operator, " ", print("right")];
    case "Not":
      return ["not ", print("operand")];
    case "In":
      return [print("value"), node.negated ? " not in " : " in ", print("list")];
    case "Has":
      return ["has(", print("path"), ")"];
    case "Paren":
      return ["(", print("inner"), ")"];
    case "Missing":
      // Only in trees with syntax errors, which the parser refuses to format.
      throw new Error("cannot print a tree with a missing expression");
  }
}

// --- declarations -------------------------------------------------------------------

/** Schemas and pipelines span several lines: a blank line always sets them off. */
const isBlockDeclaration = (d: A.Declaration) => d.kind === "Schema" || d.kind === "Pipeline";

function printDocument(path: AstPath<FlowRoot>, print: Print, context: FormatContext): Doc {
  const root = path.node;
  const parts: Doc[] = [];
  let previous: A.Declaration | undefined;
  path.each((child) => {
    const declaration = child.node as A.Declaration;
    if (previous !== undefined) {
      parts.push(hardline);
      if (isBlockDeclaration(previous) || isBlockDeclaration(declaration) || blankBefore(context, previous, declaration)) parts.push(hardline);
    }
    parts.push(print(child));
    previous = declaration;
  }, "declarations");
  parts.push(danglingComments(root, context, previous));
  return parts.length > 0 ? [parts, hardline] : "";
}

function printEnum(path: AstPath<A.EnumDecl>, print: Print, context: FormatContext): Doc {
  return ["enum ", print("name"), " ", printBracketed(path, print, context, "members", { open: "{", close: "}", separator: [ifBreak("", ","), line], padded: true })];
}

function printTopic(path: AstPath<A.TopicDecl>, print: Print, context: FormatContext): Doc {
  const node = path.node;
  const options = node.options.length > 0 || hasDangling(node) || commentsOf(node).some((c) => c.afterOpen) ? [" ", printArguments(path, print, context, "options")] : "";
  return ["topic ", print("name"), ": ", print("type"), options];
}

function printPipeline(path: AstPath<A.PipelineDecl>, print: Print, context: FormatContext): Doc {
  const node = path.node;
  const sources = group(join([",", line], path.map(print, "sources")));
  const rest: Doc[] = [];
  let previous: A.Node = node.sources[node.sources.length - 1];
  const last: A.Node = node.sink ?? node.stages[node.stages.length - 1] ?? previous;
  // The last line's trailing comments go after the group, so a comment at the
  // end of a one-line pipeline does not break it.
  let trailingLast: Doc = "";
  const bodyLine = (child: AstPath, prefix: string) => {
    const element = child.node as Commented;
    const leading = leadingComments(element, context);
    const trailing = trailingComments(element);
    rest.push(line, blankBefore(context, previous, element) ? softline : "", leading.lines, prefix, align(STAGE_ALIGN, [leading.inline, print(child)]));
    if (element === last) trailingLast = trailing;
    else rest.push(trailing);
    previous = element;
  };
  path.each((stage) => bodyLine(stage, "| "), "stages");
  if (node.sink) path.call((sink) => bodyLine(sink, "-> "), "sink");

  // Like records: a body the user broke between its sources and the first `|` or `->` stays broken.
  const sourcesEnd = node.sources[node.sources.length - 1].span.end;
  const next = node.stages[0] ?? node.sink;
  const userBroke = next !== undefined && context.text.slice(sourcesEnd, next.span.start).includes("\n");
  const body = group([sources, indent(rest)], { shouldBreak: node.stages.length >= 2 || userBroke });
  return ["pipeline ", print("name"), " {", openComments(node), indent([hardline, body, trailingLast, danglingComments(node, context, last)]), hardline, "}"];
}

// --- stages and arguments --------------------------------------------------------------

function printCall(path: AstPath<A.Call>, print: Print, context: FormatContext): Doc {
  const node = path.node;
  if (node.args === undefined) return print("name");
  if (!node.block) return [print("name"), printArguments(path, print, context, "args")];
  const open = openComments(node);
  const inside = node.args.length > 0 || hasDangling(node);
  if (!inside && open.length === 0) return [print("name"), " {}"];
  // Block arguments (split cases): always one per line.
  return [print("name"), " {", open, inside ? indent([hardline, items(path, print, context, "args", hardline, hardline)]) : "", hardline, "}"];
}

function printArguments(path: AstPath, print: Print, context: FormatContext, key: string): Doc {
  return printBracketed(path, print, context, key, { open: "(", close: ")", separator: [",", line], padded: false });
}

interface Brackets {
  readonly open: string;
  readonly close: string;
  /** Between items: a comma and a line, or (in braces) a line only when broken. */
  readonly separator: Doc;
  /** `{ a, b }` has spaces inside its braces when flat; `(a, b)` and `[a, b]` don't. */
  readonly padded: boolean;
}

/** A list in brackets: on one line when it fits, else one item per line. */
function printBracketed(path: AstPath, print: Print, context: FormatContext, key: string, brackets: Brackets, userBroke = false): Doc {
  const node = path.node as Commented;
  const list = (node as unknown as Record<string, readonly A.Node[]>)[key];
  const dangling = hasDangling(node);
  const open = openComments(node);
  if (list.length === 0 && !dangling && open.length === 0) return brackets.open + brackets.close;
  const edge = brackets.padded ? line : softline;
  const inside = list.length > 0 || dangling ? indent([edge, items(path, print, context, key, brackets.separator, softline)]) : "";
  return group([brackets.open, open, inside, edge, brackets.close], { shouldBreak: dangling || open.length > 0 || userBroke });
}

function printRecord(path: AstPath<A.RecordTypeNode>, print: Print, context: FormatContext, schemaBody: boolean): Doc {
  const node = path.node;
  const first = node.fields[0];
  // Like prettier's objects: a record the user broke after `{` stays broken.
  const userBroke = first !== undefined && context.text.slice(node.span.start + 1, first.span.start).includes("\n");
  return printBracketed(path, print, context, "fields", { open: "{", close: "}", separator: [ifBreak("", ","), line], padded: true }, schemaBody || userBroke);
}

/**
 * The items of a list with their separators, keeping one blank line the user
 * put between two items, then the comments after the last item.
 */
function items(path: AstPath, print: Print, context: FormatContext, key: string, separator: Doc, blank: Doc): Doc {
  const parts: Doc[] = [];
  let previous: A.Node | undefined;
  path.each((child) => {
    const item = child.node as A.Node;
    if (previous !== undefined) parts.push(separator, blankBefore(context, previous, item) ? blank : "");
    parts.push(print(child));
    previous = item;
  }, key);
  parts.push(danglingComments(path.node as Commented, context, previous));
  return parts;
}

// --- comments ---------------------------------------------------------------------------

function commentsOf(node: Node): FlowComment[] {
  return (node as { comments?: FlowComment[] }).comments ?? [];
}

/** Comments after a container's last item (not those after its opening bracket). */
function hasDangling(node: Node): boolean {
  return commentsOf(node).some((c) => !c.leading && !c.trailing && !c.afterOpen);
}

/** The line comment that ends the line of a container's opening bracket: `{ // why`. */
function openComments(node: Node): Doc[] {
  return commentsOf(node)
    .filter((c) => c.afterOpen)
    .flatMap((c) => [lineSuffix([" ", printComment(c)]), breakParent]);
}

/** Where a node's printed text starts: at its first leading comment, if any. */
function firstStart(node: Node): number {
  let start = node.span.start;
  for (const comment of commentsOf(node)) if (comment.leading) start = Math.min(start, comment.span.start);
  return start;
}

function blankBefore(context: FormatContext, previous: Node, next: Node): boolean {
  return blankLineBetween(context, previous.span.end, firstStart(next));
}

/** The text of a comment, as printed. */
export function printComment(comment: FlowComment): Doc {
  comment.printed = true;
  if (!comment.block) return comment.text.trimEnd();
  const lines = comment.text.split(/\r\n|\r|\n/);
  if (lines.length === 1) return comment.text;
  if (lines.slice(1).every((l) => l.trimStart().startsWith("*"))) {
    // A doc-style comment: its stars line up under the first line's.
    return join(hardline, lines.map((l, i) => (i === 0 ? l.trimEnd() : " " + l.trim())));
  }
  return join(literalline, lines.map((l) => l.trimEnd()));
}

/**
 * A node's leading comments: `lines` stand on lines of their own before the
 * node (the node starts a line), `inline` are block comments before it on its line.
 */
function leadingComments(node: Node, context: FormatContext): { lines: Doc[]; inline: Doc[] } {
  const lines: Doc[] = [];
  const inline: Doc[] = [];
  const ownLine = startsLine(node as A.Node);
  for (const comment of commentsOf(node)) {
    if (!comment.leading) continue;
    if (!comment.block || (ownLine && newlineAfter(context.text, comment.span.end))) {
      // Keep a blank line between the comment and what follows it.
      const blank = comment.span.end <= node.span.start && blankLineBetween(context, comment.span.end, nextStart(node, comment));
      lines.push(printComment(comment), hardline, blank ? hardline : "");
    } else {
      inline.push(printComment(comment), " ");
    }
  }
  return { lines, inline };
}

/** Where the next thing after a leading comment starts: another leading comment or the node. */
function nextStart(node: Node, comment: FlowComment): number {
  let next = node.span.start;
  for (const other of commentsOf(node)) {
    if (other.leading && other.span.start >= comment.span.end && other.span.start < next) next = other.span.start;
  }
  return next;
}

/** A node's trailing comments, at the end of its line; line comments force the line to end there. */
function trailingComments(node: Node): Doc {
  const parts: Doc[] = [];
  let afterLineComment = false;
  for (const comment of commentsOf(node)) {
    if (!comment.trailing) continue;
    if (afterLineComment) parts.push(lineSuffix([hardline, printComment(comment)]), breakParent);
    else if (!comment.block) parts.push(lineSuffix([" ", printComment(comment)]), breakParent);
    else parts.push(" ", printComment(comment));
    if (!comment.block) afterLineComment = true;
  }
  return parts;
}

/** Comments inside a container after its last item (or in an empty one), each on its own line. */
function danglingComments(node: Node, context: FormatContext, lastItem: A.Node | undefined): Doc {
  const parts: Doc[] = [];
  let previousEnd = lastItem?.span.end;
  for (const comment of commentsOf(node)) {
    if (comment.leading || comment.trailing || comment.afterOpen) continue;
    if (previousEnd !== undefined) parts.push(hardline, blankLineBetween(context, previousEnd, comment.span.start) ? hardline : "");
    parts.push(printComment(comment));
    previousEnd = comment.span.end;
  }
  return parts;
}
