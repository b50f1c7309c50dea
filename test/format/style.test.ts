/** The canonical style, one decision per test (see the top of compiler/format/printer.ts). */
import { describe, expect, it } from "vitest";
import { formatFlow } from "../../compiler/format/index.js";
import { expectSameProgram } from "./helpers.js";

/** Formats, checks the program is kept and the result is stable, and returns it. */
async function fmt(text: string, options: { printWidth?: number } = {}): Promise<string> {
  const once = await formatFlow(text, options);
  expectSameProgram(text, once);
  expect(await formatFlow(once, options)).toBe(once);
  return once;
}

const lines = (...l: string[]) => l.join("\n") + "\n";

describe("declarations", () => {
  it("prints one field per line in schemas, without commas", async () => {
    expect(await fmt("schema P { a: int, b?: [string], c: { x: float, y: float } }")).toBe(
      lines("schema P {", "  a: int", "  b?: [string]", "  c: { x: float, y: float }", "}"),
    );
  });

  it("keeps a nested record broken when the user broke it after `{`", async () => {
    expect(await fmt("schema P { c: {\n x: float, y: float } }")).toBe(lines("schema P {", "  c: {", "    x: float", "    y: float", "  }", "}"));
  });

  it("breaks a nested record that does not fit", async () => {
    const out = await fmt(`schema P { c: { ${Array.from({ length: 12 }, (_, i) => `field${i}: string`).join(", ")} } }`);
    expect(out.split("\n")[2]).toBe("    field0: string");
  });

  it("prints empty bodies as {}", async () => {
    expect(await fmt("schema P {  }\nenum E {\n}")).toBe(lines("schema P {}", "", "enum E {}"));
  });

  it("keeps enums on one line when they fit, else one member per line", async () => {
    expect(await fmt("enum Channel {email\nsms}")).toBe(lines("enum Channel { email, sms }"));
    const out = await fmt(`enum Long { ${Array.from({ length: 20 }, (_, i) => `member${i}`).join(" ")} }`);
    expect(out.split("\n").slice(0, 3)).toEqual(["enum Long {", "  member0", "  member1"]);
  });

  it("prints topics with their options in parentheses", async () => {
    expect(await fmt("topic photos:Photo(partitions:10 key:.id)")).toBe(lines("topic photos: Photo (partitions: 10, key: .id)"));
    expect(await fmt("topic plain : Photo ( )")).toBe(lines("topic plain: Photo"));
  });

  it("prints handlers on one line", async () => {
    expect(await fmt('handler  render( Photo )->Rendition  from  "./h.ts"\nhandler log(Photo)from"./h.ts"')).toBe(
      lines('handler render(Photo) -> Rendition from "./h.ts"', 'handler log(Photo) from "./h.ts"'),
    );
  });

  it("sets schemas and pipelines off by a blank line and keeps the user's blank lines elsewhere (at most one)", async () => {
    const out = await fmt('import "./a.flow"\ntopic a: A\n\n\n\ntopic b: B\nschema S { x: int }\ntopic c: C\npipeline p { a -> b }\ntopic d: D');
    expect(out).toBe(
      lines('import "./a.flow"', "topic a: A", "", "topic b: B", "", "schema S {", "  x: int", "}", "", "topic c: C", "", "pipeline p {", "  a -> b", "}", "", "topic d: D"),
    );
  });

  it("honours printWidth", async () => {
    const text = "enum Format { small, medium, large }";
    expect(await fmt(text, { printWidth: 20 })).toBe(lines("enum Format {", "  small", "  medium", "  large", "}"));
  });
});

describe("pipelines", () => {
  it("puts each stage on its own line when there are two or more", async () => {
    expect(await fmt("pipeline p { a | copy(x, y) | merge -> b }")).toBe(lines("pipeline p {", "  a", "    | copy(x, y)", "    | merge", "    -> b", "}"));
  });

  it("keeps a one-stage pipeline on one line when the user wrote it so", async () => {
    expect(await fmt("pipeline p {a|map(f)->b}")).toBe(lines("pipeline p {", "  a | map(f) -> b", "}"));
    expect(await fmt("pipeline p {a\n|map(f)->b}")).toBe(lines("pipeline p {", "  a", "    | map(f)", "    -> b", "}"));
  });

  it("breaks a one-stage pipeline that does not fit", async () => {
    const out = await fmt(`pipeline p { source | map(${"x".repeat(80)}) -> sink }`);
    expect(out.split("\n").slice(1, 4)).toEqual(["  source", `    | map(${"x".repeat(80)})`, "    -> sink"]);
  });

  it("puts split cases one per line under the stage", async () => {
    expect(await fmt("pipeline p { a | split { x: .k == 1, else: y } -> { x: t1, y: t2 } }")).toBe(
      lines("pipeline p {", "  a", "    | split {", "        x: .k == 1", "        else: y", "      }", "    -> { x: t1, y: t2 }", "}"),
    );
  });

  it("keeps policies after their stage, and breaks them under it when too long", async () => {
    expect(await fmt("pipeline p { a | map(f) retry(5, backoff: 100ms..30s) timeout(10s) -> b }")).toBe(
      lines("pipeline p {", "  a | map(f) retry(5, backoff: 100ms..30s) timeout(10s) -> b", "}"),
    );
    const out = await fmt(`pipeline p { a | map(f) retry(5, backoff: 100ms..30s) timeout(10s) concurrency(8) deadLetter(${"d".repeat(40)}) | merge -> b }`);
    expect(out.split("\n").slice(2, 7)).toEqual(["    | map(f)", "        retry(5, backoff: 100ms..30s)", "        timeout(10s)", "        concurrency(8)", `        deadLetter(${"d".repeat(40)})`]);
  });

  it("breaks a lane sink that does not fit, one route per line", async () => {
    const routes = Array.from({ length: 6 }, (_, i) => `lane${i}: topicNumber${i}`).join(", ");
    const out = await fmt(`pipeline p { a | copy(x) -> { ${routes} } }`);
    expect(out.split("\n").slice(3, 6)).toEqual(["    -> {", "        lane0: topicNumber0", "        lane1: topicNumber1"]);
  });

  it("prints several sources separated by commas", async () => {
    expect(await fmt("pipeline p { a ,b,c | merge -> d }")).toBe(lines("pipeline p {", "  a, b, c | merge -> d", "}"));
  });
});

describe("expressions", () => {
  const inFilter = async (expression: string) => {
    const out = await fmt(`pipeline p { a | filter(${expression}) -> b }`);
    return out.split("\n")[1].replace(/^ {2}a \| filter\((.*)\) -> b$/, "$1");
  };

  it("puts single spaces around operators", async () => {
    expect(await inFilter(".a==1 and.b!=2 or not.c<=3")).toBe(".a == 1 and .b != 2 or not .c <= 3");
  });

  it("keeps the parentheses the user wrote, and adds none", async () => {
    expect(await inFilter("(.a or .b) and .c")).toBe("(.a or .b) and .c");
    expect(await inFilter(".a or .b and .c")).toBe(".a or .b and .c");
    expect(await inFilter("((.a))")).toBe("((.a))");
  });

  it("prints membership, presence, lists and ranges", async () => {
    expect(await inFilter(".c in[ \"NL\" \"BE\" ] and .d not  in [sms,] and has( .e . f )")).toBe('.c in ["NL", "BE"] and .d not in [sms] and has(.e.f)');
  });

  it("prints strings, numbers and durations as written", async () => {
    expect(await inFilter('.s == "tab\\tquote\\"" and .n > - 1.50 and .d < 100ms')).toBe('.s == "tab\\tquote\\"" and .n > -1.50 and .d < 100ms');
  });
});

describe("files", () => {
  it("leaves an empty file empty and ends others with one newline", async () => {
    expect(await formatFlow("")).toBe("");
    expect(await formatFlow(" \n\n ")).toBe("");
    expect(await fmt("topic a: A")).toBe("topic a: A\n");
    expect(await fmt("topic a: A\n\n\n")).toBe("topic a: A\n");
  });

  it("turns CRLF line ends into LF", async () => {
    expect(await fmt("topic a: A\r\n\r\ntopic b: B // b\r\n")).toBe("topic a: A\n\ntopic b: B // b\n");
  });

  it("keeps a byte-order mark", async () => {
    expect(await fmt("\uFEFFtopic a:A")).toBe("\uFEFFtopic a: A\n");
  });

  it("keeps a file of comments only", async () => {
    expect(await fmt("// one\n\n\n/* two */   \n")).toBe("// one\n\n/* two */\n");
  });
});
