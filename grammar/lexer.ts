/** Phase 1: text -> tokens (plus comments, kept for the formatter). */
import type { IToken } from "chevrotain";
import { Lexer } from "./chevrotain.js";
import { allTokens } from "./tokens.js";

export const flowLexer = new Lexer(allTokens, {
  positionTracking: "full",
  ensureOptimizations: true,
});

export interface LexError {
  readonly offset: number;
  readonly length: number;
  readonly text: string;
}

export interface LexResult {
  readonly tokens: IToken[];
  readonly comments: IToken[];
  readonly errors: LexError[];
}

export function lex(text: string): LexResult {
  const result = flowLexer.tokenize(text);
  return {
    tokens: result.tokens,
    comments: result.groups["comments"] ?? [],
    errors: result.errors.map((e) => ({ offset: e.offset, length: e.length, text: text.substr(e.offset, e.length) })),
  };
}
