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
    ["node:fs", new Set(["readFileSync"])],
    ["node:url", new Set(["pathToFileURL"])],
    [RUNTIME_MODULE, new Set(["kafkaTransportFromEnv", "startWorkers", "type PipelineOptions", "type PipelineRun", "type Topology", "type Worker"])],
  ]);
  const entries = graph.workers.map((w) => `${literal(w.id)}: () => import(${literal(`./${w.module.replace(/\.ts$/, ".js")}`)}),`);
  const pipelines = graph.pipelines.map((p) => `${literal(p.name)}: [${p.workers.map(literal).join(", ")}],`);
  const statements = [
    `/** Every worker of this build, by id. A worker's module, and its handlers, load only when it starts. */
export const workers = {
${entries.join("\n")}
}${graph.workers.length > 0 ? " satisfies " : " as "}Record<string, () => Promise<{ default: Worker }>>;

export type WorkerId = keyof typeof workers;

/** The workers of each pipeline, so \`--only <pipeline>\` starts all of them. */
export const pipelines: Readonly<Record<string, readonly WorkerId[]>> = {
${pipelines.join("\n")}
};

/** The topic plan written beside this module. */
export const topology = JSON.parse(
  readFileSync(new URL("./topology.json", import.meta.url), "utf8"),
) as Topology;`,
    `/**
 * The workers that \`only\` names (worker ids or pipeline names), or every worker when it is
 * empty. An unknown name is an error that lists the known ones.
 */
export function select(only: readonly string[] = []): WorkerId[] {
  if (only.length === 0) return Object.keys(workers) as WorkerId[];
  const chosen = new Set<WorkerId>();
  for (const name of only) {
    if (name in workers) chosen.add(name as WorkerId);
    else if (name in pipelines) for (const id of pipelines[name]) chosen.add(id);
    else {
      const known = [...Object.keys(pipelines), ...Object.keys(workers)].join(", ");
      throw new Error(\`unknown worker or pipeline '\${name}'; known: \${known}\`);
    }
  }
  return (Object.keys(workers) as WorkerId[]).filter((id) => chosen.has(id));
}

/** Loads the chosen workers' modules. */
export async function load(only: readonly string[] = []): Promise<Worker[]> {
  return Promise.all(select(only).map(async (id) => (await workers[id]()).default));
}

/** Starts the chosen workers as a long-lived service on the given transport, with this build's topology. */
export async function start(
  only: readonly string[] = [],
  options: Omit<PipelineOptions, "workers" | "until"> = {},
): Promise<PipelineRun> {
  return startWorkers(await load(only), { topology, ...options });
}

/** \`--only a,b --only c\` from the command line. */
export function onlyFrom(argv: readonly string[]): string[] {
  const only: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = arg === "--only" ? argv[++i] : arg.startsWith("--only=") ? arg.slice("--only=".length) : undefined;
    if (arg === "--only" && value === undefined) throw new Error("--only needs a worker or pipeline name");
    if (value !== undefined) only.push(...value.split(",").filter(Boolean));
  }
  return only;
}`,
    `// Run as a program, not when imported:
//   FLOWC_BROKERS=host:9092 node index.js [--only <worker or pipeline>]...
// The Kafka connection comes from the environment (FLOWC_BROKERS, FLOWC_CLIENT_ID,
// FLOWC_GROUP_PREFIX); SIGTERM or Ctrl-C stops gracefully, committing finished work.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort());
  process.once("SIGTERM", () => controller.abort());
  const serve = async () => {
    const run = await start(onlyFrom(process.argv.slice(2)), {
      signal: controller.signal,
      transport: kafkaTransportFromEnv(),
    });
    await run.done;
    await run.transport.close();
  };
  serve().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}`,
  ];
  return { imports, statements };
}
