#!/usr/bin/env node
// `npm run bench`: runs every suite in bench/suites (or those named on the command
// line), prints one table, and writes bench/results/<date>.json and .md.
//
// A suite is a module whose default export is `async (ctx) => Row[]`, where
// Row = { group, name, value, unit, baseline?: { name, value }, better: "lower" | "higher", note? }.
// Every figure that can be is a ratio against a baseline measured in the same run,
// because the machine is shared and noisy; the absolute numbers stand beside it.
import { readdirSync, mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import os from "node:os";

const here = path.dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const suites = readdirSync(path.join(here, "suites"))
  .filter((f) => f.endsWith(".mjs"))
  .filter((f) => wanted.length === 0 || wanted.includes(f.replace(/\.mjs$/, "")))
  .sort();

const ctx = {
  root: path.resolve(here, ".."),
  log: (line) => process.stderr.write(`  ${line}\n`),
  /** Median of n timed runs of fn, in milliseconds. */
  async time(fn, n = 5) {
    const samples = [];
    for (let i = 0; i < n; i++) {
      const start = process.hrtime.bigint();
      await fn();
      samples.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    samples.sort((a, b) => a - b);
    return samples[Math.floor(samples.length / 2)];
  },
};

const rows = [];
for (const file of suites) {
  process.stderr.write(`bench: ${file.replace(/\.mjs$/, "")}\n`);
  const started = Date.now();
  try {
    const suite = await import(path.join(here, "suites", file));
    const produced = await suite.default(ctx);
    rows.push(...produced);
  } catch (error) {
    rows.push({ group: file.replace(/\.mjs$/, ""), name: "suite failed", value: NaN, unit: "", note: String(error?.message ?? error) });
    process.stderr.write(`  failed: ${error?.stack ?? error}\n`);
  }
  process.stderr.write(`  (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
}

const format = (v) => (Number.isFinite(v) ? (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2)) : "n/a");
const ratioOf = (r) => {
  if (!r.baseline || !Number.isFinite(r.baseline.value) || !Number.isFinite(r.value) || r.baseline.value === 0) return undefined;
  // Ratios read "how flowc compares to the baseline": above 1 is better for throughput, below 1 better for time.
  return r.value / r.baseline.value;
};
const header = ["group", "measure", "value", "baseline", "ratio", "note"];
const table = rows.map((r) => [
  r.group,
  r.name,
  `${format(r.value)} ${r.unit}`.trim(),
  r.baseline ? `${format(r.baseline.value)} ${r.unit} (${r.baseline.name})` : "",
  ratioOf(r) === undefined ? "" : `${ratioOf(r).toFixed(2)}x`,
  r.note ?? "",
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
console.log(line(header));
console.log(line(widths.map((w) => "-".repeat(w))));
for (const row of table) console.log(line(row));

const stamp = new Date().toISOString().replace(/[:]/g, "-").replace(/\..*/, "");
const machine = { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30) };
mkdirSync(path.join(here, "results"), { recursive: true });
writeFileSync(path.join(here, "results", `${stamp}.json`), JSON.stringify({ date: new Date().toISOString(), machine, rows: rows.map((r) => ({ ...r, ratio: ratioOf(r) })) }, null, 2) + "\n");
const md = [
  `# Benchmark results ${stamp}`,
  "",
  `Node ${machine.node}, ${machine.cpus} cores (${machine.cpu}), ${machine.memoryGiB} GiB.`,
  "",
  `| ${header.join(" | ")} |`,
  `| ${header.map(() => "---").join(" | ")} |`,
  ...table.map((row) => `| ${row.join(" | ")} |`),
  "",
].join("\n");
writeFileSync(path.join(here, "results", `${stamp}.md`), md);
process.stderr.write(`bench: wrote bench/results/${stamp}.json and .md\n`);
