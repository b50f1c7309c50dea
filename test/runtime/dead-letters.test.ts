import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../runtime/clock.js";
import { listDeadLetters } from "../../runtime/dlq.js";
import { EmbeddedBroker } from "../../runtime/embedded/broker.js";
import { runPipeline } from "../../runtime/pipeline.js";
import { defineWorker } from "../../runtime/worker.js";
import { NonRetriableError } from "../../stdlib/handler.js";
import { Headers } from "../../stdlib/headers.js";
import { emit, split } from "../../stdlib/route.js";
import { decodeMsg, embedded, records, seeded, values, type Msg } from "./helpers.js";

function poisonWorker(run: (m: Msg) => Msg | Promise<Msg>, extra: { attempts?: number; timeoutMs?: number } = {}) {
  return defineWorker<Msg, Msg>({
    id: "work",
    input: { topic: "in", decode: decodeMsg },
    handler: {
      kind: "map",
      stage: "work/map",
      run,
      retry: { attempts: extra.attempts ?? 3, backoff: { initialMs: 100, maxMs: 1_000 } },
      timeoutMs: extra.timeoutMs,
    },
    retryTopics: ["work.retry-0", "work.retry-1"],
    deadLetter: "work.dlq",
    route: emit("out"),
  });
}

describe("poison messages", () => {
  it("are retried, then dead-lettered with topic, partition, offset, error, attempts and stage", async () => {
    const { clock, broker } = embedded();
    const attempts = new Map<string, number>();
    const worker = poisonWorker((m) => {
      attempts.set(m.id, (attempts.get(m.id) ?? 0) + 1);
      if (m.tag === "poison") throw new Error(`cannot handle ${m.id}`);
      return m;
    });
    const summary = await runPipeline({
      workers: [worker],
      transport: broker,
      clock,
      random: seeded(1),
      sourcePartitions: 3,
      sources: [
        {
          topic: "in",
          records: [
            { id: "a", value: { id: "a", n: 1 }, partition: 0 },
            { id: "b", value: { id: "b", n: 2, tag: "poison" }, partition: 2 },
            { id: "c", value: { id: "c", n: 3 }, partition: 2 },
          ],
        },
      ],
    });
    expect((await values<Msg>(broker, "out")).map((m) => m.id).sort()).toEqual(["a", "c"]);
    expect(attempts.get("b")).toBe(3);

    const [dead] = await records(broker, "work.dlq");
    expect(dead.headers).toMatchObject({
      [Headers.id]: "b",
      [Headers.originalTopic]: "in",
      [Headers.originalPartition]: "2",
      [Headers.originalOffset]: "0",
      [Headers.error]: "cannot handle b",
      [Headers.attempts]: "3",
      [Headers.stage]: "work/map",
      [Headers.worker]: "work",
      [Headers.reason]: "handler-error",
    });
    const [listed] = await listDeadLetters(broker, "work.dlq");
    expect(listed).toMatchObject({
      id: "b",
      stage: "work/map",
      reason: "handler-error",
      error: "cannot handle b",
      attempts: 3,
      original: { topic: "in", partition: 2, offset: 0, key: null },
      value: JSON.stringify({ id: "b", n: 2, tag: "poison" }),
    });
    const stage = summary.stages.find((s) => s.stage === "work/map")!;
    expect(stage).toMatchObject({ in: 3, out: 2, retried: 2, dead: 1, inflight: 0 });
  });

  it("spread retries over the tiers: retry n waits on tier min(n, tiers)", async () => {
    const clock = new VirtualClock();
    // Keep consumed retry records around to look at them afterwards.
    const broker = new EmbeddedBroker({ clock, truncateCommitted: false });
    const worker = poisonWorker(() => {
      throw new Error("always");
    }, { attempts: 4 });
    await runPipeline({ workers: [worker], transport: broker, clock, sources: [{ topic: "in", records: [{ value: { id: "x", n: 0 } }] }] });
    const tier0 = await records(broker, "work.retry-0");
    const tier1 = await records(broker, "work.retry-1");
    expect(tier0.map((r) => r.headers[Headers.attempt])).toEqual(["2"]);
    expect(tier1.map((r) => r.headers[Headers.attempt])).toEqual(["3", "4"]);
    // Retry records keep the original coordinates and id, and are due in the future.
    for (const r of [...tier0, ...tier1]) {
      expect(r.headers[Headers.originalTopic]).toBe("in");
      expect(r.headers[Headers.id]).toBe("in/0/0");
      expect(Number(r.headers[Headers.dueAt])).toBeGreaterThan(r.timestamp);
    }
    expect((await listDeadLetters(broker, "work.dlq"))[0]).toMatchObject({ attempts: 4, original: { topic: "in", offset: 0 } });
  });

  it("skip the remaining attempts on NonRetriableError", async () => {
    const { clock, broker } = embedded();
    let calls = 0;
    const worker = poisonWorker(() => {
      calls++;
      throw new NonRetriableError("bad input");
    });
    await runPipeline({ workers: [worker], transport: broker, clock, sources: [{ topic: "in", records: [{ value: { id: "x", n: 0 } }] }] });
    expect(calls).toBe(1);
    expect((await listDeadLetters(broker, "work.dlq"))[0]).toMatchObject({ attempts: 1, error: "bad input" });
  });

  it("time out, abort the handler's signal and dead-letter with reason timeout", async () => {
    const { clock, broker } = embedded();
    const signals: AbortSignal[] = [];
    const worker = defineWorker<Msg, Msg>({
      id: "work",
      input: { topic: "in", decode: decodeMsg },
      handler: {
        kind: "map",
        stage: "work/map",
        timeoutMs: 5_000,
        retry: { attempts: 2, backoff: { initialMs: 10, maxMs: 10 } },
        run: (m, ctx) => {
          signals.push(ctx.signal);
          return m.tag === "hang" ? new Promise<Msg>(() => {}) : m;
        },
      },
      retryTopics: ["work.retry"],
      deadLetter: "work.dlq",
      route: emit("out"),
    });
    await runPipeline({
      workers: [worker],
      transport: broker,
      clock,
      sources: [{ topic: "in", records: [{ value: { id: "h", n: 0, tag: "hang" } }, { value: { id: "ok", n: 1 } }] }],
    });
    expect((await values<Msg>(broker, "out")).map((m) => m.id)).toEqual(["ok"]);
    expect((await listDeadLetters(broker, "work.dlq"))[0]).toMatchObject({
      reason: "timeout",
      attempts: 2,
      error: "handler timed out after 5000 ms",
    });
    expect(signals.filter((s) => s.aborted)).toHaveLength(2);
  });
});

describe("malformed messages", () => {
  it("go straight to the dead-letter topic with the reason, and the worker carries on", async () => {
    const { clock, broker } = embedded();
    const worker = defineWorker<Msg>({ id: "route", input: { topic: "in", decode: decodeMsg }, route: emit("out") });
    const summary = await runPipeline({
      workers: [worker],
      transport: broker,
      clock,
      sources: [
        {
          topic: "in",
          records: [
            { raw: "{not json" },
            { value: { id: "x" } },
            { raw: null },
            { value: [1, 2] },
            { value: { id: "fine", n: 1 } },
          ],
        },
      ],
    });
    expect((await values<Msg>(broker, "out")).map((m) => m.id)).toEqual(["fine"]);
    const dead = await listDeadLetters(broker, "route.dlq");
    expect(dead.map((d) => [d.reason, d.stage, d.original.offset])).toEqual([
      ["malformed", "route/decode", 0],
      ["malformed", "route/decode", 1],
      ["malformed", "route/decode", 2],
      ["malformed", "route/decode", 3],
    ]);
    expect(dead[0].error).toMatch(/^not JSON: /);
    expect(dead[0].value).toBe("{not json");
    expect(dead[1].error).toBe("does not match the schema: .n: expected a number");
    expect(dead[2].error).toBe("record has no value");
    expect(dead[3].error).toBe("does not match the schema: .id: expected a string");
    expect(summary.stages.find((s) => s.stage === "route/decode")).toMatchObject({ in: 5, out: 1, dead: 4 });
  });

  it("treat a decoder that throws as malformed input", async () => {
    const { clock, broker } = embedded();
    const worker = defineWorker<Msg>({
      id: "route",
      input: {
        topic: "in",
        decode: () => {
          throw new Error("decoder bug");
        },
      },
      route: emit("out"),
    });
    await runPipeline({ workers: [worker], transport: broker, clock, sources: [{ topic: "in", records: [{ value: {} }] }] });
    expect((await listDeadLetters(broker, "route.dlq"))[0].error).toBe("the decoder threw: decoder bug");
  });

  it("dead-letter a value no split lane takes (route error), naming the stage", async () => {
    const { clock, broker } = embedded();
    const worker = defineWorker<Msg>({
      id: "route",
      input: { topic: "in", decode: decodeMsg },
      route: split("route/split", [["small", (m) => m.n < 10, emit("small")]]),
    });
    await runPipeline({
      workers: [worker],
      transport: broker,
      clock,
      sources: [{ topic: "in", records: [{ value: { id: "a", n: 1 } }, { value: { id: "b", n: 50 } }] }],
    });
    expect((await listDeadLetters(broker, "route.dlq")).map((d) => [d.id, d.stage, d.reason])).toEqual([
      ["in/0/1", "route/split", "route-error"],
    ]);
  });
});
