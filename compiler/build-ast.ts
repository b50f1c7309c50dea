/**
 * Phases 1-3 for one file: lex, parse, build the AST. Never throws on any input:
 * everything wrong becomes a diagnostic, and the tree holds every declaration
 * that could be read.
 */
import type { CstElement, CstNode, IToken } from "chevrotain";
import { lex } from "../grammar/lexer.js";
import { parseChunk, splitDeclarations, type DeclarationChunk, type SyntaxProblem } from "../grammar/parser.js";
import * as T from "../grammar/tokens.js";
import type * as A from "./ast.js";
import { DiagnosticBag, type Diagnostic } from "./diagnostics.js";
import { parseDeclarationDirect, parseDuration, tokenSpan, unquote } from "./parse-direct.js";
import type { SourceFile, Span } from "./source.js";

export { parseDuration };

/** Deeper nesting than this is reported instead of parsed (the parser recurses). */
export const MAX_NESTING = 64;
/** More operands than this in one and/or chain are reported instead of parsed. */
export const MAX_OPERANDS = 1_000;
/** Longer lines are reported instead of parsed. */
export const MAX_LINE_LENGTH = 20_000;

export interface ParsedFile {
  readonly source: SourceFile;
  readonly document: A.Document;
  readonly tokens: readonly IToken[];
  readonly diagnostics: readonly Diagnostic[];
}

export interface ParseOptions {
  /**
   * Read declarations without syntax errors with the direct parser
   * (compiler/parse-direct.ts) rather than through Chevrotain's tree; the
   * result is the same. Default true; the tests turn it off to compare.
   */
  readonly direct?: boolean;
}

export function parseFile(source: SourceFile, options: ParseOptions = {}): ParsedFile {
  const direct = options.direct ?? true;
  const bag = new DiagnosticBag();
  const file = source.path;
  const text = source.text;
  const empty = (comments: A.Comment[] = []): A.Document => ({
    kind: "Document",
    span: { start: 0, end: text.length },
    file,
    declarations: [],
    comments,
  });

  const nul = text.indexOf("\u0000");
  if (nul >= 0) {
    bag.report("binaryContent", file, { start: nul, end: nul + 1 }, {});
    return { source, document: empty(), tokens: [], diagnostics: bag.items };
  }
  const longLine = findLongLine(text);
  if (longLine !== undefined) {
    bag.report("lineTooLong", file, { start: longLine.start, end: longLine.start + 1 }, { length: longLine.length, limit: MAX_LINE_LENGTH });
    return { source, document: empty(), tokens: [], diagnostics: bag.items };
  }

  const lexed = lex(text);
  for (const error of lexed.errors) {
    bag.report("unexpectedCharacter", file, { start: error.offset, end: error.offset + error.length }, { char: quoteChar(error.text) });
  }
  const comments: A.Comment[] = [];
  for (const token of lexed.comments) {
    if (token.tokenType === T.UnterminatedBlockComment) {
      bag.report("unterminatedComment", file, { start: token.startOffset, end: token.startOffset + 2 }, {});
    }
    comments.push({
      kind: "Comment",
      span: tokenSpan(token),
      text: token.image,
      block: token.tokenType !== T.LineComment,
    });
  }
  const tokens: IToken[] = [];
  for (const token of lexed.tokens) {
    if (token.tokenType === T.UnterminatedString) {
      bag.report("unterminatedString", file, tokenSpan(token), {});
      // Parse on as if it were closed, so one missing quote costs one error.
      // The parser matches on tokenTypeIdx, so both must change.
      token.tokenType = T.StringLiteral;
      token.tokenTypeIdx = T.StringLiteral.tokenTypeIdx!;
    }
    tokens.push(token);
  }

  // Cut at declarations first, then drop the declarations that nest too deeply:
  // an unclosed bracket in one declaration must not count against the next.
  const chunks: DeclarationChunk[] = [];
  for (const chunk of splitDeclarations(tokens)) {
    const tooDeep = tooDeepToken(chunk.tokens);
    if (tooDeep !== undefined) bag.report("nestingTooDeep", file, tokenSpan(tooDeep.token), { limit: tooDeep.limit, what: tooDeep.what });
    else chunks.push(chunk);
  }

  // A declaration the direct parser cannot read has a syntax error: Chevrotain parses it
  // again, reports the error and recovers. Each tree becomes AST at once, so trees die young.
  const builder = new AstBuilder(file, bag);
  const declarations: A.Declaration[] = [];
  const problems: SyntaxProblem[] = [];
  const strays: IToken[][] = [];
  for (let index = 0; index < chunks.length; index++) {
    const chunk = chunks[index];
    if (chunk.stray) {
      strays.push(chunk.tokens);
      continue;
    }
    const read = direct ? parseDeclarationDirect(chunk.tokens) : undefined;
    const declaration = read ?? builder.declaration(parseChunk(chunks, index, problems));
    if (declaration !== undefined) declarations.push(declaration);
  }
  for (const stray of strays) {
    const first = stray[0];
    bag.report("expectedDeclaration", file, spanOfTokens(stray[0], stray[stray.length - 1]), { found: `'${first.image}'` });
  }
  for (const problem of problems) {
    const span = problem.atEnd ? { start: tokenSpan(problem.token).end, end: tokenSpan(problem.token).end } : tokenSpan(problem.token);
    const hint = syntaxHint(problem);
    bag.report("unexpectedToken", file, span, { expected: problem.expected, found: problem.found, ...(hint ? { hint } : {}) });
  }

  declarations.sort((a, b) => a.span.start - b.span.start);
  const document: A.Document = { kind: "Document", span: { start: 0, end: text.length }, file, declarations, comments };
  return { source, document, tokens, diagnostics: dedupe(bag.items) };
}

/** The shape of the declaration, for the syntax errors people make most. */
function syntaxHint(problem: SyntaxProblem): string | undefined {
  const { declaration, expected, found } = problem;
  const foundName = /^'[A-Za-z_0-9]/.test(found);
  if (expected === "a new declaration") return "the declaration before is complete; the next starts with import, schema, enum, topic, handler or pipeline";
  switch (declaration) {
    case "pipeline":
      if (expected.includes("'}'") && foundName) return "stages are joined with '|', and the sink follows '->': pipeline name { source | stage | stage -> sink }";
      return "pipeline name { source | stage | stage -> sink }";
    case "schema":
      return "schema Name { field: type, optional?: type, list: [type], nested: { field: type } }";
    case "enum":
      return "enum Name { memberA, memberB }";
    case "topic":
      return "topic name: Schema (partitions: 10, key: .id)";
    case "handler":
      return 'handler name(Input) -> Output from "./module.ts"';
    case "import":
      return 'import "./other.flow"';
  }
  return undefined;
}

function quoteChar(text: string): string {
  const code = text.codePointAt(0) ?? 0;
  if (code < 32 || code === 127) return `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  return `'${text}'`;
}

function findLongLine(text: string): { start: number; length: number } | undefined {
  if (text.length <= MAX_LINE_LENGTH) return undefined;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    if (end - start > MAX_LINE_LENGTH) return { start, length: end - start };
    start = end + 1;
  }
  return undefined;
}

/**
 * The first token of a declaration that would recurse too deeply in the parser
 * or in the passes over the tree: brackets nested more than MAX_NESTING deep, a
 * run of more than MAX_NESTING `not`s, or more than MAX_OPERANDS operands
 * joined by and/or in one condition (a chain of them is a left-deep tree).
 */
function tooDeepToken(tokens: readonly IToken[]): { token: IToken; limit: number; what: string } | undefined {
  let depth = 0;
  let nots = 0;
  // Operators seen in the condition currently open at each bracket depth.
  const operators: number[] = [0];
  for (const token of tokens) {
    const type = token.tokenType;
    if (type === T.Not) {
      if (++nots > MAX_NESTING) return { token, limit: MAX_NESTING, what: "'not' operators in a row" };
    } else nots = 0;
    if (type === T.LParen || type === T.LBracket || type === T.LBrace) {
      depth++;
      operators[depth] = 0;
      if (depth > MAX_NESTING) return { token, limit: MAX_NESTING, what: "levels of nested (), [] or {}" };
    } else if (type === T.RParen || type === T.RBracket || type === T.RBrace) {
      if (depth > 0) depth--;
    } else if (type === T.Comma || type === T.Colon) {
      operators[depth] = 0;
    } else if (type === T.And || type === T.Or) {
      operators[depth]++;
      if (operators[depth] >= MAX_OPERANDS) return { token, limit: MAX_OPERANDS, what: "operands joined by 'and'/'or' in one condition" };
    }
  }
  return undefined;
}

function spanOfTokens(first: IToken, last: IToken): Span {
  return { start: first.startOffset, end: (last.endOffset ?? last.startOffset) + 1 };
}

function dedupe(items: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return items.filter((d) => {
    const key = `${d.code}:${d.span.start}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

// --- CST -> AST -------------------------------------------------------------------

type Children = Record<string, CstElement[] | undefined>;

const isToken = (e: CstElement): e is IToken => (e as IToken).image !== undefined;

/** A token the parser read from the text (not one it inserted while recovering). */
const isRealToken = (t: IToken): boolean => !t.isInsertedInRecovery && !Number.isNaN(t.startOffset);

function tokensOf(children: Children, name: string): IToken[] {
  const list = children[name];
  const out: IToken[] = [];
  if (list === undefined) return out;
  for (let i = 0; i < list.length; i++) {
    const e = list[i];
    if (isToken(e) && isRealToken(e)) out.push(e);
  }
  return out;
}

/** The first token of `tokensOf(children, name)`, without building the list. */
function firstTokenOf(children: Children, name: string): IToken | undefined {
  const list = children[name];
  if (list === undefined) return undefined;
  for (let i = 0; i < list.length; i++) {
    const e = list[i];
    if (isToken(e) && isRealToken(e)) return e;
  }
  return undefined;
}

const hasToken = (children: Children, name: string): boolean => firstTokenOf(children, name) !== undefined;

function nodesOf(children: Children, name: string): CstNode[] {
  const list = children[name];
  const out: CstNode[] = [];
  if (list === undefined) return out;
  for (let i = 0; i < list.length; i++) {
    const e = list[i];
    if (!isToken(e)) out.push(e);
  }
  return out;
}

/** The first node of `nodesOf(children, name)`, without building the list. */
function firstNodeOf(children: Children, name: string): CstNode | undefined {
  const list = children[name];
  if (list === undefined) return undefined;
  for (let i = 0; i < list.length; i++) {
    const e = list[i];
    if (!isToken(e)) return e;
  }
  return undefined;
}

/** The first token directly under a node, in the order of its children (a `name` node holds one). */
function firstChildToken(node: CstNode): IToken | undefined {
  const children = node.children as Children;
  for (const key in children) {
    const list = children[key];
    if (list === undefined) continue;
    for (let i = 0; i < list.length; i++) {
      const e = list[i];
      if (isToken(e)) return e;
    }
  }
  return undefined;
}

/** A CST node with its span memoised on it (null: it holds no token). */
type SpannedNode = CstNode & { flowSpan?: Span | null };

/**
 * The span of every token under a CST node, or undefined when it holds none.
 * Memoised per node: the builder asks again for the spans of nested nodes, and
 * walking each subtree anew made building the tree quadratic in its depth
 * (most of the time of an edit in the language server). The memo lives on the
 * node itself: a WeakMap of every node of a large file cost more in garbage
 * collection than the walk.
 */
function cstSpan(node: CstNode): Span | undefined {
  const cached = (node as SpannedNode).flowSpan;
  if (cached !== undefined) return cached ?? undefined;
  let start = Infinity;
  let end = -Infinity;
  const children = node.children as Children;
  for (const key in children) {
    const list = children[key];
    if (list === undefined) continue;
    for (let i = 0; i < list.length; i++) {
      const e = list[i];
      if (isToken(e)) {
        if (e.isInsertedInRecovery || Number.isNaN(e.startOffset)) continue;
        if (e.startOffset < start) start = e.startOffset;
        const tokenEnd = (e.endOffset ?? e.startOffset) + 1;
        if (tokenEnd > end) end = tokenEnd;
      } else {
        const inner = cstSpan(e);
        if (inner === undefined) continue;
        if (inner.start < start) start = inner.start;
        if (inner.end > end) end = inner.end;
      }
    }
  }
  const span = start === Infinity ? undefined : { start, end };
  (node as SpannedNode).flowSpan = span ?? null;
  return span;
}

/**
 * The name of an enum or pipeline and the names in its body. The name is the
 * identifier before '{': when the name is missing (`pipeline { a | ... }`), the
 * first name in the body must not be taken for it.
 */
function nameAndBody(c: Children): [IToken | undefined, IToken[]] {
  const names = tokensOf(c, "Identifier").sort((a, b) => a.startOffset - b.startOffset);
  const brace = firstTokenOf(c, "LBrace");
  if (brace === undefined) return [names[0], names.slice(1)];
  const before = names.filter((t) => t.startOffset < brace.startOffset);
  return [before[0], names.filter((t) => t.startOffset > brace.startOffset)];
}

const COMPARISON_OPERATORS: readonly (readonly [string, A.ComparisonOperator])[] = [
  ["EqualEqual", "=="],
  ["NotEqual", "!="],
  ["LessEqual", "<="],
  ["GreaterEqual", ">="],
  ["Less", "<"],
  ["Greater", ">"],
];

class AstBuilder {
  constructor(
    private readonly file: string,
    private readonly bag: DiagnosticBag,
  ) {}

  private identifier(token: IToken | undefined, fallback: Span): A.Identifier {
    if (token === undefined) return { kind: "Identifier", span: { start: fallback.end, end: fallback.end }, text: "", missing: true };
    return { kind: "Identifier", span: tokenSpan(token), text: token.image };
  }

  declaration(cst: CstNode): A.Declaration | undefined {
    const [inner] = Object.values(cst.children).flat() as CstNode[];
    if (inner === undefined || isToken(inner)) return undefined;
    const span = cstSpan(inner);
    if (span === undefined) return undefined;
    const c = inner.children as Children;
    switch (inner.name) {
      case "importDecl": {
        const str = firstTokenOf(c, "StringLiteral");
        return {
          kind: "Import",
          span,
          path: str ? { kind: "StringLiteral", span: tokenSpan(str), value: unquote(str.image) } : { kind: "StringLiteral", span: { start: span.end, end: span.end }, value: "" },
        };
      }
      case "schemaDecl": {
        const name = this.identifier(firstTokenOf(c, "Identifier"), span);
        const block = firstNodeOf(c, "fieldBlock");
        return { kind: "Schema", span, name, body: this.fieldBlock(block, span) };
      }
      case "enumDecl": {
        const [name, members] = nameAndBody(c);
        return { kind: "Enum", span, name: this.identifier(name, span), members: members.map((t) => this.identifier(t, span)) };
      }
      case "topicDecl": {
        const list = firstNodeOf(c, "argumentList");
        return {
          kind: "Topic",
          span,
          name: this.identifier(firstTokenOf(c, "Identifier"), span),
          type: this.typeRef(firstNodeOf(c, "typeRef"), span),
          options: list ? this.arguments(list) : [],
        };
      }
      case "handlerDecl": {
        const types = nodesOf(c, "typeRef");
        const str = firstTokenOf(c, "StringLiteral");
        return {
          kind: "Handler",
          span,
          name: this.identifier(firstTokenOf(c, "Identifier"), span),
          input: this.typeRef(types[0], span),
          output: types[1] ? this.typeRef(types[1], span) : undefined,
          module: str ? { kind: "StringLiteral", span: tokenSpan(str), value: unquote(str.image) } : { kind: "StringLiteral", span: { start: span.end, end: span.end }, value: "" },
        };
      }
      case "pipelineDecl": {
        const [name, sources] = nameAndBody(c);
        const sinkNode = firstNodeOf(c, "sink");
        return {
          kind: "Pipeline",
          span,
          name: this.identifier(name, span),
          sources: sources.map((t) => this.identifier(t, span)),
          stages: nodesOf(c, "stage").flatMap((s) => this.stage(s) ?? []),
          sink: sinkNode ? this.sink(sinkNode) : undefined,
        };
      }
    }
    return undefined;
  }

  private fieldBlock(node: CstNode | undefined, around: Span): A.RecordTypeNode {
    const span = (node && cstSpan(node)) ?? { start: around.end, end: around.end };
    const fields: A.FieldNode[] = [];
    for (const field of node ? nodesOf(node.children as Children, "fieldDecl") : []) {
      const fspan = cstSpan(field);
      if (fspan === undefined) continue;
      const fc = field.children as Children;
      const nameNode = firstNodeOf(fc, "name");
      const nameToken = nameNode ? firstChildToken(nameNode) : undefined;
      fields.push({
        kind: "Field",
        span: fspan,
        name: this.identifier(nameToken && !nameToken.isInsertedInRecovery ? nameToken : undefined, fspan),
        optional: hasToken(fc, "Question"),
        type: this.typeRef(firstNodeOf(fc, "typeRef"), fspan),
      });
    }
    return { kind: "RecordType", span, fields };
  }

  private typeRef(node: CstNode | undefined, around: Span): A.TypeNode {
    const span = node ? cstSpan(node) : undefined;
    if (node === undefined || span === undefined) {
      return { kind: "NamedType", span: { start: around.end, end: around.end }, name: this.identifier(undefined, around) };
    }
    const c = node.children as Children;
    const block = firstNodeOf(c, "fieldBlock");
    if (block) return this.fieldBlock(block, span);
    if (hasToken(c, "LBracket")) return { kind: "ArrayType", span, element: this.typeRef(firstNodeOf(c, "typeRef"), span) };
    return { kind: "NamedType", span, name: this.identifier(firstTokenOf(c, "Identifier"), span) };
  }

  private stage(node: CstNode): A.Stage | undefined {
    const span = cstSpan(node);
    if (span === undefined) return undefined;
    const calls = nodesOf(node.children as Children, "call").flatMap((c) => this.call(c) ?? []);
    if (calls.length === 0) return undefined;
    return { kind: "Stage", span, call: calls[0], policies: calls.slice(1) };
  }

  private call(node: CstNode): A.Call | undefined {
    const span = cstSpan(node);
    if (span === undefined) return undefined;
    const c = node.children as Children;
    const list = firstNodeOf(c, "argumentList");
    const block = firstNodeOf(c, "argumentBlock");
    return {
      kind: "Call",
      span,
      name: this.identifier(firstTokenOf(c, "Identifier"), span),
      args: list ? this.arguments(list) : block ? this.arguments(block) : undefined,
      block: block !== undefined,
    };
  }

  private arguments(node: CstNode): A.Argument[] {
    const args: A.Argument[] = [];
    for (const arg of nodesOf(node.children as Children, "argument")) {
      const span = cstSpan(arg);
      if (span === undefined) continue;
      const c = arg.children as Children;
      const nameToken = firstTokenOf(c, "Identifier") ?? firstTokenOf(c, "Else");
      args.push({
        kind: "Argument",
        span,
        name: nameToken ? this.identifier(nameToken, span) : undefined,
        value: this.expression(firstNodeOf(c, "expression"), span),
      });
    }
    return args;
  }

  private sink(node: CstNode): A.Sink | undefined {
    const span = cstSpan(node);
    if (span === undefined) return undefined;
    const c = node.children as Children;
    if (!hasToken(c, "LBrace")) {
      return { kind: "TopicSink", span, topic: this.identifier(firstTokenOf(c, "Identifier"), span) };
    }
    // Lane routes are `lane: topic` pairs, their tokens all under a few CST keys:
    // read them in source order, so a route missing its topic stays one route.
    const ordered = [...tokensOf(c, "Identifier"), ...tokensOf(c, "Colon"), ...tokensOf(c, "Comma")].sort((a, b) => a.startOffset - b.startOffset);
    const routes: A.LaneRoute[] = [];
    for (let i = 0; i < ordered.length; i++) {
      const lane = ordered[i];
      if (lane.tokenType !== T.Identifier) continue;
      const colon = ordered[i + 1]?.tokenType === T.Colon ? ordered[i + 1] : undefined;
      const topic = colon !== undefined && ordered[i + 2]?.tokenType === T.Identifier ? ordered[i + 2] : undefined;
      const last = topic ?? colon ?? lane;
      const routeSpan = spanOfTokens(lane, last);
      routes.push({
        kind: "LaneRoute",
        span: routeSpan,
        lane: this.identifier(lane, routeSpan),
        topic: this.identifier(topic, routeSpan),
      });
      i += topic ? 2 : colon ? 1 : 0;
    }
    return { kind: "LaneSink", span, routes };
  }

  // --- expressions -------------------------------------------------------------
  private expression(node: CstNode | undefined, around: Span): A.Expression {
    const span = node ? cstSpan(node) : undefined;
    if (node === undefined || span === undefined) return { kind: "Missing", span: { start: around.end, end: around.end } };
    switch (node.name) {
      // Operands missing after recovery are placed inside this node's span, not the caller's.
      case "expression":
        return this.logical(node, "andExpression", "or", span);
      case "andExpression":
        return this.logical(node, "notExpression", "and", span);
      case "notExpression": {
        const c = node.children as Children;
        const inner = firstNodeOf(c, "notExpression");
        if (hasToken(c, "Not")) return { kind: "Not", span, operand: this.expression(inner, span) };
        return this.expression(firstNodeOf(c, "comparison"), span);
      }
      case "comparison":
        return this.comparison(node, span);
      case "rangeExpression": {
        const parts = nodesOf(node.children as Children, "primary");
        const from = this.expression(parts[0], span);
        if (!hasToken(node.children as Children, "Range")) return from;
        return { kind: "Range", span, from, to: this.expression(parts[1], span) };
      }
      case "primary":
        return this.primary(node, span);
      case "listExpression":
        return this.list(node, span);
      case "path":
        return this.path(node, span);
    }
    return { kind: "Missing", span };
  }

  private logical(node: CstNode, childRule: string, operator: A.LogicalOperator, around: Span): A.Expression {
    const operands = nodesOf(node.children as Children, childRule);
    let result = this.expression(operands[0], around);
    for (let i = 1; i < operands.length; i++) {
      const right = this.expression(operands[i], result.span);
      // Covering both sides: after recovery a missing left operand may sit after the right one.
      const covering = { start: Math.min(result.span.start, right.span.start), end: Math.max(result.span.end, right.span.end) };
      result = { kind: "Binary", span: covering, operator, left: result, right };
    }
    return result;
  }

  private comparison(node: CstNode, span: Span): A.Expression {
    const c = node.children as Children;
    const sides = nodesOf(c, "rangeExpression");
    const left = this.expression(sides[0], span);
    const list = firstNodeOf(c, "listExpression");
    if (hasToken(c, "In")) {
      return {
        kind: "In",
        span,
        negated: hasToken(c, "Not"),
        value: left,
        list: list ? this.list(list, cstSpan(list) ?? span) : { kind: "List", span: { start: span.end, end: span.end }, items: [] },
      };
    }
    for (const [tokenName, operator] of COMPARISON_OPERATORS) {
      if (hasToken(c, tokenName)) {
        return { kind: "Binary", span, operator, left, right: this.expression(sides[1], span) };
      }
    }
    return left;
  }

  private primary(node: CstNode, span: Span): A.Expression {
    const c = node.children as Children;
    const path = firstNodeOf(c, "path");
    if (hasToken(c, "Has")) {
      return { kind: "Has", span, path: path ? this.path(path, cstSpan(path) ?? span) : { kind: "Path", span, segments: [] } };
    }
    if (path) return this.path(path, span);
    const negative = hasToken(c, "Minus");
    const str = firstTokenOf(c, "StringLiteral");
    if (str) return { kind: "String", span, value: unquote(str.image) };
    const num = firstTokenOf(c, "NumberLiteral");
    if (num) {
      const text = (negative ? "-" : "") + num.image;
      return { kind: "Number", span, value: Number(text), text };
    }
    const duration = firstTokenOf(c, "Duration");
    if (duration) {
      const text = (negative ? "-" : "") + duration.image;
      return { kind: "Duration", span, milliseconds: parseDuration(text), text };
    }
    if (hasToken(c, "True")) return { kind: "Bool", span, value: true };
    if (hasToken(c, "False")) return { kind: "Bool", span, value: false };
    const name = firstTokenOf(c, "Identifier");
    if (name) return { kind: "Name", span, name: this.identifier(name, span) };
    const inner = firstNodeOf(c, "expression");
    if (inner) return { kind: "Paren", span, inner: this.expression(inner, span) };
    const list = firstNodeOf(c, "listExpression");
    if (list) return this.list(list, span);
    return { kind: "Missing", span };
  }

  private list(node: CstNode, span: Span): A.ListExpr {
    return { kind: "List", span, items: nodesOf(node.children as Children, "expression").map((e) => this.expression(e, span)) };
  }

  private path(node: CstNode, span: Span): A.PathExpr {
    const segments: A.Identifier[] = [];
    for (const nameNode of nodesOf(node.children as Children, "name")) {
      const token = firstChildToken(nameNode);
      if (token && !token.isInsertedInRecovery && !Number.isNaN(token.startOffset)) segments.push(this.identifier(token, span));
    }
    return { kind: "Path", span, segments };
  }
}
