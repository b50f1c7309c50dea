/**
 * Completion. The text around the cursor is usually broken while typing, so
 * the context comes from the tokens before the cursor (what was just typed,
 * which brackets are open, which declaration we are in), and the meaning from
 * the last checked program: the stream type at that point of the pipeline for
 * fields, the symbol table for topics, schemas and handlers.
 */
import type { IToken, TokenType } from "chevrotain";
import { CompletionItemKind, InsertTextFormat, type CompletionItem } from "vscode-languageserver/node.js";
import type { ParsedFile } from "../compiler/build-ast.js";
import { POLICIES, STAGES } from "../compiler/check.js";
import type { Program } from "../compiler/program.js";
import { fieldsOf, PRIMITIVES, sameType, typeToString, type FieldType, type FlowType } from "../compiler/types.js";
import * as T from "../grammar/tokens.js";
import { declarationAt, handlerSignature, streamAt, topicSignature } from "./analysis.js";
import { DECLARATION_SNIPPETS, POLICY_DOCS, STAGE_DOCS, TOPIC_OPTION_DOCS } from "./docs.js";

export const TRIGGER_CHARACTERS = ["|", ".", "(", ">", "{", ",", ":"];

const declarationKeywords = new Set<TokenType>([T.Import, T.Schema, T.Enum, T.Topic, T.Handler, T.Pipeline]);
const wordTypes = new Set<TokenType>([T.Identifier, ...T.keywords]);
const isWord = (t: IToken | undefined) => t !== undefined && wordTypes.has(t.tokenType);
const endOf = (t: IToken) => (t.endOffset ?? t.startOffset) + 1;

interface Open {
  readonly type: TokenType;
  /** The name written just before the bracket: `map(`, `split {`, `pipeline x {`. */
  readonly owner: IToken | undefined;
  readonly index: number;
}

interface Context {
  readonly tokens: readonly IToken[];
  /** Index of the last token before the cursor that is not the word being typed. */
  readonly prev: number;
  /** The word being typed, if the cursor is at its end or inside it. */
  readonly word: IToken | undefined;
  /** The keyword that starts the declaration around the cursor, if any. */
  readonly declKeyword: IToken | undefined;
  readonly stack: readonly Open[];
  /** In a pipeline: `->` was seen at the pipeline's own level. */
  readonly afterArrow: boolean;
  /** In a pipeline: a `|` was seen at the pipeline's own level. */
  readonly afterPipe: boolean;
}

function startsDeclaration(tokens: readonly IToken[], index: number): boolean {
  const token = tokens[index];
  if (!declarationKeywords.has(token.tokenType)) return false;
  const previous = tokens[index - 1];
  const next = tokens[index + 1];
  if (previous !== undefined && previous.tokenType === T.Dot) return false;
  if (next !== undefined && (next.tokenType === T.Colon || next.tokenType === T.Question)) return false;
  return true;
}

function contextAt(tokens: readonly IToken[], offset: number): Context {
  // The last token that starts before the cursor.
  let low = 0;
  let high = tokens.length - 1;
  let last = -1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (tokens[mid].startOffset < offset) {
      last = mid;
      low = mid + 1;
    } else high = mid - 1;
  }
  let word: IToken | undefined;
  let prev = last;
  if (last >= 0 && isWord(tokens[last]) && endOf(tokens[last]) >= offset) {
    word = tokens[last];
    prev = last - 1;
  }
  let start = prev;
  while (start >= 0 && !startsDeclaration(tokens, start)) start--;
  const declKeyword = start >= 0 ? tokens[start] : undefined;
  const stack: Open[] = [];
  let afterArrow = false;
  let afterPipe = false;
  for (let i = Math.max(start, 0); i <= prev; i++) {
    const t = tokens[i].tokenType;
    if (t === T.LParen || t === T.LBrace || t === T.LBracket) {
      stack.push({ type: t, owner: isWord(tokens[i - 1]) ? tokens[i - 1] : undefined, index: i });
    } else if (t === T.RParen || t === T.RBrace || t === T.RBracket) {
      stack.pop();
    } else if (stack.length === 1 && declKeyword?.tokenType === T.Pipeline) {
      if (t === T.Arrow) afterArrow = true;
      if (t === T.Pipe) afterPipe = true;
    }
  }
  return { tokens, prev, word, declKeyword, stack, afterArrow, afterPipe };
}

// --- items ----------------------------------------------------------------------

const snippet = (label: string, text: string, kind: CompletionItemKind, detail: string, documentation?: string, sortText?: string): CompletionItem => ({
  label,
  kind,
  detail,
  insertText: text,
  insertTextFormat: InsertTextFormat.Snippet,
  ...(documentation ? { documentation: { kind: "markdown", value: documentation } } : {}),
  ...(sortText ? { sortText } : {}),
});

function stageItems(): CompletionItem[] {
  return STAGES.map((name, i) => {
    const doc = STAGE_DOCS[name];
    return snippet(name, doc?.snippet ?? name, CompletionItemKind.Function, doc?.signature ?? name, doc?.summary, `0${i}`);
  });
}

function policyItems(): CompletionItem[] {
  return POLICIES.map((name, i) => {
    const doc = POLICY_DOCS[name];
    return snippet(name, doc?.snippet ?? name, CompletionItemKind.Property, doc?.signature ?? name, doc?.summary, `0${i}`);
  });
}

function topicItems(program: Program, wanted?: FlowType): CompletionItem[] {
  return [...program.symbols.topics.values()].map((topic) => {
    const fits = wanted !== undefined && wanted.kind !== "error" && sameType(topic.type, wanted);
    return {
      label: topic.name,
      kind: CompletionItemKind.Event,
      detail: topicSignature(topic),
      sortText: `${fits ? "0" : "1"}${topic.name}`,
      ...(fits ? { preselect: false } : {}),
    };
  });
}

function handlerItems(program: Program, input: FlowType | undefined, flat: boolean): CompletionItem[] {
  return [...program.symbols.handlers.values()].map((handler) => {
    const fits = input !== undefined && input.kind !== "error" && sameType(handler.input, input) && (!flat || handler.output?.kind === "array");
    return { label: handler.name, kind: CompletionItemKind.Function, detail: handlerSignature(handler), sortText: `${fits ? "0" : "1"}${handler.name}` };
  });
}

function typeItems(program: Program): CompletionItem[] {
  const items: CompletionItem[] = [];
  for (const type of program.symbols.types.values()) {
    items.push({ label: type.name, kind: type.kind === "enum" ? CompletionItemKind.Enum : CompletionItemKind.Struct, detail: `${type.kind} ${type.name}`, sortText: `0${type.name}` });
  }
  for (const name of PRIMITIVES) items.push({ label: name, kind: CompletionItemKind.TypeParameter, detail: "built-in type", sortText: `1${name}` });
  return items;
}

function fieldItems(fields: readonly FieldType[]): CompletionItem[] {
  return fields.map((f) => ({ label: f.name, kind: CompletionItemKind.Field, detail: `${f.name}${f.optional ? "?" : ""}: ${typeToString(f.type)}` }));
}

/** The fields reachable by the path typed before the cursor, e.g. `.user.prefs.` → prefs's fields. */
function pathFields(roots: readonly FlowType[], ctx: Context): FieldType[] {
  // Walk back over `.name` pairs to the start of the path.
  const segments: string[] = [];
  let i = ctx.prev; // the Dot just before the cursor (or before the word)
  while (i - 2 >= 0 && isWord(ctx.tokens[i - 1]) && ctx.tokens[i - 2].tokenType === T.Dot && endOf(ctx.tokens[i - 1]) === ctx.tokens[i].startOffset) {
    segments.unshift(ctx.tokens[i - 1].image);
    i -= 2;
  }
  const seen = new Map<string, FieldType>();
  for (const root of roots) {
    let type: FlowType | undefined = root;
    for (const name of segments) type = type && fieldsOf(type)?.find((f) => f.name === name)?.type;
    for (const f of (type && fieldsOf(type)) ?? []) if (!seen.has(f.name)) seen.set(f.name, f);
  }
  return [...seen.values()];
}

/** Enum members (or true/false) for the value compared with a path: `.channel == |`. */
function comparedValues(roots: readonly FlowType[], ctx: Context): CompletionItem[] {
  // tokens: . a . b  (== | != | in [ ... ,)
  let i = ctx.prev;
  const t = ctx.tokens;
  if (t[i]?.tokenType === T.Comma || t[i]?.tokenType === T.LBracket) {
    while (i >= 0 && t[i].tokenType !== T.LBracket) i--;
    if (t[i - 1]?.tokenType !== T.In) return [];
    i -= 1;
    if (t[i - 1]?.tokenType === T.Not) i -= 1;
  } else if (t[i]?.tokenType !== T.EqualEqual && t[i]?.tokenType !== T.NotEqual) return [];
  const segments: string[] = [];
  let j = i - 1;
  while (j - 1 >= 0 && isWord(t[j]) && t[j - 1].tokenType === T.Dot) {
    segments.unshift(t[j].image);
    j -= 2;
  }
  if (segments.length === 0) return [];
  for (const root of roots) {
    let type: FlowType | undefined = root;
    for (const name of segments) type = type && fieldsOf(type)?.find((f) => f.name === name)?.type;
    if (type?.kind === "enum") return type.members.map((m, i) => ({ label: m, kind: CompletionItemKind.EnumMember, detail: `${type.name}`, sortText: String(i).padStart(4, "0") }));
    if (type?.kind === "primitive" && type.name === "bool") return ["true", "false"].map((b) => ({ label: b, kind: CompletionItemKind.Keyword }));
  }
  return [];
}

/** The name of the stage the cursor follows: the word after the last `|` at the pipeline's level. */
function stageNameBefore(ctx: Context): string | undefined {
  let depth = 0;
  for (let k = ctx.prev; k >= 0; k--) {
    const t = ctx.tokens[k].tokenType;
    if (t === T.RParen || t === T.RBrace || t === T.RBracket) depth++;
    else if (t === T.LParen || t === T.LBrace || t === T.LBracket) {
      if (depth === 0) return undefined;
      depth--;
    } else if (depth === 0 && t === T.Pipe) return ctx.tokens[k + 1]?.image;
  }
  return undefined;
}

export function complete(program: Program, parsed: ParsedFile, offset: number): CompletionItem[] {
  const tokens = parsed.tokens;
  // Never inside a comment or a string.
  const inComment = parsed.document.comments.some(
    (c) => c.span.start < offset && (offset < c.span.end || (offset === c.span.end && (!c.block || !c.text.endsWith("*/")))),
  );
  if (inComment) return [];
  const ctx = contextAt(tokens, offset);
  const inString = tokens.some((t) => t.tokenType === T.StringLiteral && t.startOffset < offset && (offset < endOf(t) || (offset === endOf(t) && (t.image.length < 2 || !t.image.endsWith('"')))));
  if (inString) return [];
  const prev = tokens[ctx.prev];
  const prevType = prev?.tokenType;
  const innermost = ctx.stack[ctx.stack.length - 1];
  const decl = declarationAt(parsed.document, offset);

  // At the top level: declarations.
  if (ctx.stack.length === 0) {
    const atLineStart = /^\s*$/.test(parsed.source.text.slice(parsed.source.lineStart(parsed.source.positionAt(offset).line), ctx.word?.startOffset ?? offset));
    if (ctx.declKeyword?.tokenType === T.Topic && prevType === T.Colon) return typeItems(program);
    if (ctx.declKeyword?.tokenType === T.Handler && prevType === T.Arrow) return typeItems(program);
    if (atLineStart) {
      return DECLARATION_SNIPPETS.map((d, i) => snippet(d.label, d.snippet, CompletionItemKind.Keyword, d.detail, undefined, `0${i}`));
    }
    return [];
  }

  const keyword = ctx.declKeyword?.tokenType;
  if (keyword === T.Schema || (keyword === T.Topic && innermost.type === T.LBrace)) {
    // field: |  → types
    if (prevType === T.Colon || prevType === T.LBracket) return typeItems(program);
    return [];
  }
  if (keyword === T.Handler) {
    if (innermost.type === T.LParen || prevType === T.LBracket) return typeItems(program);
    return [];
  }
  if (keyword === T.Topic) {
    // topic options: (partitions: 10, key: .id)
    const topic = decl?.kind === "Topic" ? program.symbols.topics.get(decl.name.text) : undefined;
    if (prevType === T.Dot && topic) return fieldItems(pathFields([topic.type], ctx));
    if (prevType === T.LParen || prevType === T.Comma) {
      return Object.entries(TOPIC_OPTION_DOCS).map(([name, doc]) => snippet(name, `${name}: $0`, CompletionItemKind.Property, doc));
    }
    return [];
  }
  if (keyword !== T.Pipeline) return [];

  // --- inside a pipeline ---------------------------------------------------------
  const pipeline = decl?.kind === "Pipeline" ? decl : undefined;
  const point = pipeline ? streamAt(program, pipeline, ctx.word?.startOffset ?? offset) : undefined;
  const laneTypes = point?.stream.lanes.map((l) => l.type) ?? [];
  const singleType = laneTypes.length > 0 && laneTypes.every((t) => sameType(t, laneTypes[0])) ? laneTypes[0] : undefined;

  if (prevType === T.Pipe) return stageItems();
  if (prevType === T.Dot) return fieldItems(pathFields(laneTypes, ctx));
  const values = comparedValues(laneTypes, ctx);
  if (values.length > 0) return values;

  if (ctx.stack.length === 1) {
    // The pipeline's own level: sources, the sink, policies after a stage.
    if (prevType === T.Arrow) return topicItems(program, singleType);
    if (!ctx.afterPipe && !ctx.afterArrow && (prevType === T.LBrace || prevType === T.Comma)) return topicItems(program);
    if (ctx.afterPipe && !ctx.afterArrow && prevType === T.RParen && stageNameBefore(ctx) !== undefined) {
      const stage = stageNameBefore(ctx);
      if (stage === "map" || stage === "flatMap") return policyItems();
    }
    return [];
  }

  const owner = innermost.owner?.image;
  const depth = ctx.stack.length;
  // A lane sink: -> { lane: topic, ... }
  if (innermost.type === T.LBrace && ctx.tokens[innermost.index - 1]?.tokenType === T.Arrow) {
    if (prevType === T.Colon) {
      const laneName = ctx.tokens[ctx.prev - 1]?.image;
      const lane = point?.stream.lanes.find((l) => l.name === laneName);
      return topicItems(program, lane?.type);
    }
    if (prevType === T.LBrace || prevType === T.Comma || prevType === T.Identifier) {
      const routed = new Set<string>();
      for (let i = innermost.index + 1; i + 1 <= ctx.prev; i++) if (ctx.tokens[i + 1]?.tokenType === T.Colon) routed.add(ctx.tokens[i].image);
      return (point?.stream.lanes ?? [])
        .filter((l) => l.name !== undefined && !routed.has(l.name))
        .map((l, i) => snippet(l.name!, `${l.name}: $0`, CompletionItemKind.EnumMember, `lane: ${typeToString(l.type)}`, undefined, String(i).padStart(4, "0")));
    }
    return [];
  }
  if (depth === 2 && innermost.type === T.LParen) {
    if ((owner === "map" || owner === "flatMap") && prevType === T.LParen) return handlerItems(program, singleType, owner === "flatMap");
    if (owner === "deadLetter" && prevType === T.LParen) return topicItems(program);
    if (owner === "merge" && prevType === T.LParen) return [{ label: "first", kind: CompletionItemKind.Keyword, detail: "keep the first result per message" }];
    if (owner === "filter" && prevType === T.Colon && ctx.tokens[ctx.prev - 1]?.image === "dropped") return topicItems(program, singleType);
    if (owner === "filter" && prevType === T.Comma) return [snippet("dropped", "dropped: $0", CompletionItemKind.Property, "dropped: <topic>", "Where the messages that do not match go.")];
    if (owner === "shard" && prevType === T.Comma) return [snippet("by", "by: .$0", CompletionItemKind.Property, "by: .field", "The shard key (a scalar field).")];
    if (owner === "retry" && prevType === T.Comma) return [snippet("backoff", "backoff: ${1:100ms}..${2:10s}", CompletionItemKind.Property, "backoff: 100ms..10s")];
  }
  return [];
}

