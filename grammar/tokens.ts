/**
 * The tokens of the flow language. Keywords are declared before Identifier and
 * use `longer_alt`, so `topics` is a name and `topic` a keyword. Stage names
 * (copy, shard, ...) are ordinary identifiers: the checker resolves them, which
 * lets it say "unknown stage 'shrad', did you mean 'shard'?".
 */
import type { TokenType } from "chevrotain";
import { createToken, Lexer } from "./chevrotain.js";

// Names may start with digits when a letter follows (lanes such as 4k, 1080p).
export const Identifier = createToken({
  name: "Identifier",
  pattern: /[A-Za-z_][A-Za-z0-9_]*|[0-9]+[A-Za-z_][A-Za-z0-9_]*/,
});

const keyword = (word: string): TokenType =>
  createToken({ name: word[0].toUpperCase() + word.slice(1), pattern: new RegExp(word), longer_alt: Identifier, label: `'${word}'` });

export const Import = keyword("import");
export const Schema = keyword("schema");
export const Enum = keyword("enum");
export const Topic = keyword("topic");
export const Handler = keyword("handler");
export const Pipeline = keyword("pipeline");
export const From = keyword("from");
export const And = keyword("and");
export const Or = keyword("or");
export const Not = keyword("not");
export const In = keyword("in");
export const Has = keyword("has");
export const True = keyword("true");
export const False = keyword("false");
export const Else = keyword("else");

export const keywords = [Import, Schema, Enum, Topic, Handler, Pipeline, From, And, Or, Not, In, Has, True, False, Else];

export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r\n\f\uFEFF]+/, group: Lexer.SKIPPED });
export const LineComment = createToken({ name: "LineComment", pattern: /\/\/[^\n\r]*/, group: "comments" });
export const BlockComment = createToken({ name: "BlockComment", pattern: /\/\*[\s\S]*?\*\//, group: "comments", line_breaks: true });
// An unterminated comment or string still lexes, so the parser keeps going;
// the tree builder reports FLOW1003/FLOW1004 for it.
export const UnterminatedBlockComment = createToken({ name: "UnterminatedBlockComment", pattern: /\/\*[\s\S]*/, group: "comments", line_breaks: true });

export const StringLiteral = createToken({ name: "StringLiteral", pattern: /"(?:[^"\\\n\r]|\\.)*"/, label: "a string" });
export const UnterminatedString = createToken({ name: "UnterminatedString", pattern: /"(?:[^"\\\n\r]|\\.)*/, label: "a string" });
// A duration is a number with a unit; it must not run into a name (5min is a name).
export const Duration = createToken({ name: "Duration", pattern: /[0-9]+(?:ms|s|m|h|d)(?![A-Za-z0-9_])/, label: "a duration" });
export const NumberLiteral = createToken({ name: "NumberLiteral", pattern: /[0-9]+(?:\.[0-9]+)?(?![A-Za-z_])/, label: "a number" });

const punctuation = (name: string, pattern: RegExp, label: string): TokenType => createToken({ name, pattern, label: `'${label}'` });

export const Arrow = punctuation("Arrow", /->/, "->");
export const Range = punctuation("Range", /\.\./, "..");
export const Dot = punctuation("Dot", /\./, ".");
export const Pipe = punctuation("Pipe", /\|/, "|");
export const Comma = punctuation("Comma", /,/, ",");
export const Colon = punctuation("Colon", /:/, ":");
export const Question = punctuation("Question", /\?/, "?");
export const LParen = punctuation("LParen", /\(/, "(");
export const RParen = punctuation("RParen", /\)/, ")");
export const LBrace = punctuation("LBrace", /\{/, "{");
export const RBrace = punctuation("RBrace", /\}/, "}");
export const LBracket = punctuation("LBracket", /\[/, "[");
export const RBracket = punctuation("RBracket", /\]/, "]");
export const EqualEqual = punctuation("EqualEqual", /==/, "==");
export const NotEqual = punctuation("NotEqual", /!=/, "!=");
export const LessEqual = punctuation("LessEqual", /<=/, "<=");
export const GreaterEqual = punctuation("GreaterEqual", /\>=/, ">=");
export const Less = punctuation("Less", /</, "<");
export const Greater = punctuation("Greater", />/, ">");
export const Minus = punctuation("Minus", /-/, "-");

export const allTokens: TokenType[] = [
  WhiteSpace,
  LineComment,
  BlockComment,
  UnterminatedBlockComment,
  StringLiteral,
  UnterminatedString,
  Duration,
  ...keywords,
  Identifier,
  NumberLiteral,
  Arrow,
  Range,
  Dot,
  Pipe,
  Comma,
  Colon,
  Question,
  LParen,
  RParen,
  LBrace,
  RBrace,
  LBracket,
  RBracket,
  EqualEqual,
  NotEqual,
  LessEqual,
  GreaterEqual,
  Less,
  Greater,
  Minus,
];

/** Token names that the syntax highlighters (TextMate, semantic tokens) classify as keywords. */
export const keywordNames: readonly string[] = keywords.map((k) => k.name);
