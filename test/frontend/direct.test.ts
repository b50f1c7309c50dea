/**
 * The direct parser (compiler/parse-direct.ts) reads declarations without
 * syntax errors straight into the AST, and leaves the rest to Chevrotain's
 * parser and build-ast.ts. A file must give the same tree and diagnostics
 * either way: on every corpus file, on random programs made from the grammar,
 * and on broken variants of them.
 */
import { describe, expect, it } from "vitest";
import { parseFile } from "../../compiler/build-ast.js";
import { SourceFile } from "../../compiler/source.js";
import { corpus } from "./helpers.js";

function expectSameParse(text: string): void {
  const direct = parseFile(new SourceFile("/virtual/test.flow", text));
  const viaTree = parseFile(new SourceFile("/virtual/test.flow", text), { direct: false });
  // JSON too: the golden trees are written as JSON, so the order of properties matters.
  expect(JSON.stringify(direct.document), text).toBe(JSON.stringify(viaTree.document));
  expect(direct.document, text).toStrictEqual(viaTree.document);
  expect(direct.diagnostics, text).toStrictEqual(viaTree.diagnostics);
}

/** mulberry32: a small seeded generator, so a failure can be reproduced. */
function generator(seed: number) {
  let state = seed;
  const next = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const times = (n: number, f: () => string) => Array.from({ length: n }, f);

  const keywords = ["import", "schema", "enum", "topic", "handler", "pipeline", "from", "and", "or", "not", "in", "has", "true", "false", "else"];
  const ident = () => pick(["a", "b", "id", "4k", "1080p", "fast", "merge", "map", "copy", "retry", "first", "topics"]);
  const sep = () => pick([", ", " ", ",\n", "\n  "]);
  const fieldName = () => (int(4) === 0 ? pick(keywords) : ident());
  const type = (depth: number): string => {
    const r = int(depth > 2 ? 1 : 4);
    return r === 1 ? `[${type(depth + 1)}]` : r === 2 ? fields(depth + 1) : pick(["string", "int", "Order"]);
  };
  const fields = (depth: number): string => `{ ${times(int(4), () => `${fieldName()}${int(3) === 0 ? "?" : ""}: ${type(depth)}`).join(sep())} }`;
  const path = () => times(1 + int(3), () => "." + fieldName()).join("");
  const list = (depth: number) => `[${times(int(3), () => expression(depth + 1)).join(sep())}]`;
  const primary = (depth: number): string => {
    switch (int(depth > 3 ? 8 : 11)) {
      case 0:
        return path();
      case 1:
        return '"s\\"t"';
      case 2:
        return pick(["1", "0", "2.5"]);
      case 3:
        return pick(["10s", "100ms", "5m"]);
      case 4:
        return "-" + pick(["1", "2.5", "10s"]);
      case 5:
        return pick(["true", "false"]);
      case 6:
        return ident();
      case 7:
        return `has(${path()})`;
      case 8:
        return `(${expression(depth + 1)})`;
      default:
        return list(depth);
    }
  };
  const range = (depth: number) => (int(5) === 0 ? `${primary(depth)}..${primary(depth)}` : primary(depth));
  const comparison = (depth: number) => {
    const r = int(4);
    if (r === 0) return `${range(depth)} ${pick(["==", "!=", "<=", ">=", "<", ">"])} ${range(depth)}`;
    if (r === 1) return `${range(depth)} ${pick(["in", "not in"])} ${list(depth)}`;
    return range(depth);
  };
  const not = (depth: number): string => (int(5) === 0 ? `not ${not(depth + 1)}` : comparison(depth));
  const and = (depth: number) => times(1 + (int(3) === 0 ? int(3) : 0), () => not(depth)).join(" and ");
  const expression = (depth: number): string => times(1 + (int(3) === 0 ? int(3) : 0), () => and(depth)).join(" or ");
  const argument = () => (int(3) === 0 ? `${pick([ident(), "else"])}: ${expression(0)}` : expression(0));
  const args = (open: string, close: string) => `${open}${times(int(4), argument).join(sep())}${close}`;
  const call = () => ident() + pick(["", "", args("(", ")"), args("{ ", " }")]);
  const sink = () => (int(2) ? ident() : `{ ${times(int(3), () => `${ident()}: ${ident()}`).join(sep())} }`);
  const declaration = () => {
    switch (int(6)) {
      case 0:
        return `import "./x.flow"`;
      case 1:
        return `schema ${ident()} ${fields(0)}`;
      case 2:
        return `enum ${ident()} { ${times(int(4), ident).join(sep())} }`;
      case 3:
        return `topic ${ident()}: ${type(0)}${int(2) ? " " + args("(", ")") : ""}`;
      case 4:
        return `handler ${ident()}(${type(0)})${int(2) ? " -> " + type(0) : ""} from "./h.ts"`;
      default: {
        const stages = times(int(4), () => "\n  | " + times(1 + int(3), call).join(" ")).join("");
        return `pipeline ${ident()} { ${times(1 + int(2), ident).join(", ")}${stages}${int(3) ? " -> " + sink() : ""} }`;
      }
    }
  };
  const vocabulary = ["{", "}", "(", ")", "[", "]", "|", "->", ",", ":", ".", "..", "?", "==", "in", "not", "and", "or", "has", "else", "x", "-", "5", "10s", '"s"', "pipeline", "topic"];
  const mutate = (text: string) => {
    const at = int(text.length + 1);
    switch (int(3)) {
      case 0:
        return text.slice(0, at) + text.slice(at + 1 + int(4));
      case 1:
        return `${text.slice(0, at)} ${pick(vocabulary)} ${text.slice(at)}`;
      default:
        return `${text.slice(0, at)} ${pick(vocabulary)}${text.slice(at + 1)}`;
    }
  };
  return {
    program(): string {
      let text = times(1 + int(4), declaration).join("\n");
      if (int(2) === 0) for (let k = 1 + int(3); k > 0; k--) text = mutate(text);
      return text;
    },
  };
}

describe("direct parser", () => {
  it.each(corpus().map((f) => [`${f.group}/${f.name}`, f.text]))("reads %s as Chevrotain's tree does", (_, text) => {
    expectSameParse(text);
  });

  it("reads random programs, and broken variants of them, as Chevrotain's tree does", () => {
    const random = generator(20261128);
    for (let i = 0; i < 1000; i++) expectSameParse(random.program());
  });
});
