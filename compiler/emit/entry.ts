/**
 * index.ts: the entry module. It lists every worker with a loader, so a process
 * loads only the workers (and handler modules) it runs, and starts all of them
 * or the ones named with `--only`: a pipeline deploys as one process or many.
 */
import type { StageGraph } from "../ir.js";
import { literal } from "./names.js";
import { RUNTIME_MODULE, type ModuleParts } from "./worker.js";

export function emitEntry(graph: StageGraph): ModuleParts {
  const imports = new Map<string, Set<string>>([
    ["node:url", new Set(["pathToFileURL"])],
    [RUNTIME_MODULE, new Set(["runWorkers", "type WorkerLoaders"])],
  ]);
  const entries = graph.workers.map((w) => `${literal(w.id)}: () => import(${literal(`./${w.module.replace(/\.ts$/, ".js")}`)}),`);
  const pipelines = graph.pipelines.map((p) => `${literal(p.name)}: [${p.workers.map(literal).join(", ")}],`);
  const statements = [
    `/** Every worker of this build, by id. A worker's module, and its handlers, load only when it starts. */
export const workers = {
${entries.join("\n")}
} satisfies WorkerLoaders;

export type WorkerId = keyof typeof workers;

/** The workers of each pipeline, so \`--only <pipeline>\` starts all of them. */
export const pipelines: Readonly<Record<string, readonly WorkerId[]>> = {
${pipelines.join("\n")}
};`,
    `/**
 * Starts the workers named with \`--only <worker or pipeline>\` (repeatable, or comma-separated),
 * or every worker when none is named:
 *
 *   node index.js --only ${graph.workers[0]?.id ?? "<worker>"}
 */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  await runWorkers(workers, { argv, groups: pipelines });
}

// Run as a program (node index.js, tsx index.ts), not when imported.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}`,
  ];
  return { imports, statements };
}
