import { VirtualClock } from "../../runtime/clock.js";
import { EmbeddedBroker } from "../../runtime/embedded/broker.js";
import { readTopic } from "../../runtime/read.js";
import type { ConsumedRecord, Transport } from "../../runtime/transport.js";
import type { DecodeResult } from "../../runtime/worker.js";
import { Headers } from "../../stdlib/headers.js";

/** The message type most runner tests use. */
export interface Msg {
  readonly id: string;
  readonly n: number;
  readonly key?: string;
  readonly tag?: string;
}

/** A hand-written decoder, as the compiler would generate. */
export function decodeMsg(raw: unknown): DecodeResult<Msg> {
  if (typeof raw !== "object" || raw === null) return { ok: false, reason: "expected an object" };
  const r = raw as Record<string, unknown>;
  if (typeof r.id !== "string") return { ok: false, reason: ".id: expected a string" };
  if (typeof r.n !== "number") return { ok: false, reason: ".n: expected a number" };
  return { ok: true, value: r as unknown as Msg };
}

export function embedded(): { clock: VirtualClock; broker: EmbeddedBroker } {
  const clock = new VirtualClock();
  return { clock, broker: new EmbeddedBroker({ clock }) };
}

export async function records(transport: Transport, topic: string): Promise<ConsumedRecord[]> {
  return readTopic(transport, topic);
}

export async function values<T = unknown>(transport: Transport, topic: string): Promise<T[]> {
  return (await readTopic(transport, topic)).map((r) => JSON.parse(r.value!) as T);
}

export function idOf(record: ConsumedRecord): string {
  return record.headers[Headers.id];
}

/** A seeded PRNG (mulberry32) for jitter in tests. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
