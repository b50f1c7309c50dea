/**
 * Incremental re-parsing for the language server: after an edit, only the
 * declarations the edit touches are parsed again, with the compiler's own
 * parseFile; the declarations before the edit are kept as they were and those
 * after it are kept with their offsets moved.
 *
 * This is exact, not approximate: the parser already cuts a file into
 * declarations at their keywords and parses each one alone, so parsing a run of
 * whole declarations by itself gives the same trees and diagnostics as parsing
 * the file. The cut points are checked in the new text (a declaration keyword
 * that still starts a declaration, outside any comment), and whenever a check
 * fails, or the text is binary or has an over-long line, the whole file is
 * parsed instead. test/lsp/incremental.test.ts compares the two on random edits.
 */
import type { IToken } from "chevrotain";
import type * as A from "../compiler/ast.js";
import { MAX_LINE_LENGTH, parseFile, type ParsedFile } from "../compiler/build-ast.js";
import type { Diagnostic } from "../compiler/diagnostics.js";
import { ParseCache } from "../compiler/program.js";
import { SourceFile, type Span } from "../compiler/source.js";
import { lex } from "../grammar/lexer.js";
import * as T from "../grammar/tokens.js";

const declarationKeywords = new Set([T.Import, T.Schema, T.Enum, T.Topic, T.Handler, T.Pipeline]);

export interface ReparseStats {
  /** Parses of whole files. */
  full: number;
  /** Parses of the edited declarations only. */
  incremental: number;
}

/** A parse cache that re-parses an edited file incrementally from its previous version. */
export class IncrementalParseCache extends ParseCache {
  private readonly latest = new Map<string, ParsedFile>();
  readonly stats: ReparseStats = { full: 0, incremental: 0 };

  override get(file: string, text: string): ParsedFile {
    const previous = this.latest.get(file);
    if (previous !== undefined && previous.source.text === text) return previous;
    let parsed = previous !== undefined ? reparse(previous, text) : undefined;
    if (parsed !== undefined) this.stats.incremental++;
    else {
      parsed = parseFile(new SourceFile(file, text));
      this.stats.full++;
    }
    this.latest.set(file, parsed);
    return parsed;
  }

  override delete(file: string): void {
    this.latest.delete(file);
    super.delete(file);
  }
}

function hasLongLine(text: string): boolean {
  if (text.length <= MAX_LINE_LENGTH) return false;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    if (end - start > MAX_LINE_LENGTH) return true;
    start = end + 1;
  }
  return false;
}

/** The index of the token that starts exactly at an offset, or -1. */
function tokenStartingAt(tokens: readonly IToken[], offset: number): number {
  let low = 0;
  let high = tokens.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const start = tokens[mid].startOffset;
    if (start === offset) return mid;
    if (start < offset) low = mid + 1;
    else high = mid - 1;
  }
  return -1;
}

/** True when the token at the offset is a keyword that starts a declaration (as the parser cuts). */
function startsDeclarationAt(tokens: readonly IToken[], offset: number, keyword: string): boolean {
  const i = tokenStartingAt(tokens, offset);
  if (i < 0) return false;
  const token = tokens[i];
  if (!declarationKeywords.has(token.tokenType) || token.image !== keyword) return false;
  const previous = tokens[i - 1];
  const next = tokens[i + 1];
  if (previous !== undefined && previous.tokenType === T.Dot) return false;
  // Space before the keyword: an error at the end of the declaration before it then sits
  // before the cut, so every diagnostic belongs to one side.
  if (previous !== undefined && (previous.endOffset ?? previous.startOffset) + 1 >= offset) return false;
  if (next !== undefined && (next.tokenType === T.Colon || next.tokenType === T.Question)) return false;
  return true;
}

/** A copy of an AST subtree with every span moved by delta (AST nodes are plain objects and arrays). */
function shifted<N>(node: N, delta: number): N {
  if (delta === 0) return node;
  const copy = (value: unknown): unknown => {
    if (value === null || typeof value !== "object") return value;
    if (Array.isArray(value)) {
      const out = new Array<unknown>(value.length);
      for (let i = 0; i < value.length; i++) out[i] = copy(value[i]);
      return out;
    }
    const source = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const key in source) {
      const v = source[key];
      out[key] = key === "span" ? { start: (v as Span).start + delta, end: (v as Span).end + delta } : copy(v);
    }
    return out;
  };
  return copy(node) as N;
}

const shiftDiagnostic = (d: Diagnostic, delta: number): Diagnostic =>
  delta === 0
    ? d
    : {
        ...d,
        span: { start: d.span.start + delta, end: d.span.end + delta },
        ...(d.related ? { related: d.related.map((r) => (r.file === d.file ? { ...r, span: { start: r.span.start + delta, end: r.span.end + delta } } : r)) } : {}),
      };

/** The edited file parsed by re-parsing only the declarations the edit touched; undefined to parse it all. */
export function reparse(previous: ParsedFile, text: string): ParsedFile | undefined {
  const old = previous.source.text;
  const file = previous.source.path;
  if (previous.tokens.length === 0 || text.includes("\u0000") || hasLongLine(text)) return undefined;

  // The edit: what differs between the common prefix and the common suffix.
  const max = Math.min(old.length, text.length);
  let prefix = 0;
  while (prefix < max && old.charCodeAt(prefix) === text.charCodeAt(prefix)) prefix++;
  let suffix = 0;
  while (suffix < max - prefix && old.charCodeAt(old.length - 1 - suffix) === text.charCodeAt(text.length - 1 - suffix)) suffix++;
  const editEndOld = old.length - suffix;
  const delta = text.length - old.length;

  const lexed = lex(text);
  const declarations = previous.document.declarations;
  const keywordOf = (d: A.Declaration) => old.slice(d.span.start, d.span.start + d.kind.length);

  // The cut before the edit: the start of the last declaration that starts (keyword and all) before it.
  let first = -1;
  for (let i = declarations.length - 1; i >= 0; i--) {
    const d = declarations[i];
    const keyword = keywordOf(d);
    if (d.span.start + keyword.length < prefix && startsDeclarationAt(lexed.tokens, d.span.start, keyword)) {
      first = i;
      break;
    }
  }
  // The cut after the edit: the first declaration that starts at or after its end and still starts one.
  let last = declarations.length;
  for (let i = 0; i < declarations.length; i++) {
    const d = declarations[i];
    if (d.span.start < editEndOld || i <= first) continue;
    if (startsDeclarationAt(lexed.tokens, d.span.start + delta, keywordOf(d))) {
      last = i;
      break;
    }
  }
  const segmentStart = first >= 0 ? declarations[first].span.start : 0;
  const segmentEndOld = last < declarations.length ? declarations[last].span.start : old.length;
  const segmentEnd = segmentEndOld + delta;
  if (segmentEnd < segmentStart) return undefined;

  // Parse the segment alone, followed by the next declaration's keyword: a declaration
  // that ends early is reported against what follows it, as in the whole file.
  const nextKeyword = last < declarations.length ? keywordOf(declarations[last]) : "";
  const segmentText = text.slice(segmentStart, segmentEnd);
  const segment = parseFile(new SourceFile(file, segmentText + nextKeyword));

  // What the appended keyword brings (a declaration, an error at its end) starts after the segment.
  const inSegment = (span: Span) => span.start < segmentText.length || (nextKeyword === "" && span.start === segmentText.length);
  const newDeclarations = [
    ...declarations.slice(0, Math.max(first, 0)),
    ...segment.document.declarations.filter((d) => d.span.start < segmentText.length).map((d) => shifted(d, segmentStart)),
    ...declarations.slice(last).map((d) => shifted(d, delta)),
  ];
  const diagnostics: Diagnostic[] = [];
  const seen = new Set<string>();
  const add = (d: Diagnostic) => {
    const key = `${d.code}:${d.span.start}:${d.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    diagnostics.push(d);
  };
  for (const d of previous.diagnostics) if (d.span.start < segmentStart) add(d);
  for (const d of segment.diagnostics) if (inSegment(d.span)) add(shiftDiagnostic(d, segmentStart));
  for (const d of previous.diagnostics) if (d.span.start >= segmentEndOld && segmentEndOld < old.length) add(shiftDiagnostic(d, delta));

  // Tokens and comments of the whole new text, as parseFile makes them.
  const comments: A.Comment[] = lexed.comments.map((token) => ({
    kind: "Comment",
    span: { start: token.startOffset, end: (token.endOffset ?? token.startOffset) + 1 },
    text: token.image,
    block: token.tokenType !== T.LineComment,
  }));
  for (const token of lexed.tokens) {
    if (token.tokenType === T.UnterminatedString) {
      token.tokenType = T.StringLiteral;
      token.tokenTypeIdx = T.StringLiteral.tokenTypeIdx!;
    }
  }
  const source = new SourceFile(file, text);
  const document: A.Document = { kind: "Document", span: { start: 0, end: text.length }, file, declarations: newDeclarations, comments };
  return { source, document, tokens: lexed.tokens, diagnostics };
}
