/**
 * Random valid .flow programs for property tests. A program is generated as a
 * list of tokens, following the grammar in docs/language.md, then joined with
 * random whitespace and comments: line breaks anywhere, blank lines, block and
 * line comments between any two tokens, optional commas present or not.
 */
import fc from "fast-check";
import { lex } from "../../grammar/lexer.js";

type Tokens = string[];

// Names that are not keywords (and not durations: `5m` would lex as one).
const NAMES = ["a", "b", "photos", "x1", "_y", "4k", "1080p", "userId", "Photo", "emails", "merge", "copy", "split", "fromX", "topics"];
// Field names and path segments may also be these keywords.
const KEYWORD_NAMES = ["from", "topic", "in", "has", "else", "schema", "import"];

const name = fc.constantFrom(...NAMES);
const fieldName = fc.oneof({ weight: 4, arbitrary: name }, { weight: 1, arbitrary: fc.constantFrom(...KEYWORD_NAMES) });
const string = fc.constantFrom('"abc"', '"./handlers/x.ts"', '"a \\"q\\" b"', '"x\\\\y"', '"// not a comment"', '"/* nor this */"', '""');
const number = fc.constantFrom("0", "10", "2.5", "1.50", "100000");
const duration = fc.constantFrom("100ms", "30s", "5m", "2h", "7d", "1s");
const bool = fc.constantFrom("true", "false");
const comparison = fc.constantFrom("==", "!=", "<", "<=", ">", ">=");

const optionalComma = fc.boolean().map((b) => (b ? [","] : []));

/** Items separated by commas, each comma present or not (braces allow both), maybe a trailing one. */
function looseList(item: fc.Arbitrary<Tokens>, maxLength: number, minLength = 0): fc.Arbitrary<Tokens> {
  return fc.array(fc.tuple(item, optionalComma), { minLength, maxLength }).map((items) => items.flatMap(([tokens, comma]) => [...tokens, ...comma]));
}

/** Items separated by commas, maybe with a trailing one (parentheses and lists: `.a .b` would read as one path). */
function commaList(item: fc.Arbitrary<Tokens>, maxLength: number, minLength = 0): fc.Arbitrary<Tokens> {
  return fc
    .tuple(fc.array(item, { minLength, maxLength }), fc.boolean())
    .map(([items, trailing]) => [...items.flatMap((tokens, i) => (i === 0 ? tokens : [",", ...tokens])), ...(trailing && items.length > 0 ? [","] : [])]);
}

const path: fc.Arbitrary<Tokens> = fc.array(fieldName, { minLength: 1, maxLength: 3 }).map((segments) => segments.flatMap((s) => [".", s]));

const atom: fc.Arbitrary<Tokens> = fc.oneof(
  path,
  string.map((s) => [s]),
  number.map((n) => [n]),
  duration.map((d) => [d]),
  fc.tuple(fc.constantFrom("-"), fc.oneof(number, duration)).map((t) => [...t]),
  bool.map((b) => [b]),
  name.map((n) => [n]),
  path.map((p) => ["has", "(", ...p, ")"]),
);

function comparisonOf(primary: fc.Arbitrary<Tokens>, list: fc.Arbitrary<Tokens>): fc.Arbitrary<Tokens> {
  const range = fc.oneof({ weight: 5, arbitrary: primary }, { weight: 1, arbitrary: fc.tuple(primary, primary).map(([from, to]) => [...from, "..", ...to]) });
  return fc.oneof(
    { weight: 4, arbitrary: range },
    { weight: 2, arbitrary: fc.tuple(range, comparison, range).map(([l, op, r]) => [...l, op, ...r]) },
    { weight: 1, arbitrary: fc.tuple(range, fc.boolean(), list).map(([v, negated, l]) => [...v, ...(negated ? ["not"] : []), "in", ...l]) },
  );
}

/** Expressions nested at most `depth` levels (through parentheses and lists), kept small. */
function expressionOf(depth: number): fc.Arbitrary<Tokens> {
  const inner = depth > 0 ? expressionOf(depth - 1) : undefined;
  const list: fc.Arbitrary<Tokens> = inner ? commaList(inner, 3).map((items) => ["[", ...items, "]"]) : fc.constant(["[", "]"]);
  const primary = inner
    ? fc.oneof({ weight: 6, arbitrary: atom }, { weight: 1, arbitrary: inner.map((e) => ["(", ...e, ")"]) }, { weight: 1, arbitrary: list })
    : atom;
  const operand = fc.tuple(fc.nat(3), comparisonOf(primary, list)).map(([nots, tokens]) => [...(nots === 3 ? ["not"] : []), ...tokens]);
  const and = fc.array(operand, { minLength: 1, maxLength: 2 }).map((ops) => ops.flatMap((o, i) => (i > 0 ? ["and", ...o] : o)));
  return fc.array(and, { minLength: 1, maxLength: 2 }).map((ands) => ands.flatMap((a, i) => (i > 0 ? ["or", ...a] : a)));
}

const expression = fc.oneof({ weight: 4, arbitrary: expressionOf(1) }, { weight: 1, arbitrary: expressionOf(2) });

const { type } = fc.letrec<{ type: Tokens; record: Tokens }>((tie) => ({
  type: fc.oneof(
    { maxDepth: 2, withCrossShrink: true },
    name.map((n) => [n]),
    tie("type").map((t) => ["[", ...t, "]"]),
    tie("record"),
  ),
  record: looseList(
    fc.tuple(fieldName, fc.boolean(), tie("type")).map(([n, optional, t]) => [n, ...(optional ? ["?"] : []), ":", ...t]),
    4,
  ).map((fields) => ["{", ...fields, "}"]),
}));

const argument = fc.tuple(fc.option(fc.oneof(name, fc.constant("else")), { freq: 2 }), expression).map(([n, value]) => (n === null ? value : [n, ":", ...value]));
const namedArgument = fc.tuple(fc.oneof({ weight: 4, arbitrary: name }, { weight: 1, arbitrary: fc.constant("else") }), expression).map(([n, value]) => [n, ":", ...value]);
const argumentList = commaList(argument, 3).map((args) => ["(", ...args, ")"]);

const call: fc.Arbitrary<Tokens> = fc.oneof(
  { weight: 2, arbitrary: name.map((n) => [n]) },
  { weight: 5, arbitrary: fc.tuple(name, argumentList).map(([n, args]) => [n, ...args]) },
  { weight: 1, arbitrary: fc.tuple(name, looseList(namedArgument, 3)).map(([n, args]) => [n, "{", ...args, "}"]) },
);
const stage = fc.tuple(call, fc.array(call, { maxLength: 2, size: "xsmall" })).map(([first, policies]) => [...first, ...policies.flat()]);
const sink = fc.oneof(
  { weight: 3, arbitrary: name.map((n) => [n]) },
  { weight: 1, arbitrary: looseList(fc.tuple(name, name).map(([lane, topic]) => [lane, ":", topic]), 3).map((routes) => ["{", ...routes, "}"]) },
);

const declaration: fc.Arbitrary<Tokens> = fc.oneof(
  string.map((s) => ["import", s]),
  fc.tuple(name, type.filter((t) => t[0] === "{")).map(([n, body]) => ["schema", n, ...body]),
  fc.tuple(name, looseList(name.map((n) => [n]), 4)).map(([n, members]) => ["enum", n, "{", ...members, "}"]),
  fc.tuple(name, type, fc.option(argumentList)).map(([n, t, options]) => ["topic", n, ":", ...t, ...(options ?? [])]),
  fc.tuple(name, type, fc.option(type), string).map(([n, input, output, module]) => ["handler", n, "(", ...input, ")", ...(output ? ["->", ...output] : []), "from", module]),
  fc
    .tuple(name, fc.array(name, { minLength: 1, maxLength: 2 }), fc.array(stage, { maxLength: 4, size: "small" }), fc.option(sink, { freq: 4 }))
    .map(([n, sources, stages, out]) => ["pipeline", n, "{", ...sources.flatMap((s, i) => (i === 0 ? [s] : [",", s])), ...stages.flatMap((s) => ["|", ...s]), ...(out ? ["->", ...out] : []), "}"]),
);

export const programTokens: fc.Arbitrary<Tokens> = fc.array(declaration, { minLength: 1, maxLength: 4 }).map((ds) => ds.flat());

// --- layout ----------------------------------------------------------------------------

const wordish = /[A-Za-z0-9_"]/;

const TRIVIA: [weight: number, text: string][] = [
  [12, " "],
  [4, ""],
  [4, "\n"],
  [1, "\n\n"],
  [1, "\n \n\n\t"],
  [1, "  \n      "],
  [1, " /* c */ "],
  [1, "/*d*/"],
  [1, " /* multi\n     line */ "],
  [1, "\n  /**\n   * doc\n   */\n"],
  [2, " // end of line\n"],
  [2, "\n// own line\n"],
  [1, "\n\n// after a blank line\n\n"],
  [1, "// trailing spaces   \n"],
];

/**
 * The gaps between tokens: `spaces` (no line breaks, no comments), `plain`
 * (line breaks and blank lines, no comments), `comments`, or `dense` (comments
 * as likely as spaces).
 */
export type Layout = "spaces" | "plain" | "comments" | "dense";

function trivia(kind: Layout): fc.Arbitrary<string> {
  const choices = TRIVIA.filter(([, text]) => (kind === "spaces" ? !/[\n/]/.test(text) : kind === "plain" ? !text.includes("/") : true));
  return fc.oneof(...choices.map(([weight, text]) => ({ weight: kind === "dense" && text.includes("/") ? weight * 6 : weight, arbitrary: fc.constant(text) })));
}

/** Joins tokens with random layout; two word-like tokens are never glued together. */
export function layout(tokens: readonly string[], kind: Layout = "comments"): fc.Arbitrary<string> {
  return fc.array(trivia(kind), { minLength: tokens.length + 1, maxLength: tokens.length + 1 }).map((gaps) => {
    let text = gaps[0].startsWith("//") ? "" : gaps[0];
    for (let i = 0; i < tokens.length; i++) {
      text += tokens[i];
      let gap = gaps[i + 1];
      const next = tokens[i + 1];
      if (gap === "" && next !== undefined && wordish.test(tokens[i].slice(-1)) && wordish.test(next[0])) gap = " ";
      text += gap;
    }
    return text;
  });
}

/** A random valid program with random layout. */
export const program: fc.Arbitrary<string> = programTokens.chain((tokens) => layout(tokens));

/** A random valid program and the same program with single spaces between its tokens. */
export const programInTwoLayouts: fc.Arbitrary<[string, string]> = programTokens.chain((tokens) => layout(tokens, "spaces").map((text): [string, string] => [text, tokens.join(" ")]));

/** Like `program`, with comments between most tokens. */
export const commentedProgram: fc.Arbitrary<string> = programTokens.chain((tokens) => layout(tokens, "dense"));

/** The tokens of a file re-joined with random layout (its own comments dropped). */
export function relayout(text: string, kind: Layout = "comments"): fc.Arbitrary<string> {
  return layout(
    lex(text).tokens.map((t) => t.image),
    kind,
  );
}
