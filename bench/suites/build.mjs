// `flowc build` on a generated 100-pipeline program (the five patterns, handlers, hedging,
// lanes; 4 files importing each other), against `flowc check` of the same program in the
// same run: what lowering, emission (ts-morph + prettier) and handler checking add.
//
// - cold: a fresh process that loads the compiler and builds once, as `flowc build` does
//   (measured in a child process, so module loading and JIT warm-up count);
// - warm: the median of 5 builds in one process (an editor or a watch loop);
// - with handler checks: the same, checking every handler against a real handlers.ts;
// - incremental: the output directory holds the previous build and one pipeline changed.
// Aim: under 3 s. FLOWC_BENCH_PIPELINES changes the size (default 100).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = fileURLToPath(import.meta.url);
const root = path.resolve(path.dirname(here), "../..");
const dist = (p) => pathToFileURL(path.join(root, "dist", p)).href;
const PIPELINES = Number(process.env.FLOWC_BENCH_PIPELINES ?? 100);

const HANDLERS = `// Handlers of the synthetic benchmark program.
export type Kind = "small" | "large" | "huge";
export interface Job { readonly id: string; readonly owner: string; readonly kind: Kind; readonly size: number; readonly urgent: boolean; readonly note?: string; readonly tags: readonly string[] }
export interface Result { readonly jobId: string; readonly kind: Kind; readonly score: number }
export function work(job: Job): Result { return { jobId: job.id, kind: job.kind, score: job.size / 10 }; }
export function expand(job: Job): Job[] { return job.tags.map((tag, i) => ({ ...job, id: \`\${job.id}.\${i}\`, note: tag })); }
export async function enrich(job: Job): Promise<Job> { return { ...job, note: job.note ?? job.owner }; }
`;

/** Writes the program to a temporary directory; returns its root files. */
async function writeProgram(dir) {
  const { syntheticProgram } = await import(pathToFileURL(path.join(root, "test/build/synthetic.mjs")).href);
  const files = syntheticProgram(PIPELINES, 4, 7);
  for (const [name, text] of files) fs.writeFileSync(path.join(dir, name), text);
  fs.writeFileSync(path.join(dir, "handlers.ts"), HANDLERS);
  return [...files.keys()].map((f) => path.join(dir, f));
}

async function child(dir, mode) {
  const started = process.hrtime.bigint();
  const { build } = await import(dist("compiler/emit/build.js"));
  const roots = fs.readdirSync(dir).filter((f) => f.endsWith(".flow")).map((f) => path.join(dir, f));
  const result = await build(roots, { outDir: path.join(dir, "gen"), checkHandlers: mode === "handlers" });
  if (result.hasErrors) throw new Error(result.diagnostics.map((d) => d.message).join("\n"));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const cpu = process.cpuUsage();
  process.stdout.write(JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, files: result.files.size, workers: result.graph.workers.length }));
}

if (process.argv[2] === "--child") {
  await child(process.argv[3], process.argv[4]);
  process.exit(0);
}

export default async function buildSuite(ctx) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flowc-bench-build-"));
  try {
    const roots = await writeProgram(dir);
    const { createProgram } = await import(dist("compiler/program.js"));
    const { build } = await import(dist("compiler/emit/build.js"));
    const outDir = path.join(dir, "gen");

    const cold = (mode) => {
      const run = spawnSync(process.execPath, [here, "--child", dir, mode], { encoding: "utf8" });
      if (run.status !== 0) throw new Error(run.stderr);
      return JSON.parse(run.stdout);
    };
    const coldCheck = spawnSync(
      process.execPath,
      ["--input-type=module", "-e", `const t=process.hrtime.bigint();const {createProgram}=await import(${JSON.stringify(dist("compiler/program.js"))});const p=createProgram(${JSON.stringify(roots)});if(p.hasErrors)process.exit(1);process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6));`],
      { encoding: "utf8" },
    );
    const coldCheckMs = Number(coldCheck.stdout);
    const coldBuild = cold("plain");
    const coldHandlers = cold("handlers");
    ctx.log(`${PIPELINES} pipelines -> ${coldBuild.workers} workers, ${coldBuild.files} files`);

    // Warm: one process, after a first build.
    await build(roots, { outDir, checkHandlers: false });
    const warmCheck = await ctx.time(() => createProgram(roots), 5);
    const warmBuild = await ctx.time(() => build(roots, { outDir, checkHandlers: false }), 5);
    const warmHandlers = await ctx.time(() => build(roots, { outDir }), 3);

    // Incremental: the output directory holds the previous build; one pipeline changes.
    const { writeBuild } = await import(dist("compiler/emit/index.js"));
    writeBuild(outDir, (await build(roots, { outDir, checkHandlers: false, incremental: false })).files);
    const edited = roots[0];
    const original = fs.readFileSync(edited, "utf8");
    let flip = 0;
    const incremental = await ctx.time(async () => {
      fs.writeFileSync(edited, original.replace(/retry\(3, /, `retry(${3 + (++flip % 2)}, `));
      await build(roots, { outDir, checkHandlers: false });
    }, 5);
    fs.writeFileSync(edited, original);

    const note = `${PIPELINES} pipelines, ${coldBuild.workers} workers, ${coldBuild.files} files; aim < 3000 ms`;
    return [
      { group: "build", name: `cold build, ${PIPELINES} pipelines (new process)`, value: coldBuild.ms, unit: "ms", baseline: { name: "cold check", value: coldCheckMs }, better: "lower", note },
      { group: "build", name: "cold build with handler checks", value: coldHandlers.ms, unit: "ms", baseline: { name: "cold check", value: coldCheckMs }, better: "lower", note: "ts-morph checks every handler against handlers.ts" },
      { group: "build", name: `warm build, ${PIPELINES} pipelines (median of 5)`, value: warmBuild, unit: "ms", baseline: { name: "warm check", value: warmCheck }, better: "lower", note },
      { group: "build", name: "warm build with handler checks (median of 3)", value: warmHandlers, unit: "ms", baseline: { name: "warm check", value: warmCheck }, better: "lower" },
      { group: "build", name: "incremental build, one pipeline changed (median of 5)", value: incremental, unit: "ms", baseline: { name: "warm check", value: warmCheck }, better: "lower", note: "prettier runs only on changed modules" },
      { group: "build", name: "cold build CPU time (user + system)", value: coldBuild.cpuMs, unit: "ms", better: "lower", note: "less sensitive than wall time to a busy machine" },
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
