/** Phase 1: text -> tokens (plus comments, kept for the formatter). */
import type { IToken, TokenType } from "chevrotain";
import { Lexer } from "./chevrotain.js";
import { allTokens } from "./tokens.js";

/**
 * Tokens carry offsets only (startOffset and endOffset, see below): every
 * position in flowc is an offset into the text (SourceFile derives lines and
 * columns on demand), and tracking lines and columns in each of a large file's
 * tokens doubled the lexer's time.
 * The definition is checked once by the tests (`validateGrammar` in
 * grammar/parser.ts), not on every start.
 */
export const lexerConfig = { positionTracking: "onlyOffset", ensureOptimizations: true } as const;

export const flowLexer = new Lexer(allTokens, { ...lexerConfig, skipValidations: true });

/**
 * Tokens are made with their endOffset at once: adding it to each token after
 * the fact cost a third as much as lexing (every token grew a second property
 * store). This replaces the method Chevrotain's "onlyOffset" tracking uses to
 * make a token; should a Chevrotain version no longer have it, `lex` adds the
 * end offsets itself.
 */
type TokenMaker = (image: string, startOffset: number, tokenTypeIdx: number, tokenType: TokenType) => IToken;
const internals = flowLexer as unknown as { createTokenInstance?: TokenMaker; createOffsetOnlyToken?: TokenMaker };
const makesEndOffsets = typeof internals.createTokenInstance === "function" && internals.createTokenInstance === internals.createOffsetOnlyToken;
if (makesEndOffsets) {
  internals.createTokenInstance = (image, startOffset, tokenTypeIdx, tokenType) => ({
    image,
    startOffset,
    endOffset: startOffset + image.length - 1,
    tokenTypeIdx,
    tokenType,
  });
}

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
  if (!makesEndOffsets) {
    withEndOffsets(result.tokens);
    for (const group of Object.values(result.groups)) withEndOffsets(group);
  }
  return {
    tokens: result.tokens,
    comments: result.groups["comments"] ?? [],
    errors: result.errors.map((e) => ({ offset: e.offset, length: e.length, text: text.substr(e.offset, e.length) })),
  };
}

/** The offset of each token's last character, as Chevrotain's "full" position tracking sets it. */
function withEndOffsets(tokens: IToken[]): void {
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    token.endOffset = token.startOffset + token.image.length - 1;
  }
}
