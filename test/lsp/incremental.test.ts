/**
 * The server's incremental re-parse gives exactly what a whole-file parse
 * gives: the same tree, tokens and diagnostics, after any sequence of edits,
 * each applied to the previous incremental result.
 */
import { describe, expect, test } from "vitest";
import fc from "fast-check";
import fs from "node:fs";
import path from "node:path";
import { parseFile, type ParsedFile } from "../../compiler/build-ast.js";
import { SourceFile } from "../../compiler/source.js";
import { IncrementalParseCache, reparse } from "../../lsp/incremental.js";
import { repoRoot } from "./client.js";
import { COMMON, MAIN } from "./fixtures.js";

const corpus = (dir: string) =>
  fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".flow"))
        .map((f) => fs.readFileSync(path.join(dir, f), "utf8"))
    : [];
const texts = [
  MAIN,
  COMMON,
  ...corpus(path.join(repoRoot, "examples")),
  ...corpus(path.join(repoRoot, "test/corpus/valid")),
  ...corpus(path.join(repoRoot, "test/corpus/invalid")),
].filter((t) => t.length < 20_000);

/** What must agree: the tree with its spans, the tokens, and the diagnostics as a set. */
function view(parsed: ParsedFile) {
  return {
    document: JSON.stringify(parsed.document),
    tokens: parsed.tokens.map((t) => `${t.tokenType.name}:${t.startOffset}:${t.image}`),
    diagnostics: parsed.diagnostics.map((d) => `${d.span.start}-${d.span.end} ${d.code} ${d.message}`).sort(),
  };
}

const PIECES = [
  "topic", "schema", "pipeline", "handler", "enum", "import", " ", "\n", "{", "}", "(", ")", "[", "]", "|", ".", ":", ",", "?",
  "->", "..", "==", "//", "/*", "*/", '"', "x", "4k", "10", "5s", "map", "shard(", "not", "else", "from", "topic t: T\n", "\u00e9", "@",
];

const edit = fc.record({ at: fc.nat(), remove: fc.nat({ max: 30 }), insert: fc.array(fc.constantFrom(...PIECES), { maxLength: 5 }).map((p) => p.join("")) });

describe("incremental re-parse", () => {
  test("after random edits, equals a whole-file parse", () => {
    let incremental = 0;
    fc.assert(
      fc.property(fc.constantFrom(...texts), fc.array(edit, { minLength: 1, maxLength: 6 }), (start, edits) => {
        let text = start;
        let parsed = parseFile(new SourceFile("/x/main.flow", text));
        for (const e of edits) {
          const at = e.at % (text.length + 1);
          text = text.slice(0, at) + e.insert + text.slice(Math.min(text.length, at + e.remove));
          const next = reparse(parsed, text);
          const full = parseFile(new SourceFile("/x/main.flow", text));
          if (next !== undefined) {
            incremental++;
            expect(view(next)).toEqual(view(full));
            parsed = next;
          } else parsed = full;
        }
      }),
      { numRuns: 400, seed: 7 },
    );
    // Most edits are re-parsed incrementally, not by falling back to the whole file.
    expect(incremental).toBeGreaterThan(800);
  });

  test("an edit inside one declaration of a large file re-parses only around it", () => {
    const blocks = Array.from({ length: 200 }, (_, i) => `schema S${i} { a: int }\ntopic t${i}: S${i}\n`).join("\n");
    const cache = new IncrementalParseCache();
    const first = cache.get("/x/big.flow", blocks);
    const edited = blocks.replace("schema S100 { a: int }", "schema S100 { a: int, b: strin }");
    const second = cache.get("/x/big.flow", edited);
    expect(cache.stats).toEqual({ full: 1, incremental: 1 });
    expect(view(second)).toEqual(view(parseFile(new SourceFile("/x/big.flow", edited))));
    // Declarations before the edit are the very same objects.
    expect(second.document.declarations[0]).toBe(first.document.declarations[0]);
    expect(second.document.declarations).toHaveLength(400);
  });

  test("an edit that opens a block comment swallows the rest, like the whole-file parse", () => {
    const parsed = parseFile(new SourceFile("/x/main.flow", MAIN));
    const text = MAIN.replace("handler render", "/* handler render");
    const next = reparse(parsed, text) ?? parseFile(new SourceFile("/x/main.flow", text));
    expect(view(next)).toEqual(view(parseFile(new SourceFile("/x/main.flow", text))));
  });
});
