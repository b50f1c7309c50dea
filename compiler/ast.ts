/**
 * The abstract syntax tree. Every node has a `kind` and a `span` (offsets into
 * its file). Trees built from broken input are partial: a name that was missing
 * has `missing: true` and empty text, and the checker skips it quietly (the
 * parser has already reported it).
 */
import type { Span } from "./source.js";

export interface Identifier {
  readonly kind: "Identifier";
  readonly span: Span;
  readonly text: string;
  readonly missing?: true;
}

export interface StringLiteral {
  readonly kind: "StringLiteral";
  readonly span: Span;
  readonly value: string;
}

// --- types -------------------------------------------------------------------
export type TypeNode = NamedTypeNode | ArrayTypeNode | RecordTypeNode;

export interface NamedTypeNode {
  readonly kind: "NamedType";
  readonly span: Span;
  readonly name: Identifier;
}

export interface ArrayTypeNode {
  readonly kind: "ArrayType";
  readonly span: Span;
  readonly element: TypeNode;
}

export interface RecordTypeNode {
  readonly kind: "RecordType";
  readonly span: Span;
  readonly fields: readonly FieldNode[];
}

export interface FieldNode {
  readonly kind: "Field";
  readonly span: Span;
  readonly name: Identifier;
  readonly optional: boolean;
  readonly type: TypeNode;
}

// --- declarations ------------------------------------------------------------
export type Declaration = ImportDecl | SchemaDecl | EnumDecl | TopicDecl | HandlerDecl | PipelineDecl;

export interface ImportDecl {
  readonly kind: "Import";
  readonly span: Span;
  readonly path: StringLiteral;
}

export interface SchemaDecl {
  readonly kind: "Schema";
  readonly span: Span;
  readonly name: Identifier;
  readonly body: RecordTypeNode;
}

export interface EnumDecl {
  readonly kind: "Enum";
  readonly span: Span;
  readonly name: Identifier;
  readonly members: readonly Identifier[];
}

export interface TopicDecl {
  readonly kind: "Topic";
  readonly span: Span;
  readonly name: Identifier;
  readonly type: TypeNode;
  readonly options: readonly Argument[];
}

export interface HandlerDecl {
  readonly kind: "Handler";
  readonly span: Span;
  readonly name: Identifier;
  readonly input: TypeNode;
  readonly output: TypeNode | undefined;
  readonly module: StringLiteral;
}

export interface PipelineDecl {
  readonly kind: "Pipeline";
  readonly span: Span;
  readonly name: Identifier;
  readonly sources: readonly Identifier[];
  readonly stages: readonly Stage[];
  readonly sink: Sink | undefined;
}

/** A stage call and the policies written after it: map(render) retry(5) timeout(10s). */
export interface Stage {
  readonly kind: "Stage";
  readonly span: Span;
  readonly call: Call;
  readonly policies: readonly Call[];
}

export interface Call {
  readonly kind: "Call";
  readonly span: Span;
  readonly name: Identifier;
  /** undefined for a bare name (`merge`); `block` for the `{ ... }` form used by split. */
  readonly args: readonly Argument[] | undefined;
  readonly block: boolean;
}

export interface Argument {
  readonly kind: "Argument";
  readonly span: Span;
  readonly name: Identifier | undefined;
  readonly value: Expression;
}

export type Sink = TopicSink | LaneSink;

export interface TopicSink {
  readonly kind: "TopicSink";
  readonly span: Span;
  readonly topic: Identifier;
}

export interface LaneSink {
  readonly kind: "LaneSink";
  readonly span: Span;
  readonly routes: readonly LaneRoute[];
}

export interface LaneRoute {
  readonly kind: "LaneRoute";
  readonly span: Span;
  readonly lane: Identifier;
  readonly topic: Identifier;
}

// --- expressions ---------------------------------------------------------------
export type Expression =
  | PathExpr
  | NameExpr
  | StringExpr
  | NumberExpr
  | DurationExpr
  | BoolExpr
  | ListExpr
  | RangeExpr
  | BinaryExpr
  | NotExpr
  | InExpr
  | HasExpr
  | ParenExpr
  | MissingExpr;

export interface PathExpr {
  readonly kind: "Path";
  readonly span: Span;
  readonly segments: readonly Identifier[];
}

/** A bare name: an enum member, a lane, a handler or a topic, by context. */
export interface NameExpr {
  readonly kind: "Name";
  readonly span: Span;
  readonly name: Identifier;
}

export interface StringExpr {
  readonly kind: "String";
  readonly span: Span;
  readonly value: string;
}

export interface NumberExpr {
  readonly kind: "Number";
  readonly span: Span;
  readonly value: number;
  readonly text: string;
}

export interface DurationExpr {
  readonly kind: "Duration";
  readonly span: Span;
  readonly milliseconds: number;
  readonly text: string;
}

export interface BoolExpr {
  readonly kind: "Bool";
  readonly span: Span;
  readonly value: boolean;
}

export interface ListExpr {
  readonly kind: "List";
  readonly span: Span;
  readonly items: readonly Expression[];
}

export interface RangeExpr {
  readonly kind: "Range";
  readonly span: Span;
  readonly from: Expression;
  readonly to: Expression;
}

export type ComparisonOperator = "==" | "!=" | "<" | "<=" | ">" | ">=";
export type LogicalOperator = "and" | "or";

export interface BinaryExpr {
  readonly kind: "Binary";
  readonly span: Span;
  readonly operator: ComparisonOperator | LogicalOperator;
  readonly left: Expression;
  readonly right: Expression;
}

export interface NotExpr {
  readonly kind: "Not";
  readonly span: Span;
  readonly operand: Expression;
}

export interface InExpr {
  readonly kind: "In";
  readonly span: Span;
  readonly negated: boolean;
  readonly value: Expression;
  readonly list: ListExpr;
}

export interface HasExpr {
  readonly kind: "Has";
  readonly span: Span;
  readonly path: PathExpr;
}

export interface ParenExpr {
  readonly kind: "Paren";
  readonly span: Span;
  readonly inner: Expression;
}

/** Stands where the parser recovered past a missing expression. */
export interface MissingExpr {
  readonly kind: "Missing";
  readonly span: Span;
}

export interface Comment {
  readonly kind: "Comment";
  readonly span: Span;
  readonly text: string;
  readonly block: boolean;
}

export interface Document {
  readonly kind: "Document";
  readonly span: Span;
  readonly file: string;
  readonly declarations: readonly Declaration[];
  readonly comments: readonly Comment[];
}

export type Node =
  | Document
  | Declaration
  | Identifier
  | StringLiteral
  | TypeNode
  | FieldNode
  | Stage
  | Call
  | Argument
  | Sink
  | LaneRoute
  | Expression;

/** The children of a node, in source order. One place knows the shape of the tree. */
export function childrenOf(node: Node): Node[] {
  switch (node.kind) {
    case "Document":
      return [...node.declarations];
    case "Import":
      return [node.path];
    case "Schema":
      return [node.name, node.body];
    case "Enum":
      return [node.name, ...node.members];
    case "Topic":
      return [node.name, node.type, ...node.options];
    case "Handler":
      return [node.name, node.input, ...(node.output ? [node.output] : []), node.module];
    case "Pipeline":
      return [node.name, ...node.sources, ...node.stages, ...(node.sink ? [node.sink] : [])];
    case "Stage":
      return [node.call, ...node.policies];
    case "Call":
      return [node.name, ...(node.args ?? [])];
    case "Argument":
      return [...(node.name ? [node.name] : []), node.value];
    case "TopicSink":
      return [node.topic];
    case "LaneSink":
      return [...node.routes];
    case "LaneRoute":
      return [node.lane, node.topic];
    case "NamedType":
      return [node.name];
    case "ArrayType":
      return [node.element];
    case "RecordType":
      return [...node.fields];
    case "Field":
      return [node.name, node.type];
    case "Path":
      return [...node.segments];
    case "Name":
      return [node.name];
    case "List":
      return [...node.items];
    case "Range":
      return [node.from, node.to];
    case "Binary":
      return [node.left, node.right];
    case "Not":
      return [node.operand];
    case "In":
      return [node.value, node.list];
    case "Has":
      return [node.path];
    case "Paren":
      return [node.inner];
    case "Identifier":
    case "StringLiteral":
    case "String":
    case "Number":
    case "Duration":
    case "Bool":
    case "Missing":
      return [];
  }
}

/** Visits every node depth-first, parents before children. */
export function walk(node: Node, visit: (node: Node, parent: Node | undefined) => void, parent?: Node): void {
  visit(node, parent);
  for (const child of childrenOf(node)) walk(child, visit, node);
}

/** The innermost node whose span contains the offset (for hover, definition, completion). */
export function nodeAt(root: Node, offset: number): Node[] {
  const chain: Node[] = [];
  let current: Node | undefined = root;
  while (current !== undefined) {
    chain.push(current);
    current = childrenOf(current).find((child) => child.span.start <= offset && offset <= child.span.end);
  }
  return chain;
}
