/**
 * Inputs that broke the front end once. Each test names what went wrong.
 */
import { describe, expect, it } from "vitest";
import { walk, type Node } from "../../compiler/ast.js";
import { MAX_NESTING, MAX_OPERANDS } from "../../compiler/build-ast.js";
import { checkText, parseText } from "./helpers.js";

const codes = (text: string) => checkText(text).diagnostics.map((d) => d.code);

function nodes(root: Node, kind: string): Node[] {
  const found: Node[] = [];
  walk(root, (n) => {
    if (n.kind === kind) found.push(n);
  });
  return found;
}

describe("nesting guard", () => {
  it("an unclosed bracket in one declaration does not count against the next ones", () => {
    // Three topics with an unclosed '(' made a later 60-deep (legal) filter 'too deep', and hid everything after it.
    const text = [
      "schema A { x: bool }",
      "topic t: A",
      "topic u: A",
      ...Array.from({ length: 70 }, (_, i) => `topic q${i}: A (`),
      `pipeline p { t | filter(${"(".repeat(60)}.x${")".repeat(60)}) -> u }`,
      "pipeline r { t -> nowhere }",
    ].join("\n");
    const list = codes(text);
    expect(list.filter((c) => c === "FLOW1005")).toEqual([]);
    expect(list.filter((c) => c === "FLOW1002")).toHaveLength(70);
    expect(list).toContain("FLOW2002"); // the last pipeline is still checked
  });

  it("a declaration of 100,000 operands over many lines is reported, not a stack overflow", () => {
    // parsable.push(...tokens) overflowed the call stack on a declaration this large.
    const condition = Array.from({ length: 100_000 }, () => ".x").join("\n or ");
    const parsed = parseText(`schema A { x: bool }\ntopic t: A\ntopic u: A\npipeline p { t | filter(${condition}) -> u }`);
    expect(parsed.diagnostics.map((d) => d.code)).toEqual(["FLOW1005"]);
    expect(parsed.diagnostics[0].message).toContain(`${MAX_OPERANDS} operands`);
    expect(parsed.document.declarations.map((d) => d.kind)).toEqual(["Schema", "Topic", "Topic"]);
  });

  it("a long run of 'not' is reported, not a stack overflow", () => {
    const parsed = parseText(`pipeline p { t | filter(${"not\n".repeat(100_000)}.x) -> u }`);
    expect(parsed.diagnostics.map((d) => d.code)).toEqual(["FLOW1005"]);
    expect(parsed.diagnostics[0].message).toContain(`${MAX_NESTING} 'not'`);
  });

  it("conditions just under the limits parse and check", () => {
    const text = [
      "schema A { x: bool }",
      "topic t: A",
      "topic u: A",
      `pipeline p { t | filter(${Array.from({ length: MAX_OPERANDS - 1 }, () => ".x").join("\n or ")}) -> u }`,
      `pipeline q { t | filter(${"not ".repeat(MAX_NESTING)}.x) -> u }`,
      // The pipeline's braces and filter's parentheses count too: 2 + 62 = 64 levels.
      `pipeline r { t | filter(${"(".repeat(MAX_NESTING - 2)}.x${")".repeat(MAX_NESTING - 2)}) -> u }`,
    ].join("\n");
    expect(codes(text)).toEqual([]);
  });
});

describe("graph", () => {
  it("a chain of 20,000 pipelines does not overflow the stack in the cycle search", () => {
    const lines = ["schema A { x: bool }"];
    for (let i = 0; i <= 20_000; i++) lines.push(`topic t${i}: A`);
    for (let i = 0; i < 20_000; i++) lines.push(`pipeline p${i} { t${i} -> t${i + 1} }`);
    expect(codes(lines.join("\n"))).toEqual([]);
    lines.push("pipeline back { t20000 -> t0 }");
    const program = checkText(lines.join("\n"));
    expect(program.diagnostics.map((d) => d.code)).toEqual(["FLOW3001"]);
    expect(program.diagnostics[0].message).toMatch(/^pipelines form a cycle: t0 -\(p0\)-> t1 -\(p1\)-> .* t20000 -\(back\)-> t0$/);
  });
});

describe("names in broken declarations", () => {
  it("a pipeline without a name does not take its first source for its name", () => {
    const parsed = parseText("topic t: A\ntopic u: A\npipeline { t -> u }");
    const pipeline = parsed.document.declarations.find((d) => d.kind === "Pipeline")!;
    expect(pipeline.kind === "Pipeline" && pipeline.name.missing).toBe(true);
    expect(pipeline.kind === "Pipeline" && pipeline.sources.map((s) => s.text)).toEqual(["t"]);
    expect(codes("schema A { x: int }\ntopic t: A\ntopic u: A\npipeline { t -> u }")).not.toContain("FLOW2006");
  });

  it("an enum without a name keeps all of its members", () => {
    const decl = parseText("enum { a, b }").document.declarations[0];
    expect(decl.kind === "Enum" && decl.name.missing).toBe(true);
    expect(decl.kind === "Enum" && decl.members.map((m) => m.text)).toEqual(["a", "b"]);
  });

  it("a lane route missing its topic does not shift the routes after it", () => {
    const decl = parseText("pipeline p { t | copy(a, b, c) -> { a: , b: x, c: y } }").document.declarations[0];
    const routes = decl.kind === "Pipeline" && decl.sink?.kind === "LaneSink" ? decl.sink.routes : [];
    expect(routes.map((r) => `${r.lane.text}:${r.topic.missing ? "?" : r.topic.text}`)).toEqual(["a:?", "b:x", "c:y"]);
  });
});

describe("keywords as field names", () => {
  it("every keyword may name a field and a path segment, as the language reference says", () => {
    // 'and: int' in a schema gave eight syntax errors.
    const text = [
      "schema A { and: int, or: bool, not: string, true: bool, false?: int, in: int, has: bool, from: string }",
      "topic t: A",
      "topic u: A",
      'pipeline p { t | filter(.and > 1 and .or and not .not == "x" and .true and has(.false) and .in > 0 and .has) -> u }',
    ].join("\n");
    expect(codes(text)).toEqual([]);
  });
});

describe("recovery", () => {
  it("an unterminated string is one lexical error, not also a parse error", () => {
    expect(parseText('schema A { x: int }\nhandler h(A) -> A from "./h.ts').diagnostics.map((d) => d.code)).toEqual(["FLOW1003"]);
  });

  it("a missing operand after recovery stays inside its expression's span", () => {
    // The Binary for '( and .w < 1' got a span that ended before its right operand.
    const parsed = parseText("pipeline p { a | filter(.w > 0 ( and .w < 1) -> b }");
    for (const binary of nodes(parsed.document, "Binary")) {
      if (binary.kind !== "Binary") continue;
      for (const side of [binary.left, binary.right]) {
        expect(binary.span.start).toBeLessThanOrEqual(side.span.start);
        expect(side.span.end).toBeLessThanOrEqual(binary.span.end);
      }
    }
  });
});

describe("one mistake, one message", () => {
  it("ordering on a bool is one error", () => {
    expect(codes("schema A { ok: bool }\ntopic t: A\ntopic u: A\npipeline p { t | filter(.ok > 1) -> u }")).toEqual(["FLOW2008"]);
  });

  it("'in' on a record is one error, not one more per item", () => {
    expect(codes('schema A { r: { x: int } }\ntopic t: A\ntopic u: A\npipeline p { t | filter(.r in ["a", "b"]) -> u }')).toEqual(["FLOW2008"]);
  });

  it("merge with a wrong mode still merges", () => {
    expect(codes("schema A { x: int }\ntopic t: A\ntopic u: A\npipeline p { t | copy(a, b) | merge(last) -> u }")).toEqual(["FLOW2009"]);
  });

  it("merge after a stage that failed does not warn about its lanes", () => {
    expect(codes("schema A { x: int }\ntopic t: A\ntopic u: A\npipeline p { t | copy(a, b, a) | merge -> u }")).toEqual(["FLOW2007"]);
  });

  it("a pipeline cut short by a syntax error does not also 'lose messages', nor leave topics 'unused'", () => {
    // 't copy(a, b)' (a missing '|') also said: no sink, and topic 'u' unused.
    expect(codes("schema A { x: int }\ntopic t: A\ntopic u: A\npipeline p { t copy(a, b) -> u }")).toEqual(["FLOW1002"]);
    // Without the syntax error, the same findings are reported.
    expect(codes("schema A { x: int }\ntopic t: A\ntopic u: A\npipeline p { t }")).toEqual(["FLOW3002", "FLOW3009"]);
  });

  it("a field written without its dot says how to write it", () => {
    const [d] = checkText("schema A { x: int }\ntopic t: A\ntopic u: A\npipeline p { t | filter(x > 1) -> u }").diagnostics;
    expect(d.message).toBe("condition: expected int, found the name 'x' (a field is written with a dot: .x)");
  });

  it("characters from other languages get a hint with flow's way", () => {
    const hints = parseText("schema A { x: int; y: int }\npipeline p { t | filter(.x = 1 && .y != 'a') -> u }").diagnostics.map((d) => d.hint);
    expect(hints).toEqual([
      "fields and arguments are separated by newlines or ','",
      "compare with '=='; options are written name: value",
      "join conditions with 'and'",
      "strings use double quotes",
      "strings use double quotes",
    ]);
  });

  it("a topic named only by a failing sink is not also 'unused'", () => {
    expect(codes('schema A { x: int }\ntopic t: A\ntopic u: A\nhandler h(A) from "./h.ts"\npipeline p { t | map(h) -> u }')).toEqual(["FLOW3011"]);
  });
});

describe("syntax error hints", () => {
  it("a syntax error shows the shape of its declaration", () => {
    const hintOf = (text: string) => parseText(text).diagnostics.map((d) => d.hint);
    expect(hintOf("schema A { x int }")).toEqual(["schema Name { field: type, optional?: type, list: [type], nested: { field: type } }"]);
    expect(hintOf("pipeline p { t copy(a, b) -> u }")[0]).toMatch(/^stages are joined with '\|'/);
    expect(hintOf('handler h(A) -> B "./h.ts"')).toEqual(['handler name(Input) -> Output from "./module.ts"']);
    expect(hintOf("schema A { x: int } more")[0]).toMatch(/^the declaration before is complete/);
  });
});
