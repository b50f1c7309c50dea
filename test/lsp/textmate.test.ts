/**
 * The VS Code extension's TextMate grammar: generated from the compiler's own
 * lists, and it tokenizes the examples and the corpus as expected, checked
 * against fixed expectations and against the real lexer (keywords, numbers,
 * durations, strings and comments fall exactly where the lexer puts them).
 */
import { beforeAll, describe, expect, test } from "vitest";
import fs from "node:fs";
import path from "node:path";
import { parseFile } from "../../compiler/build-ast.js";
import * as A from "../../compiler/ast.js";
import { SourceFile } from "../../compiler/source.js";
import * as T from "../../grammar/tokens.js";
import { ensureBuilt, repoRoot } from "./client.js";
import { grammarFile, scopeAt, tokenize, type TmToken } from "./textmate-helpers.js";

const flowFiles = (dir: string) =>
  fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".flow"))
        .map((f) => path.join(dir, f))
    : [];
const corpus = [...flowFiles(path.join(repoRoot, "examples")), ...flowFiles(path.join(repoRoot, "test/corpus/valid"))];

beforeAll(() => ensureBuilt());

describe("TextMate grammar", () => {
  test("the committed grammar is what scripts/build-grammar.mjs generates from the compiler's lists", async () => {
    const script = (await import(path.join(repoRoot, "editors/vscode/scripts/build-grammar.mjs"))) as {
      buildGrammar: (lists: unknown) => unknown;
      compilerLists: (root: string) => Promise<unknown>;
      render: (g: unknown) => string;
    };
    const expected = script.render(script.buildGrammar(await script.compilerLists(repoRoot)));
    expect(fs.readFileSync(grammarFile, "utf8")).toBe(expected);
  });

  test("examples/photos.flow: every kind of token gets its scope", async () => {
    const text = fs.readFileSync(path.join(repoRoot, "examples/photos.flow"), "utf8");
    const tokens = await tokenize(text);
    const scope = (needle: string, occurrence = 0, into = 0) => {
      let at = -1;
      for (let i = 0; i <= occurrence; i++) at = text.indexOf(needle, at + 1);
      expect(at, needle).toBeGreaterThanOrEqual(0);
      return scopeAt(tokens, at + into).join(" ");
    };
    expect(scope("// Photo uploads")).toContain("comment.line.double-slash.flow");
    expect(scope("schema Photo")).toContain("storage.type.schema.flow");
    expect(scope("Photo {", 0)).toContain("entity.name.type.schema.flow");
    expect(scope("id: string")).toContain("variable.other.property.declaration.flow");
    expect(scope("string")).toContain("support.type.primitive.flow");
    expect(scope("takenAt?", 0, 7)).toContain("keyword.operator.optional.flow");
    expect(scope("enum Format")).toContain("storage.type.enum.flow");
    expect(scope("4k, 1080p, gif }")).toContain("variable.other.enummember.flow");
    expect(scope("format: Format", 0, 8)).toContain("entity.name.type.flow");
    expect(scope("topic photos")).toContain("storage.type.topic.flow");
    expect(scope("photos: Photo")).toContain("entity.name.topic.flow");
    expect(scope("partitions: 10")).toContain("variable.parameter.flow");
    expect(scope("10, key")).toContain("constant.numeric.flow");
    expect(scope(".id)", 0, 1)).toContain("variable.other.property.flow");
    expect(scope("handler render")).toContain("storage.type.handler.flow");
    expect(scope("render(Photo)")).toContain("entity.name.function.handler.flow");
    expect(scope("from \"")).toContain("keyword.other.from.flow");
    expect(scope('"./handlers/photos.ts"', 0, 1)).toContain("string.quoted.double.flow");
    expect(scope("pipeline renderPhotos")).toContain("storage.type.pipeline.flow");
    expect(scope("renderPhotos {")).toContain("entity.name.namespace.pipeline.flow");
    expect(scope("  photos\n", 0, 2)).toContain("variable.other.topic.flow");
    expect(scope("| copy")).toContain("keyword.operator.pipe.flow");
    expect(scope("copy(")).toContain("support.function.stage.flow");
    expect(scope("copy(4k", 0, 5)).toContain("entity.name.label.lane.flow");
    expect(scope("shard(10")).toContain("support.function.stage.flow");
    expect(scope("by: .id")).toContain("variable.parameter.flow");
    expect(scope("render) retry")).toContain("entity.name.function.handler.flow");
    expect(scope("retry(5")).toContain("support.function.policy.flow");
    expect(scope("100ms")).toContain("constant.numeric.duration.flow");
    expect(scope("..30s")).toContain("keyword.operator.range.flow");
    expect(scope("30s")).toContain("constant.numeric.duration.flow");
    expect(scope("timeout(")).toContain("support.function.policy.flow");
    expect(scope("| merge", 0, 2)).toContain("support.function.stage.flow");
    expect(scope("-> renditions")).toContain("keyword.operator.arrow.flow");
    expect(scope("-> renditions", 0, 3)).toContain("variable.other.topic.flow");
  });

  test("examples/signup.flow: split lanes, lane sinks, enum members and dropped topics", async () => {
    const text = fs.readFileSync(path.join(repoRoot, "examples/signup.flow"), "utf8");
    const tokens = await tokenize(text);
    const scope = (needle: string, into = 0) => scopeAt(tokens, text.indexOf(needle) + into).join(" ");
    expect(scope("split {")).toContain("support.function.stage.flow");
    expect(scope("email: .user.prefs")).toContain("entity.name.label.lane.flow");
    expect(scope("== email", 3)).not.toContain("entity.name.label");
    expect(scope("-> { welcome", 5)).toContain("entity.name.label.lane.flow");
    expect(scope("welcome: welcomes", 9)).toContain("variable.other.topic.flow");
    expect(scope("dropped: noMarketing", 9)).toContain("variable.other.topic.flow");
    expect(scope("prefs: {")).toContain("variable.other.property.declaration.flow");
    expect(scope("channel: Channel", 9)).toContain("entity.name.type.flow");
    expect(scope("phone?")).toContain("variable.other.property.declaration.flow");
  });

  test.each(corpus.map((f) => [path.relative(repoRoot, f), f]))("%s: keywords, numbers, durations, strings and comments sit where the lexer puts them", async (_name, file) => {
    const text = fs.readFileSync(file, "utf8");
    const tokens = await tokenize(text);
    const parsed = parseFile(new SourceFile(file, text));
    // Keywords used as names (a field `from`, a path `.topic`) are names.
    const names = new Set<number>();
    A.walk(parsed.document, (node) => {
      if (node.kind === "Identifier") names.add(node.span.start);
    });
    const problems: string[] = [];
    const check = (offset: number, image: string, wanted: RegExp) => {
      const scopes = scopeAt(tokens, offset).join(" ");
      if (!wanted.test(scopes)) problems.push(`${image} at ${offset}: ${scopes}`);
    };
    for (const token of parsed.tokens) {
      const type = token.tokenType;
      if (T.keywords.includes(type) && !names.has(token.startOffset)) check(token.startOffset, token.image, /storage\.type|keyword|constant\.language/);
      else if (type === T.Duration) check(token.startOffset, token.image, /constant\.numeric\.duration/);
      else if (type === T.NumberLiteral) check(token.startOffset, token.image, /constant\.numeric\.flow/);
      else if (type === T.StringLiteral) check(token.startOffset + 1, token.image, /string\.quoted/);
      else if (type === T.Identifier) check(token.startOffset, token.image, /^(?!.*(comment|string|constant\.numeric))/);
    }
    for (const comment of parsed.document.comments) {
      for (let offset = comment.span.start; offset < comment.span.end; offset++) {
        if (text[offset] === "\n" || text[offset] === "\r") continue;
        if (!/comment/.test(scopeAt(tokens, offset).join(" "))) {
          problems.push(`comment at ${offset}: ${scopeAt(tokens, offset).join(" ")}`);
          break;
        }
      }
    }
    // Nothing outside a comment is scoped as one.
    const inComment = (t: TmToken) => parsed.document.comments.some((c) => c.span.start <= t.offset && t.offset < c.span.end);
    for (const t of tokens) if (t.scopes.some((s) => s.startsWith("comment")) && !inComment(t)) problems.push(`not a comment: ${t.text} at ${t.offset}`);
    expect(problems).toEqual([]);
  });
});
