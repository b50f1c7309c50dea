/**
 * flowc/runtime: the one stable entry point generated workers and the CLI import.
 *
 * ## The contract with the compiler
 *
 * A pipeline is lowered into workers. A worker consumes one input topic, optionally runs one
 * handler (map or flatMap) with a retry policy, and sends each result through a pure route tree
 * (copy / filter / split / shard / mergeFirst nodes) ending in `emit(topic)` leaves. A generated
 * worker module default-exports `defineWorker(...)`:
 *
 * ```ts
 * import { defineWorker, copy, shard, emit } from "flowc/runtime";
 * export default defineWorker<Photo>({
 *   id: "render.route",
 *   input: { topic: "photos", decode: decodePhoto },
 *   deadLetter: "render.route.dlq",
 *   route: copy("render/copy", {
 *     "4k": shard("render/4k/shard", 10, (p) => p.id, emit("render.4k")),
 *     gif: shard("render/gif/shard", 10, (p) => p.id, emit("render.gif")),
 *   }),
 * });
 *
 * export default defineWorker<Photo, Rendition>({
 *   id: "render.4k.map",
 *   input: { topic: "render.4k", decode: decodePhoto, sharded: true },
 *   handler: { kind: "map", stage: "render/4k/map", run: render, lane: "4k",
 *              retry: { attempts: 5, backoff: { initialMs: 100, maxMs: 30_000 } },
 *              timeoutMs: 10_000, concurrency: 8 },
 *   route: emit("renditions", { stage: "render/merge" }),
 *   deadLetter: "render.4k.dlq",
 *   retryTopics: ["render.4k.retry-0", "render.4k.retry-1"],
 * });
 * ```
 *
 * What the compiler must know:
 * - Stage ids are the accounting keys. Unique per stage instance, except on purpose: give the
 *   leaves of a merge the same `emit(topic, { stage })` id (in every worker that feeds it) and
 *   the summary shows the merge as one stage whose `in` is the sum of its lanes.
 * - Ids of outputs derive from the stage path, so renaming a stage id changes output ids
 *   (a redeploy mid-stream would then not recognise in-flight duplicates).
 * - `retry.attempts` counts the first try. Retry n (n = 1 first) waits on
 *   `retryTopics[min(n, length) - 1]`: one topic per backoff tier, the last one reused.
 *   Retry topics need the input's partition count (retries keep their partition).
 * - Every worker needs its dead-letter topic and a state topic (`<id>.state` by default,
 *   partitions = its input's, role "state" in topology.json): the dedupe marks live there.
 * - A topic fed by `shard(n)` needs at least n partitions (checked at start).
 * - `merge(first)` (hedging): `copy(stage, lanes, { hedge: true })` upstream, and
 *   `mergeFirst(stage, emit(t))` at the end of every hedged lane. The consumer of `t` keeps the
 *   first result per input; if `t` is a sink read by others, put a route-only worker between
 *   (consume `t`, `emit(sink)`) so the sink itself holds one record per input.
 * - A decoder returns `{ ok: true, value } | { ok: false, reason }` and never throws (a
 *   throw is caught and treated as malformed input anyway).
 *
 * docs/runtime.md describes the guarantees for users.
 */

// Workers and pipelines.
export { defineWorker, isWorker, WorkerDefinitionError } from "./worker.js";
export type { Worker, WorkerDefinition, InputSpec, Decoder, DecodeResult, DeliveryMode } from "./worker.js";
export { runPipeline, startPipeline, startWorkers } from "./pipeline.js";
export { defineEntry, isMainModule, onlyFrom, readTopology, type Entry, type EntryDefinition, type StartOptions, type WorkerModuleLoader } from "./entry.js";
export type {
  PipelineOptions,
  PipelineRun,
  Progress,
  RunSummary,
  SinkOptions,
  SourceFeed,
  SourceRecord,
  TopicReport,
  WorkerProgress,
} from "./pipeline.js";
export { WorkerInstance } from "./runner/instance.js";
export type { FaultInjector, FaultPoint, InstanceExit, InstanceOptions } from "./runner/instance.js";
export { HandlerTimeoutError } from "./runner/context.js";

// Accounting, metrics, logs.
export { ConservationError, Ledger } from "./accounting.js";
export type { StageReport } from "./accounting.js";
export { RunMetrics } from "./metrics.js";
export { createLogger } from "./logging.js";
export type { Logger } from "./logging.js";

// Transports.
export type {
  Transport,
  TransportCapabilities,
  Producer,
  ProducerOptions,
  ProducerRecord,
  Consumer,
  ConsumerOptions,
  ConsumedRecord,
  RecordBatch,
  RecordHeaders,
  RebalanceListener,
  PollOptions,
  Transaction,
  TopicPartition,
  TopicPartitionOffset,
  PartitionWatermarks,
  TopicSpec,
} from "./transport.js";
export {
  TransportError,
  UnknownTopicError,
  TopicMismatchError,
  CommitFailedError,
  ProducerFencedError,
  ClosedError,
} from "./transport.js";
export { EmbeddedBroker } from "./embedded/broker.js";
export type { EmbeddedBrokerOptions } from "./embedded/broker.js";
export { systemClock, VirtualClock } from "./clock.js";
export type { Clock } from "./clock.js";
export { readTopic } from "./read.js";

// Topology (topology.json).
export { planTopology, topicSpecs, DEFAULT_DEDUPE_WINDOW } from "./topology.js";
export type { Topology, TopologyTopic, TopologyWorker, TopicRole, PlanOptions } from "./topology.js";

// Dead letters (`flowc dlq list|replay`).
export { listDeadLetters, replayDeadLetters, parseDeadLetter } from "./dlq.js";
export type { DeadLetter, ListOptions, ReplayOptions } from "./dlq.js";
export type { DeadLetterBody, DeadLetterReason, Origin } from "./dead-letters.js";

// The stage combinators, so generated code needs one import.
export {
  copy,
  filter,
  split,
  shard,
  emit,
  mergeFirst,
  map,
  flatMap,
  NonRetriableError,
  Headers,
  deriveMessageId,
  coordinatesId,
  murmur2,
  partitionForKey,
} from "../stdlib/index.js";
export type {
  Route,
  Predicate,
  KeyFunction,
  HandlerContext,
  HandlerSpec,
  MapHandler,
  FlatMapHandler,
  RetryPolicy,
  BackoffPolicy,
  StageKind,
  StageCounts,
} from "../stdlib/index.js";
export { createKafkaTransport, kafkaTransportFromEnv, KafkaTransport, type KafkaTransportOptions } from "./kafka/index.js";
