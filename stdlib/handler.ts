import type { Logger } from "pino";

/**
 * What a handler sees besides its value. `messageId` is stable across redeliveries and
 * retries, so it is the natural idempotency key for effects outside Kafka.
 */
export interface HandlerContext {
  readonly messageId: string;
  readonly stage: string;
  /** The lane of a copy/split this handler runs in, if any. */
  readonly lane: string | undefined;
  /** The shard (the input record's partition) when the input topic is sharded. */
  readonly shard: number | undefined;
  /** The input record's partition. */
  readonly partition: number;
  /** 1 on the first try, 2 on the first retry, ... */
  readonly attempt: number;
  /** Aborted when the handler times out or the worker stops: pass it to fetch() and friends. */
  readonly signal: AbortSignal;
  readonly log: Logger;
}

/**
 * Exponential backoff: before retry n (n = 1 for the first retry) the delay is
 * min(maxMs, initialMs * multiplier^(n-1)), then jittered:
 * - "equal" (default): uniformly in [delay/2, delay], keeping the exponential shape;
 * - "full": uniformly in [0, delay] (most spread, may retry almost at once);
 * - "none": exactly delay.
 */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly multiplier?: number;
  readonly jitter?: "equal" | "full" | "none";
}

export interface RetryPolicy {
  /** Total attempts including the first: `attempts: 5` means 1 try + up to 4 retries. */
  readonly attempts: number;
  readonly backoff?: BackoffPolicy;
}

interface HandlerOptions {
  /** The lane this handler runs in (copy/split lane name), passed to it as `ctx.lane`. */
  readonly lane?: string;
  readonly retry?: RetryPolicy;
  /** Per attempt. A timed-out attempt fails like a thrown error (and aborts `ctx.signal`). */
  readonly timeoutMs?: number;
  /** Handler calls in flight at once in one worker instance (default 1). */
  readonly concurrency?: number;
}

export interface MapHandler<In, Out> extends HandlerOptions {
  readonly kind: "map";
  readonly stage: string;
  readonly run: (value: In, ctx: HandlerContext) => Out | PromiseLike<Out>;
}

export interface FlatMapHandler<In, Out> extends HandlerOptions {
  readonly kind: "flatMap";
  readonly stage: string;
  readonly run: (value: In, ctx: HandlerContext) => Iterable<Out> | PromiseLike<Iterable<Out>>;
}

export type HandlerSpec<In, Out> = MapHandler<In, Out> | FlatMapHandler<In, Out>;

/** `map(handler)`: one output per input. */
export function map<In, Out>(
  stage: string,
  run: (value: In, ctx: HandlerContext) => Out | PromiseLike<Out>,
  options: HandlerOptions = {},
): MapHandler<In, Out> {
  return { ...options, kind: "map", stage, run };
}

/** `flatMap(handler)`: zero or more outputs per input, each with its own derived id. */
export function flatMap<In, Out>(
  stage: string,
  run: (value: In, ctx: HandlerContext) => Iterable<Out> | PromiseLike<Iterable<Out>>,
  options: HandlerOptions = {},
): FlatMapHandler<In, Out> {
  return { ...options, kind: "flatMap", stage, run };
}

/**
 * Throw this from a handler when retrying cannot help (bad input the schema could not catch):
 * the message goes to the dead-letter topic at once.
 */
export class NonRetriableError extends Error {
  override readonly name = "NonRetriableError";
}

/** Checks a handler spec; returns the problems found (empty when valid). */
export function handlerProblems(spec: HandlerSpec<never, unknown>): string[] {
  const problems: string[] = [];
  if (spec.kind !== "map" && spec.kind !== "flatMap") problems.push(`kind must be "map" or "flatMap"`);
  if (typeof spec.stage !== "string" || spec.stage.length === 0) problems.push("stage must be a non-empty string");
  if (typeof spec.run !== "function") problems.push("run must be a function");
  if (spec.retry !== undefined) {
    const { attempts, backoff } = spec.retry;
    if (!Number.isInteger(attempts) || attempts < 1) problems.push(`retry.attempts must be an integer >= 1, got ${attempts}`);
    if (backoff !== undefined) {
      if (!(backoff.initialMs >= 0)) problems.push("retry.backoff.initialMs must be >= 0");
      if (!(backoff.maxMs >= backoff.initialMs)) problems.push("retry.backoff.maxMs must be >= initialMs");
      if (backoff.multiplier !== undefined && !(backoff.multiplier >= 1)) problems.push("retry.backoff.multiplier must be >= 1");
    }
  }
  if (spec.timeoutMs !== undefined && !(spec.timeoutMs > 0)) problems.push("timeoutMs must be > 0");
  if (spec.concurrency !== undefined && (!Number.isInteger(spec.concurrency) || spec.concurrency < 1)) {
    problems.push("concurrency must be an integer >= 1");
  }
  return problems;
}

/** The delay before retry number `retry` (1-based), jittered with `random()` in [0, 1). */
export function backoffDelay(policy: BackoffPolicy | undefined, retry: number, random: () => number): number {
  if (policy === undefined) return 0;
  const multiplier = policy.multiplier ?? 2;
  const delay = Math.min(policy.maxMs, policy.initialMs * multiplier ** (retry - 1));
  switch (policy.jitter ?? "equal") {
    case "none":
      return delay;
    case "full":
      return Math.floor(random() * delay);
    case "equal":
      return Math.floor(delay / 2 + random() * (delay / 2));
  }
}
