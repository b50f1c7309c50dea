/**
 * index.ts: the entry module. It lists every worker with a loader, so a process
 * loads only the workers (and handler modules) it runs, and its pipelines; the
 * runtime's `defineEntry` selects, loads and starts them (all, or the ones named
 * with `--only`): a pipeline deploys as one process or many.
 */
import type { StageGraph } from "../ir.js";
import { literal } from "./names.js";
import { RUNTIME_MODULE, type ModuleParts } from "./worker.js";

export function emitEntry(graph: StageGraph): ModuleParts {
  const imports = new Map<string, Set<string>>([[RUNTIME_MODULE, new Set(["defineEntry", "isMainModule", "readTopology"])]]);
  const entries = graph.workers.map((w) => `${literal(w.id)}: () => import(${literal(`./${w.module.replace(/\.ts$/, ".js")}`)}),`);
  const pipelines = graph.pipelines.map((p) => `${literal(p.name)}: [${p.workers.map(literal).join(", ")}],`);
  const statements = [
    `/** Every worker of this build, by id. A worker's module, and its handlers, load only when it starts. */
export const workers = {
${entries.join("\n")}
};

export type WorkerId = keyof typeof workers;

/** The workers of each pipeline, so \`--only <pipeline>\` starts all of them. */
export const pipelines: Readonly<Record<string, readonly WorkerId[]>> = {
${pipelines.join("\n")}
};

/** The topic plan written beside this module. */
export const topology = readTopology(new URL("./topology.json", import.meta.url));

/** select(only), load(only) and start(only, options): the workers \`only\` names (ids or pipelines), or all. */
export const { select, load, start, serve } = defineEntry({ workers, pipelines, topology });`,
    `// Run as a program: FLOWC_BROKERS=host:9092 node index.js [--only <worker or pipeline>]...
// SIGTERM or Ctrl-C stops gracefully, committing finished work.
if (isMainModule(import.meta.url)) void serve(process.argv.slice(2));`,
  ];
  return { imports, statements };
}
