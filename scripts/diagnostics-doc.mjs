#!/usr/bin/env node
// Writes docs/diagnostics.md from the diagnostic catalogue (compiler/diagnostics.ts)
// and the focused cases of the tests (test/frontend/code-cases.ts): every code, its
// severity, what triggers it, an example with the real output of `flowc check`,
// and the fix. The examples are run, so the document cannot drift from the
// compiler; test/frontend/docs.test.ts fails when the file is out of date.
//
//   node --import tsx scripts/diagnostics-doc.mjs          (rewrites the file)
//   node --import tsx scripts/diagnostics-doc.mjs --check  (exit 1 when stale)
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { messages } from "../compiler/diagnostics.ts";
import { createProgram, nodeHost } from "../compiler/program.ts";
import { renderDiagnostics } from "../compiler/render.ts";
import { cases, prelude } from "../test/frontend/code-cases.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const docPath = path.join(root, "docs/diagnostics.md");

/** What triggers each code and how to fix it. Examples come from code-cases.ts. */
const explain = {
  FLOW1001: ["A character that starts no token: `@`, `#`, `;`, a non-ASCII letter in a name.", "Remove it. Names are ASCII letters, digits and `_`; strings use double quotes; comments start with `//` or `/*`."],
  FLOW1002: ["The parser expected one thing and found another; the message says both. At the end of a declaration the 'found' is the start of the next one.", "Write what was expected. The rest of the file is still read: fix the first error of a declaration first, later ones may follow from it."],
  FLOW1003: ["A string with no closing `\"` on its line.", "Close the string on the same line; strings cannot span lines."],
  FLOW1004: ["A `/*` comment with no `*/`: the rest of the file is inside it.", "Close the comment with `*/`."],
  FLOW1005: [
    "A declaration nested too deeply for the parser: more than 64 levels of `()`, `[]` and `{}` (the declaration's own braces count), more than 64 `not` in a row, or more than 1,000 operands joined by `and`/`or` in one condition. The declaration is skipped; the others are still checked.",
    "Simplify the condition, or declare deeply nested records as schemas of their own.",
  ],
  FLOW1006: ["The text contains NUL bytes: it is not a text file. (`flowc check` refuses a file that is not valid UTF-8 before parsing: `cannot read x.flow: it is not UTF-8 text`, exit code 2.)", "Check the file name; .flow files are UTF-8 text."],
  FLOW1007: ["A line longer than 20,000 characters (usually generated or binary content). The file is not parsed.", "Break the line; a declaration may span any number of lines."],
  FLOW1008: ["Tokens before the first declaration that start none.", "Start the file with `import`, `schema`, `enum`, `topic`, `handler` or `pipeline`, or make the text a comment."],

  FLOW2001: ["A stage name that is not one of copy, filter, split, shard, merge, map, flatMap.", "Use the suggested name; see docs/language.md for the stages."],
  FLOW2002: ["A topic name (source, sink, `dropped:`, `deadLetter`) that no file of the program declares.", "Declare it (`topic name: Schema`), import the file that does, or use the suggested name."],
  FLOW2003: ["A type name that is neither a primitive (string, int, float, bool, timestamp, bytes) nor a declared schema or enum.", "Declare the type, import it, or use the suggested name."],
  FLOW2004: ["`map`/`flatMap` names a handler that is not declared.", "Declare it: `handler name(In) -> Out from \"./module.ts\"`, or use the suggested name."],
  FLOW2005: ["A field path names a field the message type does not have (in a condition, a shard key or a topic key).", "Use the suggested field, or add the field to the schema."],
  FLOW2006: ["Two declarations with the same name in one program (all files a program imports share one namespace; types, and topics/handlers/pipelines, are two namespaces). A built-in type name cannot be declared.", "Rename one of them."],
  FLOW2007: ["The same name twice inside one declaration: fields of a record, enum members, topic options, lanes of copy, split or a lane sink.", "Remove or rename the repeated one."],
  FLOW2008: ["An expression whose type does not fit where it stands: a condition that is not bool, a comparison of different types, ordering on a type without order, `in` on a non-scalar value, a path through a non-record, a shard or topic key that is not scalar.", "Compare like with like: an int field with a number, an enum field with one of its members, a timestamp with an ISO 8601 string."],
  FLOW2009: ["A stage, policy or topic option with the wrong arguments; the hint shows the usage.", "Follow the usage line in the hint."],
  FLOW2010: ["A bare name compared with an enum field that is not a member of the enum.", "Use one of the enum's members (the hint lists them or suggests the closest)."],
  FLOW2011: ["`map`/`flatMap` with a handler whose declared input type is not the type of the stream (or of some lane).", "Map the stream to the handler's input type first, or change the handler's declaration."],
  FLOW2012: ["A sink (or a `dropped:` topic) whose type is not the type of the stream or lane written to it.", "Write to a topic of the right type, or map the stream before the sink."],
  FLOW2013: ["An import that cannot be loaded: no such file, a directory, not UTF-8 text, or a path that does not end in `.flow`.", "Fix the path; it is relative to the importing file."],
  FLOW2014: ["A name written after a stage that is not a policy (retry, timeout, concurrency, deadLetter).", "Use the suggested policy, or start a new stage with `|`."],
  FLOW2015: ["A policy after a stage other than map or flatMap, or a policy written where a stage should be.", "Write policies right after the map or flatMap they govern: `| map(h) retry(3) timeout(10s)`."],
  FLOW2016: ["`has(.field)` on a required field: always true (a warning).", "Drop the test, or make the field optional (`field?: type`) if it may be absent."],
  FLOW2017: ["A lane sink routes a lane that the stream does not have.", "Use the lane names made by copy or split (or the source topics' names), as the hint lists."],
  FLOW2018: ["`flatMap` with a handler that does not return an array.", "Declare the handler as returning `[T]`, or use `map`."],
  FLOW2019: ["A stage after a handler that returns nothing (declared without `->`): there is no message to pass on.", "End the pipeline at that stage, or declare the handler's output type."],
  FLOW2020: ["The same policy twice after one stage.", "Keep one."],

  FLOW3001: ["Pipelines connected through topics form a cycle: messages would travel round for ever. The message prints the cycle, topic by topic, with the pipeline of each step.", "Break the cycle: write one of the steps to a new topic."],
  FLOW3002: ["A declared topic that no pipeline reads or writes (a warning).", "Use it in a pipeline, or remove it."],
  FLOW3003: ["A split without `else` whose cases cannot be shown to cover every message: a member of the enum (or a bool value) with no case, a test on an optional field, or conditions flowc cannot reason about (ranges, two fields).", "Add `else: <lane>`, or cover every value of one required enum or bool field with `==`, `in [...]`, or the bool field and its negation."],
  FLOW3004: ["A shard count that is not a whole number of at least 1.", "Write a whole number: `shard(8, by: .id)`."],
  FLOW3005: ["A sharded lane written to a topic whose declared partitions differ from the shard count: shard i would not be partition i.", "Give the topic `(partitions: n)` equal to the shard count, or shard into the topic's partitions."],
  FLOW3006: ["`merge` of lanes that carry different types.", "Map every lane to one type before merge, or route the lanes to separate topics with a lane sink."],
  FLOW3007: ["Several lanes reach a single-topic sink without a merge.", "Add `| merge` before the sink, or route each lane: `-> { a: topicA, b: topicB }`."],
  FLOW3008: ["`merge` where there is only one lane (a warning): it does nothing.", "Remove it, or copy/split first."],
  FLOW3009: ["A pipeline whose stream has messages at its end but no sink: they would be lost.", "End it with `-> topic`, or with a lane sink."],
  FLOW3010: ["A lane sink that leaves a lane unrouted: its messages would be lost.", "Add `lane: topic` for it."],
  FLOW3011: ["A sink after a handler that returns nothing: there is nothing to send.", "Remove the sink, or declare the handler's output type."],
  FLOW3012: ["A pipeline that writes the topic it reads: it would feed itself for ever.", "Write to another topic."],
  FLOW3013: ["Reported by `flowc build`: a declared topic's Kafka name is one the compiler plans for a worker's internal, retry or dead-letter topic.", "Rename the topic, or give it another Kafka name with `(name: \"...\")`."],

  FLOW4001: ["Reported by `flowc build`: a handler's module file does not exist.", "Fix the `from \"...\"` path; it is relative to the .flow file."],
  FLOW4002: ["Reported by `flowc build`: the module does not export a function with the handler's name.", "Export it: `export function name(input: In, ctx?: unknown): Out`, or use the suggested name."],
  FLOW4003: ["Reported by `flowc build`: the exported function's parameter or return type does not match the handler's declaration.", "Make the TypeScript signature match the declared input and output types."],
};

/** Examples whose source is too long to print: what to show instead. */
const shortened = {
  FLOW1005: "schema A { x: { y: { y: { y: ... 70 levels ... int } } } }",
  FLOW1007: "schema A { x: int }\n// xxxxxxxx... (a line of 20,004 characters)",
};

function example(code) {
  const c = cases[code];
  if (c === undefined) return undefined;
  const file = path.join(root, "example.flow");
  const extra = Object.fromEntries(Object.entries(c.files ?? {}).map(([name, text]) => [path.join(root, name), text]));
  const texts = { [file]: c.source, ...extra };
  const host = { readFile: (f) => (Object.hasOwn(texts, f) ? { text: texts[f] } : nodeHost.readFile(f)) };
  const program = createProgram([file], { host });
  let output = renderDiagnostics(program.diagnostics, program.sourceOf, { cwd: root, color: false });
  if (shortened[code]) output = output.split("\n").filter((line) => !/^\s+\d*\s*\|/.test(line)).join("\n");
  let source = (shortened[code] ?? c.source).replace(/\u0000/g, "\\0");
  if (source.startsWith(prelude)) source = `// (the declarations under "Examples" above)\n${source.slice(prelude.length)}`;
  return { source, output };
}

export function renderDoc() {
  const entries = Object.entries(messages).map(([key, m]) => ({ key, ...m })).sort((a, b) => a.code.localeCompare(b.code));
  const groups = [
    ["FLOW1", "FLOW1xxx: reading and parsing"],
    ["FLOW2", "FLOW2xxx: names and types"],
    ["FLOW3", "FLOW3xxx: the topic graph, and losing nothing"],
    ["FLOW4", "FLOW4xxx: handlers against their TypeScript source"],
  ];
  const lines = [
    "# Diagnostics",
    "",
    "<!-- Generated by scripts/diagnostics-doc.mjs from compiler/diagnostics.ts and",
    "     test/frontend/code-cases.ts; do not edit by hand. -->",
    "",
    "Every problem flowc reports has a stable code, a severity, a place (file, line",
    "and column) and, where it helps, a hint. `flowc check` prints them as below;",
    "`flowc check --json` prints the same as JSON for tools. Exit codes: 0 when there",
    "are no errors (warnings allowed), 1 when the program has errors, 2 for usage",
    "and I/O errors (a missing file, a directory, a file that is not UTF-8 text).",
    "",
    "The examples below are real: each is a program of the test suite, and the",
    "output under it is what `flowc check` prints for it.",
    "",
    "## Examples",
    "",
    "Most examples below start with these declarations, not repeated each time:",
    "",
    "```flow",
    prelude.trimEnd(),
    "```",
    "",
    "## All codes",
    "",
    "| code | severity | message |",
    "| --- | --- | --- |",
    ...entries.map((e) => `| [${e.code}](#${e.code.toLowerCase()}) | ${e.severity} | ${e.key} |`),
    "",
  ];
  for (const [prefix, title] of groups) {
    lines.push(`## ${title}`, "");
    for (const e of entries.filter((x) => x.code.startsWith(prefix))) {
      const [trigger, fix] = explain[e.code] ?? ["(not documented yet)", "(not documented yet)"];
      lines.push(`### ${e.code}`, "", `**${e.severity}** (\`${e.key}\`)`, "", `**When:** ${trigger}`, "");
      const ex = example(e.code);
      if (ex) {
        lines.push("```flow", ex.source.trimEnd(), "```", "", "```", ex.output, "```", "");
      }
      lines.push(`**Fix:** ${fix}`, "");
    }
  }
  return lines.join("\n");
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const text = renderDoc();
  if (process.argv.includes("--check")) {
    const current = fs.existsSync(docPath) ? fs.readFileSync(docPath, "utf8") : "";
    if (current !== text) {
      console.error("docs/diagnostics.md is out of date: run node --import tsx scripts/diagnostics-doc.mjs");
      process.exit(1);
    }
  } else {
    fs.writeFileSync(docPath, text);
    console.log(`wrote ${path.relative(process.cwd(), docPath)}`);
  }
}
