/**
 * Per-stage counters and the conservation law each kind of stage obeys.
 *
 * Counters live in flat Float64Arrays (FIELDS slots per stage) because the route code bumps
 * them for every message; objects with named fields are built only for reports.
 */

export type StageKind =
  | "decode"
  | "map"
  | "flatMap"
  | "copy"
  | "filter"
  | "split"
  | "shard"
  | "emit"
  | "mergeFirst";

/** Slot offsets inside a stage's counter block. */
export const Field = {
  in: 0,
  out: 1,
  dropped: 2,
  dead: 3,
  /** Retry attempts scheduled (a message retried twice counts 2). */
  retried: 4,
  /** Messages waiting on a retry topic: they entered the stage and have not settled. */
  pending: 5,
  /** Handler inputs that succeeded (flatMap's `out` counts items, so it needs this too). */
  completed: 6,
  /** Records skipped because their id was already processed (decode stage only). */
  duplicates: 7,
} as const;
export const FIELDS = 8;

export interface StageCounts {
  in: number;
  out: number;
  dropped: number;
  dead: number;
  retried: number;
  pending: number;
  completed: number;
  duplicates: number;
}

export function readCounts(counts: Float64Array, stageIndex: number): StageCounts {
  const b = stageIndex * FIELDS;
  return {
    in: counts[b + Field.in],
    out: counts[b + Field.out],
    dropped: counts[b + Field.dropped],
    dead: counts[b + Field.dead],
    retried: counts[b + Field.retried],
    pending: counts[b + Field.pending],
    completed: counts[b + Field.completed],
    duplicates: counts[b + Field.duplicates],
  };
}

/**
 * Checks one stage's conservation law. Works on cumulative counters and on any delta made of
 * whole settlements (the laws are linear). `lanes` is the number of copy lanes.
 * Returns a description of the violation, or undefined when the law holds.
 *
 * - decode: in = out + dead
 * - map: in = completed + dead + pending, and out = completed
 * - flatMap: in = completed + dead + pending (out counts items)
 * - copy: out = lanes x in
 * - filter: in = out + dropped + dead
 * - split, shard, mergeFirst: in = out + dead
 * - emit: in = out
 */
export function conservationViolation(kind: StageKind, c: StageCounts, lanes = 1): string | undefined {
  const fail = (law: string) =>
    `${law} does not hold: in=${c.in} out=${c.out} dropped=${c.dropped} dead=${c.dead} pending=${c.pending} completed=${c.completed}`;
  switch (kind) {
    case "decode":
      return c.in === c.out + c.dead && c.dropped === 0 ? undefined : fail("in = out + dead");
    case "map":
      if (c.in !== c.completed + c.dead + c.pending) return fail("in = completed + dead + pending");
      return c.out === c.completed ? undefined : fail("out = completed");
    case "flatMap":
      return c.in === c.completed + c.dead + c.pending ? undefined : fail("in = completed + dead + pending");
    case "copy":
      return c.out === lanes * c.in && c.dead === 0 && c.dropped === 0
        ? undefined
        : fail(`out = ${lanes} lanes x in`);
    case "filter":
      return c.in === c.out + c.dropped + c.dead ? undefined : fail("in = out + dropped + dead");
    case "split":
    case "shard":
    case "mergeFirst":
      return c.in === c.out + c.dead && c.dropped === 0 ? undefined : fail("in = out + dead");
    case "emit":
      return c.in === c.out && c.dead === 0 && c.dropped === 0 ? undefined : fail("in = out");
  }
}
