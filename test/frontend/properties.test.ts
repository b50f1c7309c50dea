/**
 * Properties of the front end on arbitrary and damaged input: parsing and
 * checking never throw, every diagnostic's span lies inside the text, and every
 * node's span lies inside its parent's.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { childrenOf, walk, nodeAt, type Node } from "../../compiler/ast.js";
import { lex } from "../../grammar/lexer.js";
import path from "node:path";
import { checkText, corpus, corpusDir, parseText, spansInside } from "./helpers.js";

const files = corpus();
const texts = files.map((f) => f.text);
/** Mutated files are checked as if they sat beside the valid corpus, so their imports load. */
const besideCorpus = path.join(corpusDir, "valid", "mutated.flow");

/** Pieces of the language, so random programs get past the first token. */
const fragments = [
  "schema", "enum", "topic", "handler", "pipeline", "import", "from", "and", "or", "not", "in", "has", "true", "false", "else",
  "A", "B", "x", "y", "4k", "copy", "filter", "split", "shard", "merge", "map", "flatMap", "retry", "timeout", "first", "by", "dropped",
  "string", "int", "bool", "float", "timestamp", "bytes",
  "{", "}", "(", ")", "[", "]", ",", ":", "?", "|", "->", "..", ".", "==", "!=", "<", "<=", ">", ">=", "-",
  "10", "2.5", "100ms", "30s", '"./a.flow"', '"x', "//c\n", "/*c*/", "/*", "\n", " ", "\t", "\r\n", "é", "\u0000", "@",
];
const programLike = fc.array(fc.constantFrom(...fragments), { maxLength: 80 }).map((parts) => parts.join(" "));

/** A corpus file damaged by deleting, inserting or duplicating characters or whole tokens. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant("deleteChars" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ kind: fc.constant("insertChars" as const), at: fc.nat(), text: fc.oneof(fc.string({ maxLength: 6, unit: "binary" }), fc.constantFrom(...fragments)) }),
  fc.record({ kind: fc.constant("duplicateChars" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant("deleteToken" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("duplicateToken" as const), at: fc.nat(), to: fc.nat() }),
  fc.record({ kind: fc.constant("swapTokens" as const), at: fc.nat(), to: fc.nat() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(text: string, m: Mutation): string {
  const at = text.length === 0 ? 0 : m.at % text.length;
  switch (m.kind) {
    case "deleteChars":
      return text.slice(0, at) + text.slice(at + m.length);
    case "insertChars":
      return text.slice(0, at) + m.text + text.slice(at);
    case "duplicateChars":
      return text.slice(0, at) + text.slice(at, at + m.length) + text.slice(at);
  }
  const tokens = lex(text).tokens;
  if (tokens.length === 0) return text;
  const t = tokens[m.at % tokens.length];
  const start = t.startOffset;
  const end = (t.endOffset ?? start) + 1;
  if (m.kind === "deleteToken") return text.slice(0, start) + text.slice(end);
  const u = tokens[m.to % tokens.length];
  const uStart = u.startOffset;
  if (m.kind === "duplicateToken") return text.slice(0, uStart) + t.image + " " + text.slice(uStart);
  // swap: move token t to u's place
  if (uStart >= start && uStart < end) return text;
  const without = text.slice(0, start) + text.slice(end);
  const target = uStart > start ? uStart - (end - start) : uStart;
  return without.slice(0, target) + t.image + " " + without.slice(target);
}

const mutatedCorpus = fc
  .tuple(fc.integer({ min: 0, max: texts.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 5 }))
  .map(([index, mutations]) => mutations.reduce(mutate, texts[index]));

/** Every child's span lies inside its parent's, and spans run forwards inside the text. */
function spansNest(root: Node, length: number): string | undefined {
  let problem: string | undefined;
  walk(root, (node, parent) => {
    if (problem) return;
    if (!(0 <= node.span.start && node.span.start <= node.span.end && node.span.end <= length)) problem = `${node.kind} span ${JSON.stringify(node.span)} outside 0..${length}`;
    else if (parent && !(parent.span.start <= node.span.start && node.span.end <= parent.span.end)) {
      problem = `${node.kind} ${JSON.stringify(node.span)} not inside its parent ${parent.kind} ${JSON.stringify(parent.span)}`;
    }
  });
  return problem;
}

function parsesWell(text: string): void {
  const parsed = parseText(text);
  expect(spansInside(parsed.diagnostics, text.length), "diagnostic spans inside the text").toBe(true);
  expect(spansNest(parsed.document, text.length)).toBeUndefined();
  // Declarations come in source order and do not overlap.
  const decls = parsed.document.declarations;
  for (let i = 1; i < decls.length; i++) expect(decls[i - 1].span.end).toBeLessThanOrEqual(decls[i].span.start);
}

describe("parser properties", () => {
  it("never throws on arbitrary strings (full unicode), and its spans are sound", () => {
    fc.assert(fc.property(fc.string({ maxLength: 200, unit: "binary" }), parsesWell), { numRuns: 1000 });
  });

  it("never throws on arbitrary sequences of the language's own tokens", () => {
    fc.assert(fc.property(programLike, parsesWell), { numRuns: 1000 });
  });

  it("never throws on randomly mutated corpus files", () => {
    fc.assert(fc.property(mutatedCorpus, parsesWell), { numRuns: 600 });
  });

  it("reports a syntax error, or parses, for every mutation: never silently loses a declaration keyword", () => {
    // A mutated file either gives diagnostics or every declaration keyword in it starts a declaration in the tree.
    fc.assert(
      fc.property(mutatedCorpus, (text) => {
        const parsed = parseText(text);
        if (parsed.diagnostics.some((d) => d.severity === "error")) return;
        const keywords = parsed.tokens.filter((t, i, all) => ["Schema", "Enum", "Topic", "Handler", "Pipeline", "Import"].includes(t.tokenType.name) && all[i - 1]?.tokenType.name !== "Dot" && all[i + 1]?.tokenType.name !== "Colon" && all[i + 1]?.tokenType.name !== "Question");
        expect(parsed.document.declarations.length).toBe(keywords.length);
      }),
      { numRuns: 500 },
    );
  });

  it("nodeAt finds a chain from the document down to a node holding the offset", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: texts.length - 1 }), fc.nat(), (index, n) => {
        const text = texts[index];
        const offset = n % (text.length + 1);
        const chain = nodeAt(parseText(text).document, offset);
        expect(chain[0].kind).toBe("Document");
        for (let i = 1; i < chain.length; i++) {
          expect(childrenOf(chain[i - 1])).toContain(chain[i]);
          expect(chain[i].span.start <= offset && offset <= chain[i].span.end).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});

/** The tree without positions and comments: what layout must not change. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => k !== "span" && k !== "comments").map(([k, v]) => [k, shape(v)]));
}

describe("layout", () => {
  it("whitespace and comments between tokens change neither the tree nor the diagnostics", () => {
    const separator = fc.constantFrom(" ", "\n", "\t", "\r\n", "  /* c */ ", " // c\n", "\n\n/* a\nb */\n");
    // Files whose text is all tokens, comments and whitespace (no stray characters or unclosed strings and comments).
    const lexable = texts.filter((t) => !parseText(t).diagnostics.some((d) => ["FLOW1001", "FLOW1003", "FLOW1004", "FLOW1006", "FLOW1007"].includes(d.code)));
    expect(lexable.length).toBeGreaterThan(20);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: lexable.length - 1 }), fc.infiniteStream(separator), (index, separators) => {
        const text = lexable[index];
        const { tokens } = lex(text);
        const relaid = tokens.map((t) => t.image).reduce((out, image) => out + separators.next().value + image, "");
        const a = checkText(text, besideCorpus);
        const b = checkText(relaid, besideCorpus);
        expect(b.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual(a.diagnostics.map((d) => `${d.code} ${d.message}`));
        expect(shape(b.files.get(besideCorpus)!.document.declarations)).toEqual(shape(a.files.get(besideCorpus)!.document.declarations));
      }),
      { numRuns: 150 },
    );
  });
});

describe("checker properties", () => {
  it("never throws on randomly mutated corpus files, and its spans are sound", () => {
    fc.assert(
      fc.property(mutatedCorpus, (text) => {
        const program = checkText(text, besideCorpus);
        for (const d of program.diagnostics) {
          const source = program.sourceOf(d.file);
          expect(source, `diagnostic in a loaded file: ${d.file}`).toBeDefined();
          expect(spansInside([d], source!.text.length)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("never throws on arbitrary sequences of the language's own tokens", () => {
    fc.assert(
      fc.property(programLike, (text) => {
        checkText(text);
      }),
      { numRuns: 500 },
    );
  });

  it("is deterministic: the same text gives the same diagnostics", () => {
    fc.assert(
      fc.property(mutatedCorpus, (text) => {
        const a = checkText(text, besideCorpus).diagnostics.map((d) => `${d.code}@${d.span.start}:${d.message}`);
        const b = checkText(text, besideCorpus).diagnostics.map((d) => `${d.code}@${d.span.start}:${d.message}`);
        expect(a).toEqual(b);
      }),
      { numRuns: 100 },
    );
  });
});
