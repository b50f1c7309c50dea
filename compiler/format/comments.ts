/**
 * Where comments go. Prettier finds, for every comment, the node that encloses
 * it and the nodes just before and after it; the handlers below decide what the
 * comment belongs to, and the printer prints every comment itself.
 *
 * The rules keep the output stable (formatting twice changes nothing) and keep
 * every comment:
 *
 * - A line comment must be followed by a line break, so it only ever belongs to
 *   a node that starts a line in the printed output (a declaration, field, enum
 *   member, argument, list item, lane route, source, stage, sink or policy):
 *   before it when the comment stood on its own line, at the end of its line
 *   when the comment ended a line of code (`prefs: { // why` stays after its
 *   bracket), or inside the braces or parentheses after the last item. A line comment in the middle of something printed on
 *   one line (a type, an expression) moves before that line (own-line comments)
 *   or to its end (end-of-line comments).
 * - A block comment stays where it was, next to the token it touched.
 */
import type * as A from "../ast.js";

export interface FlowComment {
  readonly kind: "Comment";
  readonly span: A.Comment["span"];
  readonly text: string;
  readonly block: boolean;
  /** prettier reads `value` when it reports a comment it could not place. */
  readonly value: string;
  leading?: boolean;
  trailing?: boolean;
  /** A dangling comment that ends the line of its container's opening bracket: `prefs: { // why`. */
  afterOpen?: boolean;
  printed?: boolean;
  // Set by prettier while it attaches comments.
  enclosingNode?: A.Node;
  precedingNode?: A.Node;
  followingNode?: A.Node;
}

/** A node after prettier has attached comments to it. */
export type Commented = A.Node & { comments?: FlowComment[] };

/** What the printer needs besides the tree: the text and every comment, in order. */
export interface FormatContext {
  readonly text: string;
  readonly comments: readonly FlowComment[];
}

export const CONTEXT = Symbol("flowc.format.context");

export type FlowRoot = Omit<A.Document, "comments"> & {
  comments?: FlowComment[];
  readonly [CONTEXT]: FormatContext;
};

const parents = new WeakMap<A.Node | FlowRoot, A.Node | FlowRoot>();

export function parentOf(node: A.Node | FlowRoot): A.Node | FlowRoot | undefined {
  return parents.get(node);
}

/** Prepares a parsed document for prettier: parent links, and comments prettier may annotate. */
export function prepareRoot(document: A.Document, text: string): FlowRoot {
  const comments: FlowComment[] = document.comments.map((c) => ({ kind: "Comment", span: c.span, text: c.text, block: c.block, value: c.text }));
  const root: FlowRoot = { kind: "Document", span: document.span, file: document.file, declarations: document.declarations, comments, [CONTEXT]: { text, comments: [...comments] } };
  const visit = (node: A.Node, parent: A.Node | FlowRoot) => {
    parents.set(node, parent);
    for (const key of visitorKeys(node)) {
      const value = (node as unknown as Record<string, unknown>)[key];
      if (Array.isArray(value)) for (const child of value) visit(child as A.Node, node);
      else if (value !== undefined) visit(value as A.Node, node);
    }
  };
  for (const declaration of document.declarations) visit(declaration, root);
  return root;
}

/** The child properties of each node kind, in source order. */
const KEYS: Record<string, readonly string[]> = {
  Document: ["declarations"],
  Import: ["path"],
  Schema: ["name", "body"],
  Enum: ["name", "members"],
  Topic: ["name", "type", "options"],
  Handler: ["name", "input", "output", "module"],
  Pipeline: ["name", "sources", "stages", "sink"],
  Stage: ["call", "policies"],
  Call: ["name", "args"],
  Argument: ["name", "value"],
  TopicSink: ["topic"],
  LaneSink: ["routes"],
  LaneRoute: ["lane", "topic"],
  NamedType: ["name"],
  ArrayType: ["element"],
  RecordType: ["fields"],
  Field: ["name", "type"],
  Path: ["segments"],
  Name: ["name"],
  List: ["items"],
  Range: ["from", "to"],
  Binary: ["left", "right"],
  Not: ["operand"],
  In: ["value", "list"],
  Has: ["path"],
  Paren: ["inner"],
};

export function visitorKeys(node: { kind?: string }): readonly string[] {
  return (node.kind !== undefined && KEYS[node.kind]) || [];
}

export function canAttachComment(node: { kind?: string }): boolean {
  return typeof node.kind === "string" && node.kind !== "Comment";
}

type AnyNode = A.Node | FlowRoot;

/** True when the node is printed at the start of a line whenever its list is broken. */
export function startsLine(node: AnyNode): boolean {
  const parent = parentOf(node);
  if (parent === undefined) return false;
  switch (parent.kind) {
    case "Document":
    case "RecordType":
    case "Topic":
    case "List":
    case "LaneSink":
      return node !== (parent as { name?: unknown }).name && node !== (parent as { type?: unknown }).type;
    case "Enum":
    case "Pipeline":
    case "Call":
      return node !== parent.name;
    case "Stage":
      return node !== parent.call;
    default:
      return false;
  }
}

/** True when a line break follows the node whenever its list is broken. */
export function endsLine(node: AnyNode): boolean {
  const parent = parentOf(node);
  return startsLine(node) || (parent?.kind === "Stage" && node === parent.call);
}

/** Nodes that hold a list in brackets: comments after the last item stay inside. */
function isContainer(node: AnyNode): boolean {
  switch (node.kind) {
    case "Document":
    case "RecordType":
    case "Enum":
    case "Topic":
    case "List":
    case "LaneSink":
    case "Pipeline":
      return true;
    case "Call":
      return node.args !== undefined;
    default:
      return false;
  }
}

function nearest(node: AnyNode, test: (n: AnyNode) => boolean): AnyNode {
  let current: AnyNode | undefined = node;
  while (current !== undefined && current.kind !== "Document") {
    if (test(current)) return current;
    current = parentOf(current);
  }
  return node;
}

function add(node: AnyNode, comment: FlowComment, placement: "leading" | "trailing" | "dangling"): void {
  // A line comment can't be dangling in a node that is not a container: it
  // would be printed nowhere. `nearest` never returns such a node for one.
  comment.leading = placement === "leading";
  comment.trailing = placement === "trailing";
  comment.printed = false;
  const holder = node as { comments?: FlowComment[] };
  (holder.comments ??= []).push(comment);
}

type Placement = "ownLine" | "endOfLine" | "remaining";

function place(comment: FlowComment, text: string, root: FlowRoot, placement: Placement): void {
  const enclosing: AnyNode = comment.enclosingNode ?? root;
  const preceding = comment.precedingNode;
  const following = comment.followingNode;

  if (comment.block) {
    if (placement === "ownLine" && following !== undefined && startsLine(following)) return add(following, comment, "leading");
    if (placement === "ownLine" && following === undefined && isContainer(enclosing)) return add(enclosing, comment, "dangling");
    if (placement === "endOfLine" && preceding !== undefined) return add(preceding, comment, "trailing");
    if (preceding !== undefined && following !== undefined) {
      // Touching the next node (only spaces, comments or an opening parenthesis between): it leads it.
      const gap = text.slice(comment.span.end, following.span.start).replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, "");
      return /^[\s(]*$/.test(gap) ? add(following, comment, "leading") : add(preceding, comment, "trailing");
    }
    if (following !== undefined) return add(following, comment, "leading");
    if (preceding !== undefined) return add(preceding, comment, "trailing");
    if (isContainer(enclosing)) return add(enclosing, comment, "dangling");
    // Inside a leaf, e.g. between the '-' and the digits of a number.
    return add(enclosing, comment, "leading");
  }

  if (placement === "ownLine") return placeOwnLine(comment, enclosing, following);
  // End of a line of code (or the end of the file).
  if (followsOpeningBracket(text, comment, enclosing, preceding)) {
    comment.afterOpen = true;
    return add(enclosing, comment, "dangling");
  }
  if (preceding !== undefined && endsLine(preceding)) return addTrailingLine(preceding, comment);
  if (following !== undefined && startsLine(following)) return add(following, comment, "leading");
  if (following === undefined && isContainer(enclosing)) return add(enclosing, comment, "dangling");
  const target = nearest(enclosing, endsLine);
  if (target.kind === "Document") return add(target, comment, "dangling");
  return addTrailingLine(target, comment);
}

/** The bracket that opens each container's list. */
function openingBracket(node: AnyNode): string | undefined {
  switch (node.kind) {
    case "RecordType":
    case "Enum":
    case "LaneSink":
    case "Pipeline":
      return "{";
    case "Topic":
      return "(";
    case "List":
      return "[";
    case "Call":
      return node.args === undefined ? undefined : node.block ? "{" : "(";
    default:
      return undefined;
  }
}

/** True when only spaces stand between the container's opening bracket and the comment. */
function followsOpeningBracket(text: string, comment: FlowComment, enclosing: AnyNode, preceding: AnyNode | undefined): boolean {
  const bracket = openingBracket(enclosing);
  if (bracket === undefined) return false;
  let i = comment.span.start - 1;
  while (i >= 0 && isBlank(text[i])) i--;
  return text[i] === bracket && (preceding === undefined || preceding.span.end <= i);
}

/** A line comment on a line of its own, before `following` (if any) inside `enclosing`. */
function placeOwnLine(comment: FlowComment, enclosing: AnyNode, following: AnyNode | undefined): void {
  if (following !== undefined && startsLine(following)) return add(following, comment, "leading");
  if (following === undefined && isContainer(enclosing)) return add(enclosing, comment, "dangling");
  return add(nearest(enclosing, startsLine), comment, "leading");
}

/**
 * A line comment at the end of `target`'s line. If that line already ends with
 * one, this comment is printed on the next line, where reading the output again
 * would find an own-line comment: so it goes where an own-line comment there goes.
 */
function addTrailingLine(target: AnyNode, comment: FlowComment): void {
  const taken = (target as { comments?: FlowComment[] }).comments?.some((c) => c.trailing && !c.block);
  if (!taken) return add(target, comment, "trailing");
  let node = target;
  for (let parent = parentOf(node); parent !== undefined; node = parent, parent = parentOf(node)) {
    const next = nextChild(parent, node);
    if (next !== undefined || isContainer(parent)) return placeOwnLine(comment, parent, next);
  }
  return add(target, comment, "trailing");
}

function nextChild(parent: AnyNode, child: AnyNode): AnyNode | undefined {
  const children = visitorKeys(parent).flatMap((key) => {
    const value = (parent as unknown as Record<string, AnyNode | AnyNode[] | undefined>)[key];
    return value === undefined ? [] : Array.isArray(value) ? value : [value];
  });
  return children[children.indexOf(child) + 1];
}

/** prettier's `handleComments`: every comment is placed here, none by prettier's defaults. */
export const handleComments = {
  ownLine: (comment: FlowComment, text: string, _options: unknown, ast: FlowRoot) => (place(comment, text, ast, "ownLine"), true),
  endOfLine: (comment: FlowComment, text: string, _options: unknown, ast: FlowRoot) => (place(comment, text, ast, "endOfLine"), true),
  remaining: (comment: FlowComment, text: string, _options: unknown, ast: FlowRoot) => (place(comment, text, ast, "remaining"), true),
};

// --- text helpers ---------------------------------------------------------------

const isBlank = (c: string) => c === " " || c === "\t" || c === "\f" || c === "\uFEFF" || c === "\r";

/** True when only spaces stand between `offset` and the end of its line. */
export function newlineAfter(text: string, offset: number): boolean {
  let i = offset;
  while (i < text.length && isBlank(text[i])) i++;
  return i >= text.length || text[i] === "\n";
}

/**
 * True when an empty line lies between two offsets. Comments in between count
 * as text, so an empty line inside a block comment is not a blank line.
 */
export function blankLineBetween(context: FormatContext, from: number, to: number): boolean {
  if (to <= from) return false;
  const { text, comments } = context;
  // The first comment that ends after `from` (comments are sorted and disjoint).
  let low = 0;
  let high = comments.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (comments[mid].span.end <= from) low = mid + 1;
    else high = mid;
  }
  let index = low;
  let lineIsEmpty = false;
  let sawNewline = false;
  for (let i = from; i < to; i++) {
    const comment = comments[index];
    if (comment !== undefined && comment.span.start === i) {
      i = comment.span.end - 1;
      index++;
      lineIsEmpty = false;
      continue;
    }
    const c = text[i];
    if (c === "\n") {
      if (sawNewline && lineIsEmpty) return true;
      sawNewline = true;
      lineIsEmpty = true;
    } else if (!isBlank(c)) {
      lineIsEmpty = false;
    }
  }
  return false;
}
