/**
 * The handlers of the programs the flow property suite prints (test/flow-properties/program.ts):
 * the map and flatMap behaviours of the runtime suite's lanes (test/runtime/properties.ts,
 * `handlerOutputs`), one handler per lane because a lane's number is part of its output.
 *
 * - poison always fails; flaky fails its first attempt only;
 * - map: the message with `n + lane + 1` and `via: lane`;
 * - flatMap: `n % 3` items, item i with `n + i`, `via: lane` and `part: i`.
 *
 * Self-contained (no import of generated types or of flowc), so a printed program that sits
 * beside this file builds and runs with `flowc run` as it is.
 */

export interface Msg {
  readonly id: string;
  readonly n: number;
  readonly key: string;
  readonly tag?: "poison" | "flaky";
  readonly via?: number;
  readonly part?: number;
}

/** The part of the handler context these handlers read. */
export interface Attempt {
  readonly attempt: number;
}

function fail(m: Msg, ctx: Attempt): void {
  if (m.tag === "poison") throw new Error(`poison ${m.id}`);
  if (m.tag === "flaky" && ctx.attempt === 1) throw new Error(`flaky ${m.id}`);
}

function mapped(lane: number, m: Msg, ctx: Attempt): Msg {
  fail(m, ctx);
  return { ...m, n: m.n + lane + 1, via: lane };
}

function flatMapped(lane: number, m: Msg, ctx: Attempt): Msg[] {
  fail(m, ctx);
  return Array.from({ length: m.n % 3 }, (_, i) => ({ ...m, n: m.n + i, via: lane, part: i }));
}

export function mapLane0(m: Msg, ctx: Attempt): Msg {
  return mapped(0, m, ctx);
}
export function mapLane1(m: Msg, ctx: Attempt): Msg {
  return mapped(1, m, ctx);
}
export function mapLane2(m: Msg, ctx: Attempt): Msg {
  return mapped(2, m, ctx);
}
export function flatMapLane0(m: Msg, ctx: Attempt): Msg[] {
  return flatMapped(0, m, ctx);
}
export function flatMapLane1(m: Msg, ctx: Attempt): Msg[] {
  return flatMapped(1, m, ctx);
}
export function flatMapLane2(m: Msg, ctx: Attempt): Msg[] {
  return flatMapped(2, m, ctx);
}
