/**
 * A worker thread that checks handlers against their TypeScript modules with
 * the build's own check (compiler/handlers.ts through compiler/emit/build.ts).
 * TypeScript's checker takes a second or so: here it never holds up the
 * server's answers.
 */
import path from "node:path";
import { parentPort } from "node:worker_threads";
import type { Diagnostic } from "../compiler/diagnostics.js";
import { nodeHost, ParseCache, type CompilerHost, type Program } from "../compiler/program.js";

export interface HandlerJob {
  readonly id: number;
  readonly root: string;
  /** The text of every .flow file of the program, as the server sees it. */
  readonly texts: Readonly<Record<string, string>>;
}

export type HandlerJobResult =
  | { readonly id: number; readonly root: string; readonly diagnostics: Diagnostic[] }
  | { readonly id: number; readonly root: string; readonly unavailable: string };

interface BuildModule {
  build(roots: readonly string[], options: { outDir: string; host?: CompilerHost; cache?: ParseCache; checkHandlers?: boolean; cwd?: string }): Promise<{ diagnostics: readonly Diagnostic[]; program: Program }>;
  defaultOutDir(roots: readonly string[]): string;
}

const cache = new ParseCache();
// A computed specifier: the build is another part of the compiler, used where this build has it.
const buildModule = "../compiler/emit/build.js";
let loaded: Promise<BuildModule> | undefined;

parentPort?.on("message", async (job: HandlerJob) => {
  let module: BuildModule;
  try {
    loaded ??= import(buildModule) as Promise<BuildModule>;
    module = await loaded;
  } catch (error) {
    parentPort!.postMessage({ id: job.id, root: job.root, unavailable: (error as Error).message } satisfies HandlerJobResult);
    return;
  }
  try {
    const host: CompilerHost = { readFile: (file) => (job.texts[file] !== undefined ? { text: job.texts[file] } : nodeHost.readFile(file)) };
    const result = await module.build([job.root], { outDir: module.defaultOutDir([job.root]), host, cache, checkHandlers: true, cwd: path.dirname(job.root) });
    const diagnostics = result.diagnostics.filter((d) => d.code.startsWith("FLOW4"));
    parentPort!.postMessage({ id: job.id, root: job.root, diagnostics } satisfies HandlerJobResult);
  } catch (error) {
    // A failed check reports nothing rather than something wrong.
    parentPort!.postMessage({ id: job.id, root: job.root, diagnostics: [] } satisfies HandlerJobResult);
    process.stderr.write(`flowc lsp: handler check failed: ${(error as Error).stack ?? error}\n`);
  }
});
