import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { runPipeline } from "../../runtime/pipeline.js";
import { KeyedScheduler } from "../../runtime/runner/scheduler.js";
import { topicSpecs } from "../../runtime/topology.js";
import { defineWorker } from "../../runtime/worker.js";
import { Headers } from "../../stdlib/headers.js";
import { emit } from "../../stdlib/route.js";
import { decodeMsg, embedded, type Msg } from "./helpers.js";

function tick(times: number): Promise<void> {
  let p = Promise.resolve();
  for (let i = 0; i < times; i++) p = p.then(() => undefined);
  return p;
}

describe("retry priority", () => {
  function worker(seen: Array<{ id: string; at: number }>, now: () => number) {
    return defineWorker<Msg, Msg>({
      id: "work",
      input: { topic: "in", decode: decodeMsg },
      handler: {
        kind: "map",
        stage: "work/map",
        concurrency: 1,
        retry: { attempts: 3, backoff: { initialMs: 100, maxMs: 100 } },
        run: (m) => {
          seen.push({ id: m.id, at: now() });
          return m;
        },
      },
      retryTopics: ["work.retry"],
      route: emit("out"),
    });
  }

  it("takes new work before a backlog of due retries", async () => {
    const { clock, broker } = embedded();
    const seen: Array<{ id: string; at: number }> = [];
    const w = worker(seen, () => clock.now());
    await broker.createTopics(topicSpecs([w], undefined));
    const producer = await broker.producer();
    // A backlog of retries, all due, written before the new messages.
    await producer.send(
      Array.from({ length: 300 }, (_, i) => ({
        topic: "work.retry",
        partition: 0,
        key: null,
        value: JSON.stringify({ id: `retry-${i}`, n: i }),
        headers: { [Headers.id]: `retry-${i}`, [Headers.attempt]: "2", [Headers.dueAt]: "0" },
      })),
    );
    await producer.send(
      Array.from({ length: 20 }, (_, i) => ({ topic: "in", key: null, value: JSON.stringify({ id: `new-${i}`, n: i }) })),
    );
    await runPipeline({ workers: [w], transport: broker, clock, maxInFlight: 40 });
    expect(seen).toHaveLength(320);
    expect(seen.slice(0, 20).map((s) => s.id)).toEqual(Array.from({ length: 20 }, (_, i) => `new-${i}`));
    // Retries keep their own order behind.
    expect(seen.slice(20).map((s) => s.id)).toEqual(Array.from({ length: 300 }, (_, i) => `retry-${i}`));
  });

  it("holds a retry until it is due, without holding up new messages", async () => {
    const { clock, broker } = embedded();
    const seen: Array<{ id: string; at: number }> = [];
    const w = worker(seen, () => clock.now());
    await broker.createTopics(topicSpecs([w], undefined));
    const start = clock.now();
    const producer = await broker.producer();
    await producer.send(
      [5_000, 7_000].map((delay, i) => ({
        topic: "work.retry",
        partition: 0,
        key: null,
        value: JSON.stringify({ id: `retry-${i}`, n: delay }),
        headers: { [Headers.id]: `retry-${i}`, [Headers.attempt]: "2", [Headers.dueAt]: String(start + delay) },
      })),
    );
    await producer.send([{ topic: "in", key: null, value: JSON.stringify({ id: "new", n: 0 }) }]);
    await runPipeline({ workers: [w], transport: broker, clock });
    expect(seen.map((s) => s.id)).toEqual(["new", "retry-0", "retry-1"]);
    expect(seen[0].at).toBe(start);
    expect(seen[1].at).toBe(start + 5_000);
    expect(seen[2].at).toBe(start + 7_000);
  });

  it("never runs a failed message again before its backoff", async () => {
    const { clock, broker } = embedded();
    const tries = new Map<string, number[]>();
    const w = defineWorker<Msg, Msg>({
      id: "work",
      input: { topic: "in", decode: decodeMsg },
      handler: {
        kind: "map",
        stage: "work/map",
        concurrency: 4,
        retry: { attempts: 4, backoff: { initialMs: 1_000, maxMs: 60_000, jitter: "none" } },
        run: (m) => {
          const at = tries.get(m.id) ?? [];
          at.push(clock.now());
          tries.set(m.id, at);
          if (m.n % 2 === 0) throw new Error("even");
          return m;
        },
      },
      retryTopics: ["work.retry-0", "work.retry-1", "work.retry-2"],
      route: emit("out"),
    });
    await runPipeline({
      workers: [w],
      transport: broker,
      clock,
      sources: [{ topic: "in", records: Array.from({ length: 30 }, (_, n) => ({ value: { id: `m${n}`, n } })) }],
    });
    for (const [id, at] of tries) {
      const gaps = at.slice(1).map((t, i) => t - at[i]);
      if (Number(id.slice(1)) % 2 === 0) expect(gaps).toEqual([1_000, 2_000, 4_000]);
      else expect(gaps).toEqual([]);
    }
  });
});

describe("work stealing", () => {
  it("the scheduler hands out the longest idle per-key queue first", () => {
    const s = new KeyedScheduler<string>();
    for (const [k, v] of [["b", "b1"], ["c", "c1"], ["a", "a1"], ["a", "a2"], ["a", "a3"]]) s.push(k, v);
    expect(s.take()).toEqual({ key: "a", item: "a1" });
    // "a" is busy now: its next item waits even though its queue is longest.
    expect(s.take()).toEqual({ key: "b", item: "b1" });
    s.release("a");
    expect(s.take()).toEqual({ key: "a", item: "a2" });
    expect(s.take()).toEqual({ key: "c", item: "c1" });
    expect(s.take()).toBeUndefined();
    s.release("a");
    expect(s.take()).toEqual({ key: "a", item: "a3" });
    expect(s.size).toBe(0);
  });

  async function runKeyed(input: Array<{ key: string; id: string }>, concurrency: number, hops: (id: string) => number) {
    const { clock, broker } = embedded();
    const started: string[] = [];
    const finished: string[] = [];
    const active = new Map<string, number>();
    let running = 0;
    let peak = 0;
    let overlapSameKey = false;
    const w = defineWorker<Msg, Msg>({
      id: "work",
      input: { topic: "in", decode: decodeMsg },
      handler: {
        kind: "map",
        stage: "work/map",
        concurrency,
        run: async (m) => {
          started.push(m.id);
          const k = m.key!;
          if ((active.get(k) ?? 0) > 0) overlapSameKey = true;
          active.set(k, (active.get(k) ?? 0) + 1);
          peak = Math.max(peak, ++running);
          await tick(hops(m.id));
          running--;
          active.set(k, active.get(k)! - 1);
          finished.push(m.id);
          return m;
        },
      },
      route: emit("out"),
    });
    await runPipeline({
      workers: [w],
      transport: broker,
      clock,
      sources: [{ topic: "in", records: input.map((r, n) => ({ key: r.key, partition: 0, value: { id: r.id, n, key: r.key } })) }],
    });
    return { started, finished, peak, overlapSameKey };
  }

  it("an idle slot takes the longest queue; keys run concurrently within one partition, in order per key", async () => {
    const input = [
      { key: "b", id: "b1" },
      { key: "c", id: "c1" },
      ...Array.from({ length: 6 }, (_, i) => ({ key: "a", id: `a${i + 1}` })),
    ];
    const one = await runKeyed(input, 1, () => 1);
    // Longest first; among equally long queues, the one that got there first (b1 before a6).
    expect(one.started).toEqual(["a1", "a2", "a3", "a4", "a5", "b1", "c1", "a6"]);
    const two = await runKeyed(input, 2, (id) => (id === "b1" ? 500 : 1));
    expect(two.started.slice(0, 2)).toEqual(["a1", "b1"]);
    expect(two.peak).toBe(2);
    expect(two.overlapSameKey).toBe(false);
    expect(two.started.filter((id) => id.startsWith("a"))).toEqual(["a1", "a2", "a3", "a4", "a5", "a6"]);
    // The straggler (b1) did not hold the hot key back: the other slot kept draining "a".
    expect(two.finished.indexOf("a6")).toBeLessThan(two.finished.indexOf("b1"));
  });

  it("keeps per-key order for any arrival order, concurrency and handler latency", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom("k1", "k2", "k3", "k4", "k5"), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 6 }),
        fc.func(fc.integer({ min: 0, max: 5 })),
        async (keys, concurrency, latency) => {
          const input = keys.map((key, i) => ({ key, id: `${key}-${i}` }));
          const { started, finished, overlapSameKey, peak } = await runKeyed(input, concurrency, (id) => latency(id));
          expect(overlapSameKey).toBe(false);
          expect(peak).toBeLessThanOrEqual(concurrency);
          expect(new Set(started).size).toBe(input.length);
          for (const key of new Set(keys)) {
            const order = input.filter((r) => r.key === key).map((r) => r.id);
            expect(started.filter((id) => id.startsWith(`${key}-`))).toEqual(order);
            expect(finished.filter((id) => id.startsWith(`${key}-`))).toEqual(order);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("shares partitions among the instances of a worker (the consumer group)", async () => {
    const { clock, broker } = embedded();
    const polledBy = new Set<number>();
    const w = defineWorker<Msg>({ id: "route", input: { topic: "in", decode: decodeMsg }, route: emit("out") });
    const summary = await runPipeline({
      workers: [w],
      transport: broker,
      clock,
      instances: { route: 3 },
      sourcePartitions: 6,
      faults: {
        crashAt(point, _worker, instance) {
          if (point === "after-poll") polledBy.add(instance);
          return false;
        },
      },
      sources: [{ topic: "in", records: Array.from({ length: 600 }, (_, n) => ({ key: `k${n}`, value: { id: `m${n}`, n } })) }],
    });
    expect([...polledBy].sort()).toEqual([0, 1, 2]);
    expect(summary.workers[0]).toMatchObject({ started: 3, consumed: 600 });
    expect(summary.stages.find((s) => s.stage === "emit:out")!.out).toBe(600);
  });
});
