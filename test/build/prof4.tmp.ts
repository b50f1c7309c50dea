import * as prettier from "prettier";
import path from "node:path";
import { createProgram } from "../../compiler/program.js";
import { lower } from "../../compiler/lower.js";
import { emit } from "../../compiler/emit/index.js";
import { syntheticProgram } from "./helpers.js";
const files = syntheticProgram(30, 3, 7);
const dir = "/virtual/synth";
const host = { readFile: (f: string) => { const t = files.get(path.basename(f)); return t === undefined ? { error: "no such file" } : { text: t }; } };
const p = createProgram([...files.keys()].map((f) => path.join(dir, f)), { host });
const { graph } = lower(p);
const out = await emit(graph, { outDir: dir + "/gen", expressionTypes: p.checked.expressionTypes });
const ts = [...out].filter(([f]) => f.endsWith(".ts"));
for (const parser of ["typescript", "babel-ts"]) {
  let t = Date.now();
  for (const [, text] of ts) await prettier.format(text, { parser, printWidth: 100, trailingComma: "all", quoteProps: "consistent" });
  console.log(parser, "separately", Date.now() - t);
  t = Date.now();
  const marker = (f: string) => `// ::flowc-file ${f}::`;
  const joined = ts.map(([f, text]) => `${marker(f)}\n${text}`).join("\n");
  const formatted = await prettier.format(joined, { parser, printWidth: 100, trailingComma: "all", quoteProps: "consistent" });
  console.log(parser, "joined", Date.now() - t);
  const parts = formatted.split(/^\/\/ ::flowc-file (.*)::\n/m);
  let same = 0;
  for (let i = 1; i < parts.length; i += 2) { const f = parts[i]; const text = parts[i + 1].replace(/\n+$/, "\n"); if (text === out.get(f)) same++; else if (same < 2) console.log("DIFF", f); }
  console.log("same", same, "of", ts.length);
}
