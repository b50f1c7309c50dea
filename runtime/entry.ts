/**
 * What the entry module of a build (`index.ts` of `flowc build`) does, written once here so the
 * generated module only lists its workers:
 *
 * ```ts
 * import { defineEntry, isMainModule, readTopology, type Worker } from "flowc/runtime";
 *
 * export const workers = {
 *   "renderPhotos.route": () => import("./renderPhotos/route.worker.js"),
 *   "renderPhotos.4k.render": () => import("./renderPhotos/4k.render.worker.js"),
 * };
 * export const pipelines = { renderPhotos: ["renderPhotos.route", "renderPhotos.4k.render"] };
 * export const topology = readTopology(new URL("./topology.json", import.meta.url));
 * export const { select, load, start, serve } = defineEntry({ workers, pipelines, topology });
 *
 * if (isMainModule(import.meta.url)) void serve(process.argv.slice(2));
 * ```
 *
 * A worker's module, and the handler modules it imports, load only when the worker is chosen,
 * so one build deploys as one process or as many (`--only <worker or pipeline>`).
 */
import { readFileSync, realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { kafkaTransportFromEnv } from "./kafka/index.js";
import { startWorkers, type PipelineOptions, type PipelineRun } from "./pipeline.js";
import type { Topology } from "./topology.js";
import type { Transport } from "./transport.js";
import type { Worker } from "./worker.js";

/** Loads a generated worker module: `() => import("./renderPhotos/route.worker.js")`. */
export type WorkerModuleLoader = () => Promise<{ readonly default: Worker }>;

export interface EntryDefinition<Id extends string> {
  /** Every worker of the build, by id. */
  readonly workers: Readonly<Record<Id, WorkerModuleLoader>>;
  /** The workers of each pipeline, so a pipeline's name selects all of them. */
  readonly pipelines: Readonly<Record<string, readonly Id[]>>;
  /** The build's topology.json. */
  readonly topology: Topology;
}

/** Options of `start`: those of `startWorkers` but the topology, which the entry supplies. */
export type StartOptions = Omit<PipelineOptions, "workers" | "until">;

export interface Entry<Id extends string> {
  /**
   * The workers that `only` names (worker ids or pipeline names), in the build's order, or every
   * worker when it is empty. An unknown name is an error that lists the known ones.
   */
  select(only?: readonly string[]): Id[];
  /** Loads the chosen workers' modules (and their handlers). */
  load(only?: readonly string[]): Promise<Worker[]>;
  /** Starts the chosen workers as a long-lived service (`startWorkers`) with the build's topology. */
  start(only?: readonly string[], options?: StartOptions): Promise<PipelineRun>;
  /**
   * Runs the entry as a program: starts the workers that `--only` in `argv` names (all without
   * it) on Kafka configured from the environment (FLOWC_BROKERS, FLOWC_CLIENT_ID,
   * FLOWC_GROUP_PREFIX, ...; `options.transport` replaces it), until SIGINT or SIGTERM (or
   * `options.signal`) stops them gracefully: running handlers finish, finished work is
   * committed, the transport is closed. Never rejects: a failure is printed to stderr and sets
   * `process.exitCode` to 1.
   */
  serve(argv: readonly string[], options?: StartOptions): Promise<void>;
}

/** The entry of a build: `select`, `load`, `start` and `serve` over its workers and pipelines. */
export function defineEntry<Id extends string>(definition: EntryDefinition<Id>): Entry<Id> {
  const { workers, pipelines, topology } = definition;
  const ids = Object.keys(workers) as Id[];
  const isWorker = (name: string): name is Id => Object.hasOwn(workers, name);

  const select = (only: readonly string[] = []): Id[] => {
    if (only.length === 0) return [...ids];
    const chosen = new Set<Id>();
    for (const name of only) {
      if (isWorker(name)) chosen.add(name);
      else if (Object.hasOwn(pipelines, name)) for (const id of pipelines[name]) chosen.add(id);
      else {
        const known = [...Object.keys(pipelines), ...ids].join(", ");
        throw new Error(`unknown worker or pipeline '${name}'; known: ${known}`);
      }
    }
    return ids.filter((id) => chosen.has(id));
  };

  const load = async (only: readonly string[] = []): Promise<Worker[]> =>
    Promise.all(select(only).map(async (id) => (await workers[id]()).default));

  const start = async (only: readonly string[] = [], options: StartOptions = {}): Promise<PipelineRun> =>
    startWorkers(await load(only), { topology, ...options });

  const serve = async (argv: readonly string[], options: StartOptions = {}): Promise<void> => {
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    options.signal?.addEventListener("abort", stop, { once: true });
    if (options.signal?.aborted) stop();
    let transport: Transport | undefined;
    try {
      // Names are checked before connecting, so a typo fails fast.
      const only = onlyFrom(argv);
      select(only);
      transport = options.transport ?? kafkaTransportFromEnv();
      const run = await start(only, { ...options, transport, signal: controller.signal });
      await run.done;
    } catch (error) {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    } finally {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      options.signal?.removeEventListener("abort", stop);
      await transport?.close().catch(() => {});
    }
  };

  return { select, load, start, serve };
}

/** The worker and pipeline names of `--only a,b --only c` (or `--only=a`) in command-line arguments. */
export function onlyFrom(argv: readonly string[]): string[] {
  const only: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = arg === "--only" ? argv[++i] : arg.startsWith("--only=") ? arg.slice("--only=".length) : undefined;
    if (arg === "--only" && value === undefined) throw new Error("--only needs a worker or pipeline name");
    if (value !== undefined) only.push(...value.split(",").filter(Boolean));
  }
  return only;
}

/** Reads a build's topology.json (`new URL("./topology.json", import.meta.url)` beside the entry). */
export function readTopology(file: URL | string): Topology {
  const topology = JSON.parse(readFileSync(file, "utf8")) as Topology;
  if (topology.version !== 1) {
    throw new Error(`${String(file)}: topology version ${String(topology.version)} is not 1; rebuild with this flowc (flowc build)`);
  }
  return topology;
}

/**
 * True when the module at `moduleUrl` (its `import.meta.url`) is the program node was started
 * with (`node index.js`, `tsx index.ts`), not a module imported by another. Symbolic links in
 * the program's path are resolved, as node resolves them for the module.
 */
export function isMainModule(moduleUrl: string, program: string | undefined = process.argv[1]): boolean {
  if (program === undefined) return false;
  if (moduleUrl === pathToFileURL(program).href) return true;
  try {
    return moduleUrl === pathToFileURL(realpathSync(program)).href;
  } catch {
    return false;
  }
}
