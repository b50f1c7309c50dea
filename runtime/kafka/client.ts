/**
 * kafkajs, loaded once, plus the two pieces of its internals the transport relies on. Both are
 * checked against kafkajs 2.2.4 (its last release) when this module loads, so an unexpected
 * kafkajs fails loudly at startup instead of misbehaving at the first rebalance:
 *
 * - `ConsumerGroup.prototype.joinAndSync` is wrapped so a consumer of this transport can run its
 *   `revoked` callback BEFORE the member re-joins the group (see consumer.ts, "Rebalances").
 *   Consumers of other code in the same process (kafkajs used directly) pass straight through.
 * - `Batch` (the consumer's fetch-response decoder, which drops aborted and control records)
 *   decodes the Fetch responses of `Transport.read`.
 *
 * The per-consumer `cluster` object reaches us through kafkajs' public partition-assigner
 * factory (`partitionAssigners: [({ cluster }) => ...]`), which kafkajs calls while it builds
 * the consumer.
 */
import { createRequire, Module } from "node:module";
import type * as KafkaJS from "kafkajs";

const require = createRequire(import.meta.url);

// kafkajs warns about its v2 partitioner on every producer unless told not to.
process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= "1";

/** A decoded record as kafkajs' fetch decoder gives it to the aborted-record filter. */
export interface RawFetchedMessage {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly isControlRecord?: boolean;
  readonly batchContext: { readonly producerId: string; readonly inTransaction: boolean };
}

const ABORT_MARKER_KEY = Buffer.from([0, 0, 0, 0]);

/**
 * Drops the records of aborted transactions from a read_committed fetch, as Kafka's Java
 * consumer does. Replaces kafkajs' own filter, which enters at most one aborted transaction
 * per record and assumes the broker's list is sorted: with several producers' transactions
 * aborted in the same range (a worker killed with 10 input partitions' transactions open), it
 * lets aborted records through, and a read_committed reader sees outputs that were never
 * committed.
 */
export function filterAbortedMessages<M extends RawFetchedMessage>({
  messages,
  abortedTransactions,
}: {
  messages: M[];
  abortedTransactions?: ReadonlyArray<{ readonly producerId: string; readonly firstOffset: string }>;
}): M[] {
  if (!abortedTransactions || abortedTransactions.length === 0) return messages;
  const pending = [...abortedTransactions].sort((a, b) => {
    const x = BigInt(a.firstOffset);
    const y = BigInt(b.firstOffset);
    return x < y ? -1 : x > y ? 1 : 0;
  });
  const aborted = new Set<string>();
  let next = 0;
  return messages.filter((message) => {
    const offset = BigInt(message.offset);
    while (next < pending.length && offset >= BigInt(pending[next].firstOffset)) aborted.add(String(pending[next++].producerId));
    const context = message.batchContext as RawFetchedMessage["batchContext"] | undefined;
    if (context === undefined) return true; // pre-0.11 message format: no transactions
    const producerId = String(context.producerId);
    if (message.isControlRecord) {
      // The abort marker ends that producer's aborted transaction (markers are dropped later).
      if (message.key !== null && Buffer.from(message.key).equals(ABORT_MARKER_KEY)) aborted.delete(producerId);
      return true;
    }
    return !(context.inTransaction && aborted.has(producerId));
  });
}

// Install the filter before kafkajs' consumer modules load (they bind it at require time).
const FIXED = Symbol.for("flowc.kafka.filterAbortedMessages");
(filterAbortedMessages as unknown as Record<symbol, boolean>)[FIXED] = true;
const filterPath = require.resolve("kafkajs/src/consumer/filterAbortedMessages.js");
const batchLoaded = require.cache[require.resolve("kafkajs/src/consumer/batch.js")] !== undefined;
if (!batchLoaded) {
  const m = new Module(filterPath);
  m.filename = filterPath;
  m.loaded = true;
  m.exports = filterAbortedMessages;
  require.cache[filterPath] = m;
}
/** Whether kafkajs in this process uses a corrected filter (ours, or another flowc copy's). */
export const abortedFilterInstalled =
  !batchLoaded || (require.cache[filterPath]?.exports as Record<symbol, boolean> | undefined)?.[FIXED] === true;
if (!abortedFilterInstalled) {
  process.stderr.write(
    "flowc: kafkajs was loaded before flowc's Kafka transport; its read_committed filter can let aborted records through (load flowc/runtime first)\n",
  );
}

/**
 * kafkajs' groupMessagesPerPartition (producer/groupMessagesPerPartition.js) with the same
 * result, in linear time: kafkajs' copies a partition's array for every message
 * (`[...current, message]`), quadratic in the messages per partition of one send (a send of
 * 1,000 messages to one partition copies half a million array slots). Installed the same way
 * as the filter above, before kafkajs' producer modules load; otherwise kafkajs keeps its own.
 */
export function groupMessagesPerPartition<M>({
  topic,
  partitionMetadata,
  messages,
  partitioner,
}: {
  topic: string;
  partitionMetadata: readonly unknown[];
  messages: readonly M[];
  partitioner: (args: { topic: string; partitionMetadata: readonly unknown[]; message: M }) => number;
}): Record<number, M[]> {
  const result: Record<number, M[]> = {};
  if (partitionMetadata.length === 0) return result;
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    const list = result[partition];
    if (list === undefined) result[partition] = [message];
    else list.push(message);
  }
  return result;
}
const groupPath = require.resolve("kafkajs/src/producer/groupMessagesPerPartition.js");
if (require.cache[require.resolve("kafkajs/src/producer/sendMessages.js")] === undefined) {
  const m = new Module(groupPath);
  m.filename = groupPath;
  m.loaded = true;
  m.exports = groupMessagesPerPartition;
  require.cache[groupPath] = m;
}

/** kafkajs' Encoder (protocol/encoder.js): the record encoder below returns one. */
interface KafkajsEncoder {
  buf: Buffer;
  offset: number;
}
type RecordArgs = {
  offsetDelta?: number;
  timestampDelta?: number;
  key?: unknown;
  value?: unknown;
  headers?: Record<string, unknown>;
};
const encoderPath = require.resolve("kafkajs/src/protocol/encoder.js");
const recordPath = require.resolve("kafkajs/src/protocol/recordBatch/record/v0/index.js");
const producePath = require.resolve("kafkajs/src/protocol/requests/produce/v3/request.js");
let kafkajsRecord: ((args: RecordArgs) => KafkajsEncoder) | undefined;
let encoderPrototype: object | undefined;

const isInt32 = (v: unknown): v is number => typeof v === "number" && (v | 0) === v;
const zigzag = (v: number): number => ((v << 1) ^ (v >> 31)) >>> 0;
function uvarintSize(u: number): number {
  let n = 1;
  while (u > 127) {
    n++;
    u >>>= 7;
  }
  return n;
}
function writeUVarInt(buf: Buffer, at: number, u: number): number {
  while (u > 127) {
    buf[at++] = (u & 0x7f) | 0x80;
    u >>>= 7;
  }
  buf[at++] = u;
  return at;
}
/** Byte length of a key, value or header value as kafkajs writes it; -1 for null; undefined
 *  for what the fast path leaves to kafkajs. */
function fieldLength(v: unknown): number | undefined {
  if (v === null || v === undefined) return -1;
  if (typeof v === "string") return v.length === 0 ? 0 : Buffer.byteLength(v, "utf8");
  if (Buffer.isBuffer(v)) return v.length;
  return undefined;
}
function writeField(buf: Buffer, at: number, v: unknown, length: number): number {
  at = writeUVarInt(buf, at, zigzag(length));
  if (length <= 0) return at;
  if (typeof v === "string") buf.write(v, at, length, "utf8");
  else (v as Buffer).copy(buf, at);
  return at + length;
}

/**
 * kafkajs' record encoder (protocol/recordBatch/record/v0) with byte-identical output, in one
 * buffer of the exact size: kafkajs' builds an Encoder per record and per header, each a zeroed
 * 512-byte buffer, and a small array and Buffer per varint. Records it does not cover (header
 * value arrays, timestamp deltas beyond 32 bits, keys that are neither text nor bytes) go to
 * kafkajs' own.
 */
export function encodeRecord(args: RecordArgs): KafkajsEncoder {
  const { offsetDelta = 0, timestampDelta = 0, key, value, headers } = args;
  const fallback = () => kafkajsRecord!(args);
  if (!isInt32(offsetDelta) || !isInt32(timestampDelta)) return fallback();
  const keyLength = fieldLength(key);
  const valueLength = fieldLength(value);
  if (keyLength === undefined || valueLength === undefined) return fallback();
  const fieldSize = (n: number) => uvarintSize(zigzag(n)) + (n > 0 ? n : 0);
  let headerCount = 0;
  let headersSize = 0;
  let headerLengths: number[] | undefined;
  if (headers !== undefined && headers !== null) {
    for (const k in headers) {
      if (!Object.prototype.hasOwnProperty.call(headers, k)) continue;
      const v = headers[k];
      const vLength = v === null || v === undefined ? undefined : fieldLength(v);
      if (vLength === undefined) return fallback();
      const kLength = Buffer.byteLength(k, "utf8");
      (headerLengths ??= []).push(kLength, vLength);
      headersSize += fieldSize(kLength) + fieldSize(vLength);
      headerCount++;
    }
  }
  headersSize += uvarintSize(zigzag(headerCount));
  const body = 1 + uvarintSize(zigzag(timestampDelta)) + uvarintSize(zigzag(offsetDelta)) + fieldSize(keyLength) + fieldSize(valueLength) + headersSize;
  const size = uvarintSize(zigzag(body)) + body;
  const buf = Buffer.allocUnsafe(size);
  let at = writeUVarInt(buf, 0, zigzag(body));
  buf[at++] = 0; // attributes
  at = writeUVarInt(buf, at, zigzag(timestampDelta));
  at = writeUVarInt(buf, at, zigzag(offsetDelta));
  at = writeField(buf, at, key, keyLength);
  at = writeField(buf, at, value, valueLength);
  at = writeUVarInt(buf, at, zigzag(headerCount));
  if (headerCount > 0) {
    let i = 0;
    for (const k in headers) {
      if (!Object.prototype.hasOwnProperty.call(headers, k)) continue;
      at = writeField(buf, at, k, headerLengths![i]);
      at = writeField(buf, at, headers![k], headerLengths![i + 1]);
      i += 2;
    }
  }
  if (at !== size) throw new Error(`flowc: record encoded to ${at} bytes, ${size} expected`);
  const encoder = Object.create(encoderPrototype!) as KafkajsEncoder;
  encoder.buf = buf;
  encoder.offset = size;
  return encoder;
}
if (require.cache[producePath] === undefined) {
  encoderPrototype = (require(encoderPath) as { prototype: object }).prototype;
  kafkajsRecord = require(recordPath) as (args: RecordArgs) => KafkajsEncoder;
  const cached = require.cache[recordPath];
  if (cached !== undefined) cached.exports = encodeRecord;
} else {
  // kafkajs is loaded already: its own encoder stays; keep encodeRecord usable for tests.
  encoderPrototype = (require(encoderPath) as { prototype: object }).prototype;
  kafkajsRecord = require(recordPath) as (args: RecordArgs) => KafkajsEncoder;
}
/** kafkajs' Decoder (protocol/decoder.js), the parts the record decoder below uses. */
interface KafkajsDecoder {
  buffer: Buffer;
  offset: number;
  readInt8(): number;
  readVarInt(): number;
  readVarIntBytes(): Buffer | null;
  readVarIntString(): string | null;
}
interface RecordContext {
  firstOffset?: string;
  firstTimestamp?: string;
  magicByte?: number;
  isControlBatch?: boolean;
  timestampType?: number;
  maxTimestamp?: string;
}
const recordDecoderPath = require.resolve("kafkajs/src/protocol/recordBatch/record/v0/decoder.js");
const batchDecoderPath = require.resolve("kafkajs/src/protocol/recordBatch/v0/decoder.js");
const kafkajsRecordDecoder = require(recordDecoderPath) as (decoder: KafkajsDecoder, context?: RecordContext) => unknown;
const LOG_APPEND_TIME = 1;

/** `base + delta` as kafkajs' Long arithmetic prints it, or undefined outside safe integers. */
function addToDecimal(base: unknown, delta: number): string | undefined {
  if (typeof base !== "string") return undefined;
  const n = Number(base);
  if (!Number.isSafeInteger(n) || String(n) !== base) return undefined;
  const sum = n + delta;
  return Number.isSafeInteger(sum) ? String(sum) : undefined;
}

/**
 * kafkajs' record decoder (protocol/recordBatch/record/v0/decoder.js) with the same result,
 * without its per-record `Long` arithmetic for the offset and the timestamp (numbers while they
 * are safe integers) and without rebuilding the headers object with a spread for every header.
 * Anything else (timestamp deltas of more than 4 varint bytes, offsets beyond 2^53, a header
 * named __proto__) is decoded again from the start by kafkajs' own.
 */
export function decodeRecord(decoder: KafkajsDecoder, batchContext: RecordContext = {}): unknown {
  const { firstOffset, firstTimestamp, magicByte, isControlBatch = false, timestampType, maxTimestamp } = batchContext;
  const start = decoder.offset;
  const fallback = () => {
    decoder.offset = start;
    return kafkajsRecordDecoder(decoder, batchContext);
  };
  const attributes = decoder.readInt8();
  // TimestampDelta, a zigzag varlong: up to 4 bytes here (|delta| < 2^27).
  const buf = decoder.buffer;
  let at = decoder.offset;
  let raw = 0;
  for (let shift = 0; ; shift += 7) {
    const b = buf[at++];
    if (b === undefined || shift > 21) return fallback();
    raw += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
  }
  decoder.offset = at;
  const timestampDelta = (raw >>> 1) ^ -(raw & 1);
  let timestamp: string | undefined;
  if (timestampType === LOG_APPEND_TIME && maxTimestamp) timestamp = maxTimestamp;
  else if ((timestamp = addToDecimal(firstTimestamp, timestampDelta)) === undefined) return fallback();
  const offsetDelta = decoder.readVarInt();
  const offset = addToDecimal(firstOffset, offsetDelta);
  if (offset === undefined) return fallback();
  const key = decoder.readVarIntBytes();
  const value = decoder.readVarIntBytes();
  const count = decoder.readVarInt();
  if (count < -1) return fallback();
  const headers: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) {
    const name = decoder.readVarIntString();
    const headerValue = decoder.readVarIntBytes();
    if (name === "__proto__") return fallback();
    const k = String(name);
    const current = headers[k];
    headers[k] = current === undefined ? headerValue : Array.isArray(current) ? current.concat([headerValue]) : [current, headerValue];
  }
  return { magicByte, attributes, timestamp, offset, key, value, headers, isControlRecord: isControlBatch, batchContext };
}
if (require.cache[batchDecoderPath] === undefined) {
  const cached = require.cache[recordDecoderPath];
  if (cached !== undefined) cached.exports = decodeRecord;
}
/** kafkajs' own record decoder (for tests comparing the two). */
export const kafkajsDecodeRecord = kafkajsRecordDecoder;

/** kafkajs' own record encoder (for tests comparing the two). */
export const kafkajsRecordEncoder = (args: RecordArgs): KafkajsEncoder => kafkajsRecord!(args);

export const kafkajs = require("kafkajs") as typeof KafkaJS;
export type { KafkaJS };

const kafkajsVersion = (require("kafkajs/package.json") as { version: string }).version;

/** The parts of kafkajs' internal ConsumerGroup the transport reads. */
export interface InternalConsumerGroup {
  readonly cluster: InternalCluster;
  readonly groupId: string;
  generationId: number | null;
  memberId: string | null;
  coordinator: InternalBroker | null;
}

/** kafkajs' internal Broker (one connection to one node); only the requests we send. */
export interface InternalBroker {
  readonly nodeId: number;
  metadata(topics: string[]): Promise<{
    topicMetadata: Array<{ topic: string; partitionMetadata: Array<{ partitionId: number; leader: number }> }>;
  }>;
  fetch(request: {
    isolationLevel: number;
    maxWaitTime: number;
    minBytes: number;
    maxBytes: number;
    topics: Array<{ topic: string; partitions: Array<{ partition: number; fetchOffset: string; maxBytes: number }> }>;
  }): Promise<{ responses: Array<{ topicName: string; partitions: Array<InternalPartitionData> }> }>;
  offsetCommit(request: {
    groupId: string;
    groupGenerationId: number;
    memberId: string;
    topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>;
  }): Promise<unknown>;
  offsetFetch(request: {
    groupId: string;
    topics: Array<{ topic: string; partitions: Array<{ partition: number }> }>;
  }): Promise<{ responses: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }> }>;
  heartbeat(request: { groupId: string; groupGenerationId: number; memberId: string }): Promise<unknown>;
}

export interface InternalPartitionData {
  readonly partition: number;
  readonly highWatermark: string;
  readonly messages: unknown[];
}

/** kafkajs' internal Cluster (metadata and connections of one client). */
export interface InternalCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  isConnected(): boolean;
  refreshMetadata(): Promise<void>;
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  findTopicPartitionMetadata(topic: string): Array<{ partitionId: number; leader: number }>;
  findBroker(options: { nodeId: number | string }): Promise<InternalBroker>;
  findControllerBroker(): Promise<InternalBroker>;
  findGroupCoordinator(options: { groupId: string }): Promise<InternalBroker>;
  fetchTopicsOffset(
    topics: Array<{ topic: string; partitions: Array<{ partition: number }>; fromBeginning?: boolean }>,
  ): Promise<Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>>;
}

/** kafkajs' Batch: decodes one partition of a Fetch response (aborted and control records dropped). */
export interface InternalBatch {
  readonly topic: string;
  readonly partition: number;
  readonly highWatermark: string;
  readonly messages: KafkaJS.KafkaMessage[];
  isEmpty(): boolean;
  lastOffset(): string;
}

type BatchClass = new (topic: string, fetchedOffset: string, partitionData: InternalPartitionData) => InternalBatch;
interface ConsumerGroupClass {
  prototype: { joinAndSync: (this: InternalConsumerGroup, ...args: unknown[]) => Promise<void> };
}

export const Batch = require("kafkajs/src/consumer/batch.js") as BatchClass;
const ConsumerGroup = require("kafkajs/src/consumer/consumerGroup.js") as ConsumerGroupClass;

if (!kafkajsVersion.startsWith("2.") || typeof ConsumerGroup?.prototype?.joinAndSync !== "function" || typeof Batch !== "function") {
  throw new Error(`flowc's Kafka transport needs kafkajs 2.x (tested with 2.2.4); found kafkajs ${kafkajsVersion}`);
}

/** What a consumer of this transport does before kafkajs (re-)joins its group. */
export interface JoinHook {
  beforeJoin(group: InternalConsumerGroup): Promise<void>;
}

/** Consumers of this transport, by their kafkajs cluster (one cluster per kafkajs consumer). */
export const joinHooks = new WeakMap<object, JoinHook>();

const WRAPPED = Symbol.for("flowc.kafka.joinAndSync");
const proto = ConsumerGroup.prototype as typeof ConsumerGroup.prototype & { [WRAPPED]?: true };
if (!proto[WRAPPED]) {
  const original = proto.joinAndSync;
  proto.joinAndSync = function joinAndSync(this: InternalConsumerGroup, ...args: unknown[]): Promise<void> {
    const hook = joinHooks.get(this.cluster);
    if (hook === undefined) return original.apply(this, args);
    return hook.beforeJoin(this).then(() => original.apply(this, args));
  };
  proto[WRAPPED] = true;
}

/** A partition assigner factory that also hands us the consumer's cluster. */
export function capturingAssigner(onCluster: (cluster: InternalCluster) => void): KafkaJS.PartitionAssigner {
  return (config) => {
    onCluster(config.cluster as unknown as InternalCluster);
    return kafkajs.PartitionAssigners.roundRobin(config);
  };
}

/** Builds a throwaway kafkajs consumer (never run) just to own a cluster for raw requests. */
export function privateCluster(kafka: KafkaJS.Kafka, groupId: string, readCommitted: boolean): InternalCluster {
  let cluster: InternalCluster | undefined;
  kafka.consumer({
    groupId,
    readUncommitted: !readCommitted,
    // Metadata requests of this cluster must never create a topic they name.
    allowAutoTopicCreation: false,
    partitionAssigners: [capturingAssigner((c) => (cluster = c))],
  });
  if (cluster === undefined) throw new Error("kafkajs did not build the consumer's partition assigner");
  return cluster;
}

// ---- errors -------------------------------------------------------------------------------------

/** The protocol error type (e.g. "ILLEGAL_GENERATION") of a kafkajs error or of what it wraps. */
export function errorType(error: unknown): string | undefined {
  let e = error as { type?: unknown; cause?: unknown; originalError?: unknown } | undefined;
  for (let depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    if (typeof e.type === "string") return e.type;
    e = (e.cause ?? e.originalError) as typeof e;
  }
  return undefined;
}

export function errorName(error: unknown): string {
  return (error as { name?: string } | undefined)?.name ?? "";
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/** The group moved on without this member: its commits are rejected. */
export const GENERATION_ERRORS = new Set(["ILLEGAL_GENERATION", "UNKNOWN_MEMBER_ID", "REBALANCE_IN_PROGRESS", "FENCED_INSTANCE_ID"]);
/** A newer producer with the same transactional id exists (PRODUCER_FENCED is sent as
 *  INVALID_PRODUCER_EPOCH to request versions as old as kafkajs'). */
export const FENCED_ERRORS = new Set(["INVALID_PRODUCER_EPOCH", "PRODUCER_FENCED", "TRANSACTIONAL_ID_AUTHORIZATION_FAILED"]);
/** The coordinator moved or is not ready: look it up again and retry. */
export const COORDINATOR_ERRORS = new Set([
  "NOT_COORDINATOR",
  "NOT_COORDINATOR_FOR_GROUP",
  "COORDINATOR_NOT_AVAILABLE",
  "GROUP_COORDINATOR_NOT_AVAILABLE",
  "COORDINATOR_LOAD_IN_PROGRESS",
  "GROUP_LOAD_IN_PROGRESS",
  "REQUEST_TIMED_OUT",
]);

export function isConnectionError(error: unknown): boolean {
  const name = errorName(error);
  return (
    name === "KafkaJSConnectionError" ||
    name === "KafkaJSConnectionClosedError" ||
    name === "KafkaJSRequestTimeoutError" ||
    name === "KafkaJSBrokerNotFound" ||
    name === "KafkaJSLockTimeout" ||
    name === "KafkaJSGroupCoordinatorNotFound" ||
    name === "KafkaJSNoBrokerAvailableError" ||
    name === "KafkaJSNumberOfRetriesExceeded" ||
    (error as { code?: string } | undefined)?.code === "ECONNREFUSED"
  );
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---- logging ------------------------------------------------------------------------------------

export type KafkaLogLevel = "nothing" | "error" | "warn" | "info" | "debug";

/**
 * kafkajs logs at ERROR several things it then retries successfully (a coordinator that is
 * loading, CONCURRENT_TRANSACTIONS right after a commit, rebalances). They are counted, and
 * printed only at debug level.
 */
const EXPECTED =
  /CONCURRENT_TRANSACTIONS|coordinator is loading|coordinator is not available|not the correct coordinator|REBALANCE_IN_PROGRESS|rebalanc|not aware of this member|Connection error|Connection timeout|ECONNREFUSED|Closed connection|Restarting the consumer|Crash: KafkaJS|The group is rebalancing|specified group generation id is not valid|This is not the correct coordinator|LEADER_NOT_AVAILABLE|leader for that topic-partition|Response Fetch|Response Heartbeat|Response OffsetCommit|Response JoinGroup|Response SyncGroup|Failed to connect to seed broker|There is no leader/i;

const LEVEL_NAMES: Record<number, string> = { 1: "ERROR", 2: "WARN", 4: "INFO", 5: "DEBUG" };

export class KafkaLog {
  readonly expected = new Map<string, number>();
  constructor(
    readonly level: KafkaLogLevel,
    private readonly write: (line: string) => void = (line) => process.stderr.write(line),
  ) {}

  kafkajsLevel(): KafkaJS.logLevel {
    const l = kafkajs.logLevel;
    return { nothing: l.NOTHING, error: l.ERROR, warn: l.WARN, info: l.INFO, debug: l.DEBUG }[this.level];
  }

  creator(): KafkaJS.logCreator {
    return () =>
      ({ namespace, level, log }) => {
        const { message, ...extra } = log;
        const text = `${message ?? ""} ${(extra as { error?: string }).error ?? ""}`;
        const known = EXPECTED.exec(text);
        if (known && this.level !== "debug") {
          const k = known[0];
          this.expected.set(k, (this.expected.get(k) ?? 0) + 1);
          return;
        }
        const name = LEVEL_NAMES[level] ?? String(level);
        this.write(`kafkajs ${name} ${namespace}: ${text.trim()}\n`);
      };
  }
}
