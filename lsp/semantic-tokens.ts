/**
 * Semantic tokens: every token of a file classified by what it means, from the
 * lexer's tokens (keywords, numbers, strings, comments) and the checked tree
 * (a name is a topic, a handler, a lane, a field, ...). Standard token types
 * only, so every editor's theme colours them without configuration.
 */
import type { IToken } from "chevrotain";
import * as T from "../grammar/tokens.js";
import * as A from "../compiler/ast.js";
import type { ParsedFile } from "../compiler/build-ast.js";
import { POLICIES, STAGES } from "../compiler/check.js";
import type { Program } from "../compiler/program.js";
import { PRIMITIVES } from "../compiler/types.js";

export const TOKEN_TYPES = [
  "keyword",
  "function",
  "struct",
  "enum",
  "enumMember",
  "type",
  "property",
  "variable",
  "label",
  "number",
  "string",
  "comment",
  "parameter",
  "namespace",
  "operator",
] as const;
export const TOKEN_MODIFIERS = ["declaration", "defaultLibrary"] as const;

export type TokenType = (typeof TOKEN_TYPES)[number];
export type TokenModifier = (typeof TOKEN_MODIFIERS)[number];

export const legend = { tokenTypes: [...TOKEN_TYPES], tokenModifiers: [...TOKEN_MODIFIERS] };

const typeIndex = new Map<string, number>(TOKEN_TYPES.map((t, i) => [t, i]));
const modifierBit = new Map<string, number>(TOKEN_MODIFIERS.map((m, i) => [m, 1 << i]));

interface Classification {
  readonly type: TokenType;
  readonly modifiers: number;
}

const cls = (type: TokenType, ...modifiers: TokenModifier[]): Classification => ({
  type,
  modifiers: modifiers.reduce((bits, m) => bits | (modifierBit.get(m) ?? 0), 0),
});

const KEYWORD = cls("keyword");
const STAGE = cls("function", "defaultLibrary");
const HANDLER = cls("function");
const HANDLER_DECL = cls("function", "declaration");
const TOPIC = cls("variable");
const TOPIC_DECL = cls("variable", "declaration");
const LANE = cls("label");
const FIELD = cls("property");
const FIELD_DECL = cls("property", "declaration");
const OPTION = cls("parameter");
const NUMBER = cls("number");
const STRING = cls("string");
const COMMENT = cls("comment");
const OPERATOR = cls("operator");

const stageNames = new Set<string>(STAGES);
const policyNames = new Set<string>(POLICIES);
const primitiveNames = new Set<string>(PRIMITIVES);
const keywordTypes = new Set(T.keywords);

/** A token in protocol form: 0-based line and character, relative encoding done by the caller. */
export interface SemanticToken {
  readonly line: number;
  readonly character: number;
  readonly length: number;
  readonly type: TokenType;
  readonly modifiers: number;
}

/** Classifies every identifier the tree explains, keyed by its start offset. */
function classifyTree(parsed: ParsedFile, program: Program | undefined): Map<number, Classification> {
  const out = new Map<number, Classification>();
  const types = program?.symbols.types;
  const mark = (id: A.Identifier | undefined, c: Classification) => {
    if (id !== undefined && !id.missing && id.text !== "") out.set(id.span.start, c);
  };
  const enumMembers = new Set<string>();
  if (types) for (const t of types.values()) if (t.kind === "enum") t.members.forEach((m) => enumMembers.add(m));
  const expressionTypes = program?.checked.expressionTypes;

  const typeRef = (node: A.TypeNode) => {
    switch (node.kind) {
      case "NamedType": {
        const name = node.name.text;
        if (primitiveNames.has(name)) mark(node.name, cls("type", "defaultLibrary"));
        else {
          const symbol = types?.get(name);
          mark(node.name, symbol?.kind === "enum" ? cls("enum") : symbol?.kind === "schema" ? cls("struct") : cls("type"));
        }
        return;
      }
      case "ArrayType":
        return typeRef(node.element);
      case "RecordType":
        for (const field of node.fields) {
          mark(field.name, FIELD_DECL);
          typeRef(field.type);
        }
    }
  };

  const expression = (expr: A.Expression) => {
    A.walk(expr, (node) => {
      if (node.kind === "Path") node.segments.forEach((s) => mark(s, FIELD));
      else if (node.kind === "Name") {
        const info = expressionTypes?.get(node);
        mark(node.name, info?.kind === "enumMember" || enumMembers.has(node.name.text) ? cls("enumMember") : cls("variable"));
      }
    });
  };

  const argumentName = (arg: A.Argument) => {
    if (arg.name !== undefined && arg.name.text !== "else") mark(arg.name, OPTION);
  };

  const stage = (s: A.Stage) => {
    const name = s.call.name.text;
    const args = s.call.args ?? [];
    if (stageNames.has(name) || policyNames.has(name)) mark(s.call.name, STAGE);
    for (const arg of args) {
      const v = arg.value;
      switch (name) {
        case "copy":
          if (v.kind === "Name") mark(v.name, LANE);
          else expression(v);
          continue;
        case "split":
          if (arg.name !== undefined && arg.name.text !== "else") mark(arg.name, LANE);
          if (arg.name?.text === "else" && v.kind === "Name") mark(v.name, LANE);
          else expression(v);
          continue;
        case "map":
        case "flatMap":
          if (v.kind === "Name") mark(v.name, HANDLER);
          else expression(v);
          continue;
        case "merge":
          if (v.kind === "Name") mark(v.name, KEYWORD);
          else expression(v);
          continue;
        case "filter":
          argumentName(arg);
          if (arg.name?.text === "dropped" && v.kind === "Name") mark(v.name, TOPIC);
          else expression(v);
          continue;
        default:
          argumentName(arg);
          expression(v);
      }
    }
    for (const policy of s.policies) {
      if (policyNames.has(policy.name.text) || stageNames.has(policy.name.text)) mark(policy.name, STAGE);
      for (const arg of policy.args ?? []) {
        argumentName(arg);
        if (policy.name.text === "deadLetter" && arg.value.kind === "Name") mark(arg.value.name, TOPIC);
        else expression(arg.value);
      }
    }
  };

  for (const decl of parsed.document.declarations) {
    switch (decl.kind) {
      case "Import":
        break;
      case "Schema":
        mark(decl.name, cls("struct", "declaration"));
        typeRef(decl.body);
        break;
      case "Enum":
        mark(decl.name, cls("enum", "declaration"));
        decl.members.forEach((m) => mark(m, cls("enumMember", "declaration")));
        break;
      case "Topic":
        mark(decl.name, TOPIC_DECL);
        typeRef(decl.type);
        for (const option of decl.options) {
          argumentName(option);
          expression(option.value);
        }
        break;
      case "Handler":
        mark(decl.name, HANDLER_DECL);
        typeRef(decl.input);
        if (decl.output) typeRef(decl.output);
        break;
      case "Pipeline":
        mark(decl.name, cls("namespace", "declaration"));
        decl.sources.forEach((s) => mark(s, TOPIC));
        decl.stages.forEach(stage);
        if (decl.sink?.kind === "TopicSink") mark(decl.sink.topic, TOPIC);
        else if (decl.sink?.kind === "LaneSink") {
          for (const route of decl.sink.routes) {
            mark(route.lane, LANE);
            mark(route.topic, TOPIC);
          }
        }
        break;
    }
  }
  return out;
}

function classifyToken(token: IToken, tree: Map<number, Classification>): Classification | undefined {
  const byTree = tree.get(token.startOffset);
  if (byTree !== undefined) return byTree;
  const type = token.tokenType;
  if (keywordTypes.has(type)) return KEYWORD;
  if (type === T.NumberLiteral || type === T.Duration) return NUMBER;
  if (type === T.StringLiteral || type === T.UnterminatedString) return STRING;
  if (type === T.Pipe || type === T.Arrow) return OPERATOR;
  return undefined;
}

/** The tokens of a file in order; comments spanning lines are cut per line, as clients require. */
export function semanticTokens(parsed: ParsedFile, program: Program | undefined): SemanticToken[] {
  const source = parsed.source;
  const tree = classifyTree(parsed, program);
  const out: SemanticToken[] = [];
  const push = (start: number, end: number, c: Classification) => {
    const p = source.positionAt(start);
    const line = p.line;
    const lineEnd = source.lineEnd(line);
    if (end <= lineEnd) {
      out.push({ line: line - 1, character: p.column - 1, length: end - start, type: c.type, modifiers: c.modifiers });
      return;
    }
    // Spans several lines (a block comment): one token per line.
    let l = line;
    let from = start;
    while (from < end) {
      const to = Math.min(end, source.lineEnd(l));
      if (to > from) out.push({ line: l - 1, character: from - source.lineStart(l), length: to - from, type: c.type, modifiers: c.modifiers });
      l++;
      from = source.lineStart(l);
      if (l > source.lineCount) break;
    }
  };
  const comments = parsed.document.comments;
  let ci = 0;
  for (const token of parsed.tokens) {
    while (ci < comments.length && comments[ci].span.start < token.startOffset) {
      push(comments[ci].span.start, comments[ci].span.end, COMMENT);
      ci++;
    }
    const c = classifyToken(token, tree);
    if (c !== undefined) push(token.startOffset, (token.endOffset ?? token.startOffset) + 1, c);
  }
  for (; ci < comments.length; ci++) push(comments[ci].span.start, comments[ci].span.end, COMMENT);
  return out;
}

/** The protocol's relative encoding: five integers per token. */
export function encodeTokens(tokens: readonly SemanticToken[]): number[] {
  const data = new Array<number>(tokens.length * 5);
  let prevLine = 0;
  let prevChar = 0;
  let i = 0;
  for (const t of tokens) {
    const deltaLine = t.line - prevLine;
    data[i++] = deltaLine;
    data[i++] = deltaLine === 0 ? t.character - prevChar : t.character;
    data[i++] = t.length;
    data[i++] = typeIndex.get(t.type)!;
    data[i++] = t.modifiers;
    prevLine = t.line;
    prevChar = t.character;
  }
  return data;
}

/** Decodes the relative encoding (for tests and tools). */
export function decodeTokens(data: readonly number[]): { line: number; character: number; length: number; type: string; modifiers: string[] }[] {
  const out = [];
  let line = 0;
  let character = 0;
  for (let i = 0; i + 4 < data.length; i += 5) {
    line += data[i];
    character = data[i] === 0 ? character + data[i + 1] : data[i + 1];
    out.push({
      line,
      character,
      length: data[i + 2],
      type: TOKEN_TYPES[data[i + 3]],
      modifiers: TOKEN_MODIFIERS.filter((_, bit) => (data[i + 4] & (1 << bit)) !== 0),
    });
  }
  return out;
}

/**
 * The one edit that turns the previous data into the next: the common prefix
 * and suffix stay, the middle is replaced. Typing changes a few tokens, so
 * this is small without a full diff.
 */
export function diffTokens(previous: readonly number[], next: readonly number[]): { start: number; deleteCount: number; data: number[] }[] {
  let start = 0;
  const max = Math.min(previous.length, next.length);
  while (start < max && previous[start] === next[start]) start++;
  if (start === previous.length && start === next.length) return [];
  let endPrev = previous.length;
  let endNext = next.length;
  while (endPrev > start && endNext > start && previous[endPrev - 1] === next[endNext - 1]) {
    endPrev--;
    endNext--;
  }
  return [{ start, deleteCount: endPrev - start, data: next.slice(start, endNext) }];
}
