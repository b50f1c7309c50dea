/**
 * The focused cases of codes.test.ts: for each diagnostic code, a small
 * program that gives exactly that diagnostic.
 */
export interface Case {
  /** The program. */
  readonly source: string;
  /** The diagnostic starts at the first occurrence of this text (after `after`, when given). */
  readonly at: string;
  readonly after?: string;
  /** Words the message must contain. */
  readonly message: RegExp;
  readonly hint?: RegExp;
  /** Other files of the program, relative to the main file's folder. */
  readonly files?: Record<string, string>;
}

/** A schema, an enum and two topics that the pipelines below use. */
export const prelude = `enum Color { red, green }
schema M { id: string, n: int, ok: bool, color: Color, note?: string, tags: [string] }
schema Other { code: int }
topic src: M (partitions: 4)
topic dst: M (partitions: 4)
handler touch(M) -> M from "./h.ts"
handler sink(M) from "./h.ts"
handler many(M) -> [M] from "./h.ts"
pipeline base { src -> dst }
`;
const pipeline = (body: string) => `${prelude}pipeline p {\n  src ${body}\n}\n`;

export const cases: Record<string, Case> = {
  FLOW1001: { source: "schema A { x: int % }", at: "%", message: /unexpected character '%'/, hint: /names are letters/ },
  FLOW1002: { source: "schema A { x int }", at: "int }", message: /expected ':', found 'int'/ },
  FLOW1003: { source: 'schema A { x: int }\nhandler h(A) -> A from "./h.ts', at: '"./h', message: /unterminated string/, hint: /close the string/ },
  FLOW1004: { source: "schema A { x: int }\n/* open", at: "/*", message: /unterminated block comment/, hint: /'\*\/'/ },
  FLOW1005: {
    source: `schema A { x: ${"{ y: ".repeat(70)}int${" }".repeat(70)} }`,
    at: "{ y: ",
    after: "{ y: ".repeat(63),
    message: /more than 64 levels of nested/,
  },
  FLOW1006: { source: "schema A {\u0000}", at: "\u0000", message: /not text \(it contains NUL bytes\)/ },
  FLOW1007: { source: `schema A { x: int }\n// ${"x".repeat(20_001)}\n`, at: "// x", message: /line of 20004 characters is longer than the limit of 20000/ },
  FLOW1008: { source: "hello schema A { x: int }", at: "hello", message: /expected a declaration, found 'hello'/, hint: /import, schema, enum, topic, handler and pipeline/ },

  FLOW2001: { source: pipeline("| shrad(4) -> dst"), at: "shrad", message: /unknown stage 'shrad'/, hint: /did you mean 'shard'\?/ },
  FLOW2002: { source: pipeline("-> dts"), at: "dts", message: /unknown topic 'dts'/, hint: /did you mean 'dst'\?/ },
  FLOW2003: { source: "enum Colour { a }\nschema B { c: Colur }", at: "Colur }", message: /unknown type 'Colur'/, hint: /did you mean 'Colour'\?/ },
  FLOW2004: { source: pipeline("| map(tuch) -> dst"), at: "tuch", message: /unknown handler 'tuch'/, hint: /did you mean 'touch'\?/ },
  FLOW2005: { source: pipeline("| filter(.nn > 1) -> dst"), at: "nn >", message: /M has no field 'nn'/, hint: /did you mean 'n'\?/ },
  FLOW2006: { source: `${prelude}topic dst: Other`, at: "dst: Other", message: /duplicate topic 'dst'/, hint: /already declared at test\/corpus\/virtual\/main\.flow:5:7/ },
  FLOW2007: { source: "enum E { a, b, a }", at: "a }", message: /duplicate member 'a' in enum E/ },
  FLOW2008: { source: pipeline('| filter(.n == "1") -> dst'), at: '.n == "1"', message: /comparison '==': expected int, found string/ },
  FLOW2009: { source: pipeline("| copy(a) -> dst"), at: "copy(a)", message: /copy: needs at least two lanes/, hint: /usage: copy\(laneA, laneB, \.\.\.\)/ },
  FLOW2010: { source: pipeline("| filter(.color == blue) -> dst"), at: "blue", message: /'blue' is not a member of enum Color/, hint: /available: green, red/ },
  FLOW2011: { source: `${prelude}topic others: Other\npipeline p { others | map(touch) -> dst }`, at: "touch) ->", message: /handler 'touch' takes M, but the stream carries Other/ },
  FLOW2012: { source: `${prelude}topic others: Other\npipeline p { src -> others }`, at: "others }", message: /topic 'others' carries Other, but the stream carries M/ },
  FLOW2013: { source: `import "./missing.flow"\n${prelude}`, at: '"./missing.flow"', message: /cannot import '\.\/missing\.flow': no such file/ },
  FLOW2014: { source: pipeline("| map(touch) retyr(2) -> dst"), at: "retyr", message: /unknown policy 'retyr'/, hint: /did you mean 'retry'\?/ },
  FLOW2015: { source: pipeline("| filter(.ok) timeout(5s) -> dst"), at: "timeout", message: /policy 'timeout' does not apply to filter/ },
  FLOW2016: { source: pipeline("| filter(has(.n)) -> dst"), at: ".n)", message: /'\.n' is a required field, so has\(\.n\) is always true/ },
  FLOW2017: { source: pipeline("| copy(a, b) -> { a: dst, b: dst, zz: dst }"), at: "zz: dst", message: /unknown lane 'zz'/, hint: /available: a, b/ },
  FLOW2018: { source: pipeline("| flatMap(touch) -> dst"), at: "touch)", message: /flatMap needs a handler that returns an array, but 'touch' returns M/, hint: /-> \[M\]/ },
  FLOW2019: { source: pipeline("| map(sink) | filter(.ok)"), at: "filter", message: /handler 'sink' returns nothing, so no stage can follow it/ },
  FLOW2020: { source: pipeline("| map(touch) timeout(1s) timeout(2s) -> dst"), at: "timeout(2s)", message: /policy 'timeout' is given twice/ },

  FLOW3001: {
    source: `${prelude}topic mid: M (partitions: 4)\npipeline a { src -> mid }\npipeline b { mid -> src }`,
    at: "a { src",
    message: /pipelines form a cycle: mid -\(b\)-> src -\(a\)-> mid/,
  },
  FLOW3002: { source: "schema A { x: int }\ntopic lonely: A", at: "lonely", message: /topic 'lonely' is neither read nor written by any pipeline/ },
  FLOW3003: { source: pipeline("| split { r: .color == red } -> { r: dst }"), at: "split", message: /split may lose messages: no case matches \.color == green/, hint: /else/ },
  FLOW3004: { source: pipeline("| shard(0) -> dst"), at: "0)", message: /shard count must be a whole number of at least 1, found 0/ },
  FLOW3005: { source: `${prelude}topic three: M (partitions: 3)\npipeline p { src | shard(4) -> three }`, at: "three }", message: /shard\(4\) writes into topic 'three', which has 3 partitions/ },
  FLOW3006: { source: `${prelude}topic others: Other\npipeline p { src, others | merge -> dst }`, at: "merge", message: /merge joins lanes of different types: src: M, others: Other/ },
  FLOW3007: { source: pipeline("| copy(a, b) -> dst"), at: "dst\n}", message: /lanes a, b reach 'dst' without a merge/ },
  FLOW3008: { source: pipeline("| merge -> dst"), at: "merge", message: /merge has only one lane to merge/ },
  FLOW3009: { source: pipeline("| filter(.ok)"), at: "p {", message: /pipeline 'p' produces M but has no sink/ },
  FLOW3010: { source: pipeline("| copy(a, b) -> { a: dst }"), at: "{ a: dst }", message: /lane 'b' is not routed to any topic/, hint: /add 'b: <topic>'/ },
  FLOW3011: { source: pipeline("| map(sink) -> dst"), at: "dst\n}", message: /handler 'sink' returns nothing, so there is nothing to send to the sink/ },
  FLOW3012: { source: pipeline("-> src"), at: "src\n}", after: "src ->", message: /pipeline reads and writes topic 'src'/ },
};

