/**
 * The whole build of a set of `.flow` files, without I/O on the output:
 * check -> lower -> emit -> check handlers. `flowc build`, `flowc topics`,
 * `flowc graph`, `flowc run` and the tests share it.
 */
import path from "node:path";
import { sortDiagnostics, type Diagnostic } from "../diagnostics.js";
import { checkHandlers } from "../handlers.js";
import type { StageGraph } from "../ir.js";
import { lower } from "../lower.js";
import { createProgram, type CompilerHost, type ParseCache, type Program } from "../program.js";
import { emit, TYPES_MODULE } from "./index.js";
import { TypesEmitter } from "./types.js";

export interface BuildOptions {
  /** Absolute output directory. */
  readonly outDir: string;
  readonly host?: CompilerHost;
  readonly cache?: ParseCache;
  /** Check handler signatures against their TypeScript modules (default true). */
  readonly checkHandlers?: boolean;
  /** Stop after lowering: for `flowc topics` and `flowc graph`. */
  readonly planOnly?: boolean;
  readonly cwd?: string;
  /** Reuse unchanged formatted modules of the previous build in outDir (default true). */
  readonly incremental?: boolean;
}

export interface BuildResult {
  readonly program: Program;
  /** Every diagnostic: the front end's, the plan's and the handlers'. */
  readonly diagnostics: readonly Diagnostic[];
  readonly hasErrors: boolean;
  readonly graph: StageGraph | undefined;
  /** Output files, relative path -> text; empty when there are errors or with planOnly. */
  readonly files: ReadonlyMap<string, string>;
}

/** The default output directory: `gen/<name>/` beside the first `.flow` file (in sorted order). */
export function defaultOutDir(roots: readonly string[]): string {
  const first = [...roots].map((r) => path.resolve(r)).sort()[0];
  return path.join(path.dirname(first), "gen", path.basename(first, ".flow"));
}

export async function build(roots: readonly string[], options: BuildOptions): Promise<BuildResult> {
  const program = createProgram(roots, { ...(options.host ? { host: options.host } : {}), ...(options.cache ? { cache: options.cache } : {}) });
  const empty = new Map<string, string>();
  if (program.hasErrors) return { program, diagnostics: program.diagnostics, hasErrors: true, graph: undefined, files: empty };
  const lowered = lower(program);
  let diagnostics = sortDiagnostics([...program.diagnostics, ...lowered.diagnostics]);
  const planErrors = lowered.diagnostics.some((d) => d.severity === "error");
  if (planErrors || options.planOnly) return { program, diagnostics, hasErrors: planErrors, graph: lowered.graph, files: empty };

  const files = await emit(lowered.graph, { outDir: options.outDir, expressionTypes: program.checked.expressionTypes, incremental: options.incremental !== false });
  if (options.checkHandlers !== false) {
    const naming = new TypesEmitter(lowered.graph);
    const handlerDiagnostics = checkHandlers([...program.symbols.handlers.values()], {
      outDir: options.outDir,
      typesText: files.get(TYPES_MODULE) ?? "",
      tsType: (type) => naming.tsType(type),
      typeImports: (type) => naming.typeImports(type),
      ...(options.cwd ? { cwd: options.cwd } : {}),
    });
    diagnostics = sortDiagnostics([...diagnostics, ...handlerDiagnostics]);
  }
  const hasErrors = diagnostics.some((d) => d.severity === "error");
  return { program, diagnostics, hasErrors, graph: lowered.graph, files: hasErrors ? empty : files };
}
