import { handlerProblems, type HandlerSpec } from "../stdlib/handler.js";
import { compileRoute, StageTable, type CompiledRoute } from "../stdlib/compile.js";
import { routeNode, routeOutputs, RouteDefinitionError, type Route } from "../stdlib/route.js";

/** What a decoder returns: generated decoders never throw past the worker. */
export type DecodeResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };
/** Checks an untrusted, JSON-parsed value against a schema. */
export type Decoder<T> = (raw: unknown) => DecodeResult<T>;

/**
 * - "at-least-once": outputs, then dedupe marks, then offsets. A crash between the first two
 *   can put a duplicate record in an output topic; its consumer drops it by id.
 * - "exactly-once": outputs, marks and offsets in one transaction per input partition
 *   (needs a transport with transactions). Handlers may still run more than once.
 */
export type DeliveryMode = "at-least-once" | "exactly-once";

export interface InputSpec<In> {
  readonly topic: string;
  readonly decode: Decoder<In>;
  /** Set when the input topic's partitions are shards: handlers then see `ctx.shard`. */
  readonly sharded?: boolean;
}

/**
 * A worker: consume one topic, optionally run one handler, route every result. See
 * docs/runtime.md for what each field does at run time.
 */
export interface WorkerDefinition<In, Out = In> {
  /** Unique in the pipeline; also names the defaults below. */
  readonly id: string;
  /** Consumer group (default `flowc.<id>`). All instances of the worker share it. */
  readonly group?: string;
  readonly input: InputSpec<In>;
  /** The map/flatMap stage. Without one, `route` receives the decoded input (then Out = In). */
  readonly handler?: HandlerSpec<In, Out>;
  /**
   * Where results go. Without a handler, Out is In. (NoInfer: Out comes from the handler, never
   * the route.) A map handler without a route is effect-only: it ends its pipeline, its result
   * is ignored and nothing is emitted.
   */
  readonly route?: Route<NoInfer<Out>>;
  /** Dead-letter topic (default `<id>.dlq`): malformed input, exhausted retries, route errors. */
  readonly deadLetter?: string;
  /** Retry topics, one per backoff tier: retry n waits on `retryTopics[min(n, length) - 1]`.
   *  Required when the handler's retry policy allows more than one attempt. */
  readonly retryTopics?: readonly string[];
  /** Where the worker records which message ids it finished (default `<id>.state`). */
  readonly stateTopic?: string;
  /** Overrides the run's delivery mode for this worker. */
  readonly delivery?: DeliveryMode;
}

/** The compiled, validated form of a definition that the runner executes. */
export interface Worker<In = any, Out = any> {
  readonly kind: "flowc.worker";
  readonly id: string;
  readonly group: string;
  readonly definition: WorkerDefinition<In, Out>;
  readonly inputTopic: string;
  readonly retryTopics: readonly string[];
  readonly deadLetterTopic: string;
  readonly stateTopic: string;
  /** Output topics with the partitions each needs (largest shard count above it). */
  readonly outputs: ReadonlyMap<string, number>;
  /** @internal stage counters and compiled route, shared by all instances. */
  readonly plan: WorkerPlan;
}

export interface WorkerPlan {
  readonly table: StageTable;
  readonly decodeIndex: number;
  /** -1 without a handler. */
  readonly handlerIndex: number;
  /** Undefined for an effect-only worker (a handler and no route). */
  readonly route: CompiledRoute | undefined;
  /** The handler's part of every output id's derivation step. */
  readonly handlerStep: string;
}

export class WorkerDefinitionError extends Error {
  override readonly name = "WorkerDefinitionError";
}

function nonEmpty(value: unknown): value is string {
  return typeof value === "string" && value.length > 0;
}

/**
 * Validates a worker definition and compiles its route. Generated worker modules export the
 * result as their default export; `runPipeline`/`startWorker` run it.
 */
export function defineWorker<In, Out = In>(definition: WorkerDefinition<In, Out>): Worker<In, Out> {
  const problems: string[] = [];
  const d = definition;
  if (!nonEmpty(d.id)) problems.push("id must be a non-empty string");
  if (!nonEmpty(d.input?.topic)) problems.push("input.topic must be a non-empty string");
  if (typeof d.input?.decode !== "function") problems.push("input.decode must be a function");
  if (d.handler !== undefined) {
    for (const p of handlerProblems(d.handler as HandlerSpec<never, unknown>)) problems.push(`handler: ${p}`);
  }
  const retryTopics = d.retryTopics ?? [];
  const attempts = d.handler?.retry?.attempts ?? 1;
  if (attempts > 1 && retryTopics.length === 0) {
    problems.push(`handler allows ${attempts} attempts but the worker has no retryTopics`);
  }
  if (d.handler === undefined && retryTopics.length > 0) problems.push("retryTopics need a handler");
  if (d.route === undefined && d.handler === undefined) problems.push("a worker without a handler needs a route");
  if (d.route === undefined && d.handler !== undefined && d.handler.kind !== "map") {
    problems.push("a flatMap handler needs a route (only a map handler can end a pipeline)");
  }
  if (retryTopics.some((t) => !nonEmpty(t))) problems.push("retryTopics must be non-empty strings");
  const id = d.id;
  const inputTopic = d.input?.topic;
  const deadLetterTopic = d.deadLetter ?? `${id}.dlq`;
  const stateTopic = d.stateTopic ?? `${id}.state`;
  const own = [inputTopic, ...retryTopics, deadLetterTopic, stateTopic];
  if (new Set(own).size !== own.length) problems.push("input, retry, dead-letter and state topics must all differ");
  if (problems.length > 0) throw new WorkerDefinitionError(`worker '${String(id)}': ${problems.join("; ")}`);

  let plan: WorkerPlan;
  let outputs: Map<string, number>;
  try {
    const table = new StageTable();
    const decodeIndex = table.register(`${id}/decode`, "decode");
    const handler = d.handler;
    const handlerIndex = handler === undefined ? -1 : table.register(handler.stage, handler.kind);
    const handlerStep = handler === undefined ? "" : handler.lane === undefined ? handler.stage : `${handler.stage}[${handler.lane}]`;
    if (d.route === undefined) {
      plan = { table, decodeIndex, handlerIndex, route: undefined, handlerStep };
      outputs = new Map();
    } else {
      routeNode(d.route as Route<never>);
      const route = compileRoute(d.route as Route<never>, table);
      plan = { table, decodeIndex, handlerIndex, route, handlerStep };
      outputs = routeOutputs(d.route as Route<never>);
    }
  } catch (error) {
    if (error instanceof RouteDefinitionError) throw new WorkerDefinitionError(`worker '${id}': ${error.message}`);
    throw new WorkerDefinitionError(`worker '${id}': ${(error as Error).message}`);
  }
  for (const topic of outputs.keys()) {
    if (own.includes(topic)) throw new WorkerDefinitionError(`worker '${id}': emits into its own topic '${topic}'`);
  }

  return Object.freeze({
    kind: "flowc.worker" as const,
    id,
    group: d.group ?? `flowc.${id}`,
    definition,
    inputTopic,
    retryTopics: [...retryTopics],
    deadLetterTopic,
    stateTopic,
    outputs,
    plan,
  });
}

export function isWorker(value: unknown): value is Worker {
  return typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "flowc.worker";
}
