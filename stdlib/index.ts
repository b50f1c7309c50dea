/**
 * flowc/stdlib: the stage combinators generated workers use, the partitioner hash and the id
 * derivation. Everything here is also re-exported by flowc/runtime.
 */
export { copy, filter, split, shard, emit, mergeFirst, routeOutputs, routeNode, RouteDefinitionError } from "./route.js";
export type {
  Route,
  Predicate,
  KeyFunction,
  RouteNode,
  CopyNode,
  CopyLane,
  FilterNode,
  SplitNode,
  SplitCase,
  ShardNode,
  EmitNode,
  MergeFirstNode,
} from "./route.js";
export { map, flatMap, NonRetriableError, backoffDelay, handlerProblems } from "./handler.js";
export type { HandlerContext, HandlerSpec, MapHandler, FlatMapHandler, RetryPolicy, BackoffPolicy } from "./handler.js";
export { compileRoute, RouteScope, StageTable } from "./compile.js";
export type { CompiledRoute, Emission, EmissionSink, RouteFailure, StageEntry } from "./compile.js";
export { conservationViolation, readCounts, Field, FIELDS } from "./accounting.js";
export type { StageKind, StageCounts } from "./accounting.js";
export { murmur2, murmur2String, toPositive, partitionForKey } from "./murmur2.js";
export { deriveMessageId, coordinatesId, murmur3x86x128Hex } from "./ids.js";
export { Headers } from "./headers.js";
