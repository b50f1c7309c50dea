/**
 * Compiling a printed program and loading its generated workers in this process, the way
 * `flowc run` does: `build` (check, lower, emit), `writeBuild`, then import the generated
 * `index.ts` and `load()` its workers, with `topology`.
 *
 * Where the generated code's `flowc/runtime` and `flowc/stdlib` come from: a project resolves
 * them through its node_modules (this checkout resolves them to itself, i.e. to `dist/`, which
 * only `npm run build` refreshes). Here they must be this checkout's sources, the very modules
 * the test's `runPipeline` comes from: a second copy of the runtime from a stale `dist/` would
 * test old code, and its workers would meet another copy's runner. So the build directory lives
 * in a temporary folder with a `node_modules/flowc` of its own whose package exports point at
 * `runtime/index.ts` and `stdlib/index.ts` (symlinked folders, resolved to their real paths):
 * the same mapping the build tests' type-check uses (`paths` in test/build/helpers.ts), without
 * changing module resolution for any other suite.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "../../compiler/emit/build.js";
import { writeBuild, ENTRY_MODULE } from "../../compiler/emit/index.js";
import { renderDiagnostics } from "../../compiler/render.js";
import type { Topology } from "../../runtime/topology.js";
import type { Worker } from "../../runtime/worker.js";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const here = path.join(root, "test/flow-properties");

/** A temporary folder where generated code resolves `flowc/runtime` to this checkout's sources. */
export function workspace(): { dir: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flowc-flow-properties-"));
  const pkg = path.join(dir, "node_modules/flowc");
  fs.mkdirSync(pkg, { recursive: true });
  fs.writeFileSync(
    path.join(pkg, "package.json"),
    JSON.stringify({ name: "flowc", type: "module", exports: { "./runtime": "./runtime/index.ts", "./stdlib": "./stdlib/index.ts" } }, null, 2),
  );
  fs.symlinkSync(path.join(root, "runtime"), path.join(pkg, "runtime"), "dir");
  fs.symlinkSync(path.join(root, "stdlib"), path.join(pkg, "stdlib"), "dir");
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export interface Compiled {
  readonly flowFile: string;
  /** Rendered diagnostics; empty when the compiler accepted the program without any. */
  readonly diagnostics: string;
  readonly workers: readonly Worker[];
  readonly topology: Topology | undefined;
}

/**
 * Writes `text` as `<dir>/program.flow` beside a link to this folder's handlers.ts, builds it
 * into `<dir>/gen` and loads the generated workers (none when there are diagnostics).
 */
export async function compile(dir: string, text: string, options: { checkHandlers: boolean }): Promise<Compiled> {
  fs.mkdirSync(dir, { recursive: true });
  const flowFile = path.join(dir, "program.flow");
  fs.writeFileSync(flowFile, text);
  const handlers = path.join(dir, "handlers.ts");
  if (!fs.existsSync(handlers)) fs.symlinkSync(path.join(here, "handlers.ts"), handlers);
  const outDir = path.join(dir, "gen");
  const result = await build([flowFile], { outDir, cwd: dir, checkHandlers: options.checkHandlers, incremental: false });
  if (result.diagnostics.length > 0 || result.hasErrors) {
    return { flowFile, diagnostics: renderDiagnostics(result.diagnostics, result.program.sourceOf, { color: false, cwd: dir }), workers: [], topology: undefined };
  }
  writeBuild(outDir, result.files);
  const entry = (await import(pathToFileURL(path.join(outDir, ENTRY_MODULE)).href)) as {
    topology: Topology;
    load(only?: readonly string[]): Promise<Worker[]>;
  };
  return { flowFile, diagnostics: "", workers: await entry.load([]), topology: entry.topology };
}
