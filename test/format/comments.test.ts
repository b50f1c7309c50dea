/** Where comments end up (see compiler/format/comments.ts). Every case must also be stable. */
import { describe, expect, it } from "vitest";
import { formatFlow } from "../../compiler/format/index.js";
import { expectSameProgram } from "./helpers.js";

async function fmt(text: string): Promise<string> {
  const once = await formatFlow(text);
  expectSameProgram(text, once);
  expect(await formatFlow(once)).toBe(once);
  return once;
}

const lines = (...l: string[]) => l.join("\n") + "\n";

describe("comments", () => {
  it("keeps comments before a declaration, with a blank line after them if there was one", async () => {
    expect(await fmt("// header\n\n// about a\ntopic a: A")).toBe(lines("// header", "", "// about a", "topic a: A"));
  });

  it("keeps end-of-line comments at the end of their line", async () => {
    expect(await fmt("schema S { a: int // the a\n b: int }")).toBe(lines("schema S {", "  a: int // the a", "  b: int", "}"));
  });

  it("keeps a comma before an end-of-line comment", async () => {
    expect(await fmt("topic t: T (partitions: 1, // one\n key: .id)")).toBe(lines("topic t: T (", "  partitions: 1, // one", "  key: .id", ")"));
  });

  it("breaks a one-line list that holds a line comment", async () => {
    expect(await fmt("enum E { a, // first\n b }")).toBe(lines("enum E {", "  a // first", "  b", "}"));
  });

  it("keeps comments after the last item inside the braces", async () => {
    expect(await fmt("schema S {\n a: int\n\n // later\n}")).toBe(lines("schema S {", "  a: int", "", "  // later", "}"));
    expect(await fmt("enum E {\n // none yet\n}")).toBe(lines("enum E {", "  // none yet", "}"));
    expect(await fmt("pipeline p { a | merge(\n// why\n) -> b }")).toBe(lines("pipeline p {", "  a", "    | merge(", "        // why", "      )", "    -> b", "}"));
  });

  it("keeps a line comment after an opening bracket there, and breaks the list", async () => {
    expect(await fmt("schema U {\n  prefs: {      // nested record\n    channel: Channel\n  }\n}")).toBe(lines("schema U {", "  prefs: { // nested record", "    channel: Channel", "  }", "}"));
    expect(await fmt("enum E { // none yet\n}")).toBe(lines("enum E { // none yet", "}"));
    expect(await fmt("pipeline p { // body\n a | split { // cases\n x: 1 } -> b }")).toBe(
      lines("pipeline p { // body", "  a", "    | split { // cases", "        x: 1", "      }", "    -> b", "}"),
    );
  });

  it("puts comments on a stage's line before its `|`", async () => {
    expect(await fmt("pipeline p {\n a\n // first\n | copy(x)\n /* then */\n | merge -> b }")).toBe(
      lines("pipeline p {", "  a", "    // first", "    | copy(x)", "    /* then */", "    | merge", "    -> b", "}"),
    );
  });

  it("keeps an inline block comment after the `|`", async () => {
    expect(await fmt("pipeline p { a | /* all */ copy(x) | merge -> b }")).toBe(lines("pipeline p {", "  a", "    | /* all */ copy(x)", "    | merge", "    -> b", "}"));
  });

  it("keeps a one-line pipeline on one line with a comment after it", async () => {
    expect(await fmt("pipeline p {\n  a | map(f) -> b // the only step\n}")).toBe(lines("pipeline p {", "  a | map(f) -> b // the only step", "}"));
  });

  it("keeps comments at the end of the pipeline body", async () => {
    expect(await fmt("pipeline p {\n  a -> b\n\n  // done\n}")).toBe(lines("pipeline p {", "  a -> b", "", "  // done", "}"));
  });

  it("moves a line comment inside a one-line construct to the end of its line", async () => {
    expect(await fmt('handler h(A // input\n) -> B from "./h.ts"')).toBe(lines('handler h(A) -> B from "./h.ts" // input'));
    expect(await fmt("pipeline p { a | filter(.x == // compare\n 1) -> b }")).toBe(lines("pipeline p {", "  a", "    | filter(", "        .x == 1 // compare", "      )", "    -> b", "}"));
  });

  it("moves an own-line comment inside a one-line construct before its line", async () => {
    expect(await fmt("schema S { a:\n // an int\n int }")).toBe(lines("schema S {", "  // an int", "  a: int", "}"));
  });

  it("puts a second end-of-line comment for one line on the next line", async () => {
    expect(await fmt('handler h(A // one\n) -> B // two\n from "./h.ts"\ntopic t: T')).toBe(lines('handler h(A) -> B from "./h.ts" // one', "// two", "topic t: T"));
  });

  it("keeps block comments where they are", async () => {
    expect(await fmt("topic /* the */ t: /* type */ T")).toBe(lines("topic /* the */ t: /* type */ T"));
    expect(await fmt("pipeline p { a | filter(.x == -/* minus */1) -> b }")).toBe(lines("pipeline p {", "  a | filter(.x == /* minus */ -1) -> b", "}"));
  });

  it("re-indents doc comments and keeps other block comments' lines", async () => {
    expect(await fmt("schema S {\n      /**\n         * doc\n     */\n a: int }")).toBe(lines("schema S {", "  /**", "   * doc", "   */", "  a: int", "}"));
    expect(await fmt("schema S {\n      /* keep\n  this */\n a: int }")).toBe(lines("schema S {", "  /* keep", "  this */", "  a: int", "}"));
  });

  it("drops trailing spaces in comments", async () => {
    expect(await fmt("topic a: A // a   \n")).toBe("topic a: A // a\n");
  });

  it("leaves comment-like text in strings alone", async () => {
    expect(await fmt('handler h(A) from "./h.ts//x"\nimport "/* no */.flow"')).toBe(lines('handler h(A) from "./h.ts//x"', 'import "/* no */.flow"'));
  });
});
