import { describe, expect, it } from "vitest";
import { runPipeline } from "../../runtime/pipeline.js";
import { defineWorker, WorkerDefinitionError } from "../../runtime/worker.js";
import { decodeMsg, embedded, type Msg } from "./helpers.js";

/** A handler with effects outside the broker and no output: the end of its pipeline. */
function notifier(sent: Map<string, number>, failFirst = new Set<string>()) {
  return defineWorker<Msg, void>({
    id: "notify",
    input: { topic: "in", decode: decodeMsg },
    retryTopics: ["notify.retry"],
    handler: {
      kind: "map",
      stage: "notify/send",
      retry: { attempts: 2, backoff: { initialMs: 10, maxMs: 10 } },
      run: (m, ctx) => {
        if (ctx.attempt === 1 && failFirst.has(m.id)) throw new Error("mail server busy");
        sent.set(m.id, (sent.get(m.id) ?? 0) + 1);
      },
    },
  });
}

describe("effect-only workers (a handler without a route)", () => {
  it("run the handler once per message, emit nothing and account for every message", async () => {
    const { clock, broker } = embedded();
    const sent = new Map<string, number>();
    const worker = notifier(sent, new Set(["m3", "m7"]));
    expect([...worker.outputs.keys()]).toEqual([]);
    const input = Array.from({ length: 20 }, (_, n) => ({ id: `m${n}`, value: { id: `m${n}`, n } }));
    const summary = await runPipeline({
      workers: [worker],
      transport: broker,
      clock,
      sourcePartitions: 2,
      // Every message twice: the copies are recognised by id and not sent again.
      sources: [{ topic: "in", records: [...input, ...input] }],
    });
    expect(summary.status).toBe("drained");
    expect([...sent.values()].every((n) => n === 1)).toBe(true);
    expect(sent.size).toBe(20);
    const stage = summary.stages.find((s) => s.stage === "notify/send")!;
    expect({ in: stage.in, out: stage.out, retried: stage.retried, dead: stage.dead, inflight: stage.inflight }).toEqual({
      in: 20,
      out: 20,
      retried: 2,
      dead: 0,
      inflight: 0,
    });
    expect(summary.stages.find((s) => s.stage === "notify/decode")!.duplicates).toBe(20);
  });

  it("are refused without a handler, or with a flatMap handler (its items would go nowhere)", () => {
    expect(() => defineWorker<Msg>({ id: "w", input: { topic: "in", decode: decodeMsg } })).toThrow(WorkerDefinitionError);
    expect(() =>
      defineWorker<Msg>({
        id: "w",
        input: { topic: "in", decode: decodeMsg },
        handler: { kind: "flatMap", stage: "w/f", run: (m) => [m] },
      }),
    ).toThrow(/flatMap handler needs a route/);
  });
});
