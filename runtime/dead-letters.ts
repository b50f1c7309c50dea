import { Headers } from "../stdlib/headers.js";
import type { ConsumedRecord, ProducerRecord, RecordHeaders } from "./transport.js";

export type DeadLetterReason = "malformed" | "handler-error" | "timeout" | "route-error";

/** Where a message was first consumed (kept across retries). */
export interface Origin {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/** The JSON body of a dead-letter record. The headers repeat the main fields for tools that
 *  only look at headers. */
export interface DeadLetterBody {
  readonly id: string;
  readonly worker: string;
  readonly stage: string;
  readonly reason: DeadLetterReason;
  readonly error: string;
  /** Attempts made (1 for malformed input and route errors). */
  readonly attempts: number;
  readonly original: Origin & { readonly key: string | null };
  /** Epoch milliseconds. */
  readonly failedAt: number;
  /** The original record's value, byte for byte (what a replay sends again). */
  readonly value: string | null;
  /** The original record's headers (ids, lineage; retry bookkeeping removed). */
  readonly headers: RecordHeaders;
}

const RETRY_HEADERS: readonly string[] = [
  Headers.attempt,
  Headers.dueAt,
  Headers.error,
  Headers.originalTopic,
  Headers.originalPartition,
  Headers.originalOffset,
];

/** The original headers of a record, without the runtime's retry bookkeeping. */
export function messageHeaders(headers: RecordHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (!RETRY_HEADERS.includes(k)) out[k] = v;
  return out;
}

/** The origin of a consumed record: its own coordinates, or those a retry record carries. */
export function originOf(record: ConsumedRecord): Origin {
  const topic = record.headers[Headers.originalTopic];
  if (topic === undefined) return { topic: record.topic, partition: record.partition, offset: record.offset };
  return {
    topic,
    partition: Number(record.headers[Headers.originalPartition]),
    offset: Number(record.headers[Headers.originalOffset]),
  };
}

export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === "string") return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}

export function deadLetterRecord(args: {
  readonly topic: string;
  readonly id: string;
  readonly worker: string;
  readonly stage: string;
  readonly reason: DeadLetterReason;
  readonly error: string;
  readonly attempts: number;
  readonly record: ConsumedRecord;
  readonly failedAt: number;
}): ProducerRecord {
  const origin = originOf(args.record);
  const body: DeadLetterBody = {
    id: args.id,
    worker: args.worker,
    stage: args.stage,
    reason: args.reason,
    error: args.error,
    attempts: args.attempts,
    original: { ...origin, key: args.record.key },
    failedAt: args.failedAt,
    value: args.record.value,
    headers: { ...messageHeaders(args.record.headers), [Headers.id]: args.id },
  };
  return {
    topic: args.topic,
    key: args.record.key,
    value: JSON.stringify(body),
    headers: {
      [Headers.id]: args.id,
      [Headers.originalTopic]: origin.topic,
      [Headers.originalPartition]: String(origin.partition),
      [Headers.originalOffset]: String(origin.offset),
      [Headers.error]: args.error,
      [Headers.attempts]: String(args.attempts),
      [Headers.stage]: args.stage,
      [Headers.worker]: args.worker,
      [Headers.reason]: args.reason,
    },
  };
}

/** A retry record: the original value and headers plus the attempt it waits for and when. */
export function retryRecord(args: {
  readonly topic: string;
  readonly id: string;
  readonly partition: number | undefined;
  readonly record: ConsumedRecord;
  readonly nextAttempt: number;
  readonly dueAt: number;
  readonly error: string;
}): ProducerRecord {
  const origin = originOf(args.record);
  return {
    topic: args.topic,
    partition: args.partition,
    key: args.record.key,
    value: args.record.value,
    headers: {
      ...messageHeaders(args.record.headers),
      // Always explicit: a source record without one has a coordinates id, which the retry
      // topic's coordinates would otherwise replace.
      [Headers.id]: args.id,
      [Headers.attempt]: String(args.nextAttempt),
      [Headers.dueAt]: String(args.dueAt),
      [Headers.error]: args.error,
      [Headers.originalTopic]: origin.topic,
      [Headers.originalPartition]: String(origin.partition),
      [Headers.originalOffset]: String(origin.offset),
    },
  };
}
