import { describe, expect, it } from "vitest";
import { ConservationError } from "../../runtime/accounting.js";
import { listDeadLetters, replayDeadLetters } from "../../runtime/dlq.js";
import { runPipeline, startPipeline, type PipelineOptions, type PipelineRun } from "../../runtime/pipeline.js";
import type { FaultPoint } from "../../runtime/runner/instance.js";
import { defineWorker, type DeliveryMode, type Worker } from "../../runtime/worker.js";
import { Headers } from "../../stdlib/headers.js";
import { copy, emit, mergeFirst, shard } from "../../stdlib/route.js";
import { decodeMsg, embedded, idOf, records, type Msg } from "./helpers.js";

type Out = Msg & { lane: string };

/** photos-like: route (copy x2, shard) -> two lane handlers -> merge into "out". */
function pipeline(calls?: Map<string, number>): Worker[] {
  const route = defineWorker<Msg>({
    id: "route",
    input: { topic: "in", decode: decodeMsg },
    route: copy("route/copy", {
      a: shard("route/a/shard", 4, (m) => m.id, emit("lane.a")),
      b: shard("route/b/shard", 4, (m) => m.id, emit("lane.b")),
    }),
  });
  const lane = (name: string) =>
    defineWorker<Msg, Out>({
      id: `lane.${name}.map`,
      input: { topic: `lane.${name}`, decode: decodeMsg, sharded: true },
      handler: {
        kind: "map",
        stage: `lane/${name}/map`,
        lane: name,
        concurrency: 3,
        run: (m, ctx) => {
          calls?.set(ctx.messageId, (calls.get(ctx.messageId) ?? 0) + 1);
          return { ...m, lane: ctx.lane! };
        },
      },
      route: emit("out", { stage: "merge" }),
    });
  return [route, lane("a"), lane("b")];
}

const input = Array.from({ length: 60 }, (_, n) => ({ id: `m${n}`, value: { id: `m${n}`, n } }));

async function runWith(options: Partial<PipelineOptions> & { delivery: DeliveryMode }) {
  const { clock, broker } = embedded();
  const summary = await runPipeline({
    workers: pipeline(),
    transport: broker,
    clock,
    sourcePartitions: 3,
    maxInFlight: 16,
    maxPollRecords: 7,
    sources: [{ topic: "in", records: input }],
    ...options,
  });
  const out = await records(broker, "out");
  return { summary, out, broker };
}

function contents(out: Awaited<ReturnType<typeof runWith>>["out"]): string[] {
  return [...new Set(out.map((r) => `${idOf(r)} ${r.value}`))].sort();
}

describe("worker crashes", () => {
  const points: FaultPoint[] = ["after-poll", "after-handler", "after-produce", "after-marks", "after-commit", "in-transaction"];
  const workers = ["route", "lane.a.map", "lane.b.map"];

  for (const delivery of ["at-least-once", "exactly-once"] as const) {
    it(`lose nothing and duplicate nothing downstream (${delivery})`, async () => {
      const baseline = await runWith({ delivery });
      expect(baseline.out).toHaveLength(120);
      const exercised = new Set<FaultPoint>();
      for (const point of points) {
        for (const victim of workers) {
          for (const nth of [1, 3]) {
            let seen = 0;
            let crashed = false;
            const run = await runWith({
              delivery,
              faults: {
                crashAt(p, worker) {
                  if (crashed || p !== point || worker !== victim) return false;
                  if (++seen < nth) return false;
                  crashed = true;
                  return true;
                },
              },
            });
            const label = `${delivery} ${point} ${victim} #${nth}`;
            if (!crashed) continue;
            exercised.add(point);
            expect(contents(run.out), label).toEqual(contents(baseline.out));
            const ids = run.out.map(idOf);
            const duplicates = ids.length - new Set(ids).size;
            // Only an at-least-once crash between outputs and marks may repeat an output,
            // and only into a sink (internal topics are deduplicated by their consumer).
            if (delivery === "exactly-once" || point !== "after-produce" || victim === "route") {
              expect(duplicates, label).toBe(0);
            }
            expect(run.summary.workers.find((w) => w.id === victim)!.crashes, label).toBe(1);
            const merge = run.summary.stages.find((s) => s.stage === "merge")!;
            expect(merge.out, label).toBe(120);
          }
        }
      }
      expect([...exercised].sort()).toEqual(
        delivery === "exactly-once"
          ? ["after-handler", "after-poll", "in-transaction"]
          : ["after-commit", "after-handler", "after-marks", "after-poll", "after-produce"],
      );
    });
  }

  it("redeliver a crashed instance's uncommitted records to the other instance", async () => {
    const { clock, broker } = embedded();
    const calls = new Map<string, number>();
    let crashed = false;
    const summary = await runPipeline({
      workers: pipeline(calls),
      transport: broker,
      clock,
      delivery: "at-least-once",
      instances: { "lane.a.map": 2 },
      restartCrashed: false,
      maxInFlight: 8,
      sourcePartitions: 2,
      sources: [{ topic: "in", records: input }],
      faults: {
        crashAt(point, worker, instance) {
          if (crashed || point !== "after-handler" || worker !== "lane.a.map" || instance !== 0) return false;
          crashed = true;
          return true;
        },
      },
    });
    expect(crashed).toBe(true);
    expect(summary.workers.find((w) => w.id === "lane.a.map")).toMatchObject({ crashes: 1, started: 2 });
    const out = await records(broker, "out");
    expect(out).toHaveLength(120);
    expect(new Set(out.map(idOf)).size).toBe(120);
    // The record whose handler ran when the instance died ran again on the survivor.
    expect([...calls.values()].some((n) => n > 1)).toBe(true);
  });

  it("rebalance without redelivery when instances come and go gracefully", async () => {
    const { clock, broker } = embedded();
    const calls = new Map<string, number>();
    let fed = 0;
    // The source below scales the worker mid-run, so it needs the run it feeds.
    const holder: { run?: PipelineRun } = {};
    const run = (holder.run = startPipeline({
      workers: pipeline(calls),
      transport: broker,
      clock,
      delivery: "at-least-once",
      sourcePartitions: 4,
      maxInFlight: 8,
      sources: [
        {
          topic: "in",
          records: (async function* () {
            for (const r of Array.from({ length: 600 }, (_, n) => ({ id: `m${n}`, value: { id: `m${n}`, n } }))) {
              yield r;
              if (++fed === 300) await holder.run!.scale("lane.a.map", 3);
              if (fed === 450) await holder.run!.scale("lane.a.map", 1);
            }
          })(),
        },
      ],
    }));
    const summary = await run.done;
    expect(summary.workers.find((w) => w.id === "lane.a.map")!.started).toBe(3);
    const out = await records(broker, "out");
    expect(out).toHaveLength(1200);
    expect(new Set(out.map(idOf)).size).toBe(1200);
    expect([...calls.values()].every((n) => n === 1)).toBe(true);
  });
});

describe("graceful stop", () => {
  it("commits finished work; the next run resumes without loss or duplicates", async () => {
    for (const delivery of ["at-least-once", "exactly-once"] as const) {
      const { clock, broker } = embedded();
      const controller = new AbortController();
      let handled = 0;
      const workers = pipeline();
      const first = await runPipeline({
        workers,
        transport: broker,
        clock,
        delivery,
        signal: controller.signal,
        maxInFlight: 4,
        sources: [
          {
            topic: "in",
            records: (function* () {
              for (const r of input) {
                if (++handled === 30) controller.abort();
                yield r;
              }
            })(),
          },
        ],
      });
      expect(first.status).toBe("stopped");
      // Feed the rest and finish.
      const rest = input.slice(first.sources[0].produced);
      await runPipeline({ workers, transport: broker, clock, delivery, sources: [{ topic: "in", records: rest }] });
      const out = await records(broker, "out");
      expect(new Set(out.map(idOf)).size, delivery).toBe(120);
      expect(out, delivery).toHaveLength(120);
    }
  });
});

describe("hedging: merge(first)", () => {
  function hedged(failLane?: string): Worker[] {
    const route = defineWorker<Msg>({
      id: "route",
      input: { topic: "in", decode: decodeMsg },
      route: copy("route/copy", { fast: emit("hedge.fast"), slow: emit("hedge.slow") }, { hedge: true }),
    });
    const lane = (name: string) =>
      defineWorker<Msg, Out>({
        id: `hedge.${name}`,
        input: { topic: `hedge.${name}`, decode: decodeMsg },
        handler: {
          kind: "map",
          stage: `hedge/${name}/map`,
          lane: name,
          run: (m, ctx) => {
            if (name === failLane) throw new Error("lane down");
            return { ...m, lane: ctx.lane! };
          },
        },
        route: mergeFirst("results/first", emit("results.first")),
      });
    const keep = defineWorker<Out>({
      id: "results",
      input: {
        topic: "results.first",
        decode: (raw) => {
          const r = decodeMsg(raw);
          return r.ok ? { ok: true, value: raw as Out } : r;
        },
      },
      route: emit("results"),
    });
    return [route, lane("fast"), lane("slow"), keep];
  }

  it("keeps the first result per input", async () => {
    const { clock, broker } = embedded();
    const summary = await runPipeline({ workers: hedged(), transport: broker, clock, sources: [{ topic: "in", records: input }] });
    const out = await records(broker, "results");
    expect(out).toHaveLength(60);
    expect(new Set(out.map((r) => (JSON.parse(r.value!) as Out).id)).size).toBe(60);
    const keep = summary.stages.find((s) => s.stage === "results/decode")!;
    expect(keep).toMatchObject({ in: 60, duplicates: 60 });
  });

  it("still answers when one hedged lane fails", async () => {
    const { clock, broker } = embedded();
    await runPipeline({ workers: hedged("slow"), transport: broker, clock, sources: [{ topic: "in", records: input }] });
    const out = await records(broker, "results");
    expect(out.map((r) => (JSON.parse(r.value!) as Out).lane)).toEqual(Array(60).fill("fast"));
    expect(await listDeadLetters(broker, "hedge.slow.dlq")).toHaveLength(60);
  });
});

describe("dead-letter replay", () => {
  it("sends chosen dead letters back with attempts reset; a second replay is suppressed", async () => {
    const { clock, broker } = embedded();
    let fixed = false;
    const attempts: number[] = [];
    const worker = defineWorker<Msg, Msg>({
      id: "work",
      input: { topic: "in", decode: decodeMsg },
      handler: {
        kind: "map",
        stage: "work/map",
        retry: { attempts: 2, backoff: { initialMs: 10, maxMs: 10 } },
        run: (m, ctx) => {
          if (m.tag === "poison") attempts.push(ctx.attempt);
          if (m.tag === "poison" && !fixed) throw new Error("bug in handler");
          return m;
        },
      },
      retryTopics: ["work.retry"],
      route: emit("out"),
    });
    const source = [
      { id: "p1", value: { id: "p1", n: 1, tag: "poison" } },
      { id: "ok", value: { id: "ok", n: 2 } },
      { id: "p2", value: { id: "p2", n: 3, tag: "poison" } },
    ];
    await runPipeline({ workers: [worker], transport: broker, clock, sources: [{ topic: "in", records: source }] });
    const dead = await listDeadLetters(broker, "work.dlq");
    expect(dead.map((d) => [d.id, d.error, d.attempts])).toEqual([
      ["p1", "bug in handler", 2],
      ["p2", "bug in handler", 2],
    ]);

    fixed = true;
    attempts.length = 0;
    const { replayed } = await replayDeadLetters(broker, "work.dlq", { ids: ["p1"] });
    expect(replayed.map((d) => d.id)).toEqual(["p1"]);
    await runPipeline({ workers: [worker], transport: broker, clock });
    expect(attempts).toEqual([1]);
    const out = await records(broker, "out");
    expect(out.map(idOf).sort()).toEqual([...new Set(out.map(idOf))].sort());
    expect(out.map((r) => (JSON.parse(r.value!) as Msg).id).sort()).toEqual(["ok", "p1"]);
    expect(out.find((r) => r.headers[Headers.parent] === "p1")).toBeDefined();

    // The same dead letter again: recognised as the same replay, no second output.
    await replayDeadLetters(broker, "work.dlq", { refs: [dead[0].ref] });
    await runPipeline({ workers: [worker], transport: broker, clock });
    expect(await records(broker, "out")).toHaveLength(2);
    expect(await listDeadLetters(broker, "work.dlq")).toHaveLength(2);
  });
});

describe("accounting", () => {
  it("fails the run, before anything reaches the broker, when a stage breaks its law", async () => {
    const { clock, broker } = embedded();
    const worker = defineWorker<Msg>({ id: "route", input: { topic: "in", decode: decodeMsg }, route: emit("out") });
    // Simulate a routing bug: an extra, uncounted output.
    const route = worker.plan.route as unknown as { run: (scope: { emissions: { push(e: unknown): unknown } }, key: string | null) => void };
    const honest = route.run.bind(route);
    route.run = (scope, key) => {
      honest(scope as never, key);
      scope.emissions.push({ topic: "out", key: "x", partition: undefined, value: "{}", headers: {} });
    };
    const failed = runPipeline({ workers: [worker], transport: broker, clock, sources: [{ topic: "in", records: input.slice(0, 3) }] });
    await expect(failed).rejects.toBeInstanceOf(ConservationError);
    await expect(failed).rejects.toThrow(/leaves emitted \d+ records but \d+ were produced/);
    expect(await records(broker, "out")).toEqual([]);
  });

  it("reports per-stage counts and Prometheus metrics", async () => {
    const { clock, broker } = embedded();
    const run = startPipeline({ workers: pipeline(), transport: broker, clock, sources: [{ topic: "in", records: input }] });
    const summary = await run.done;
    expect(summary.stages.find((s) => s.stage === "route/copy")).toMatchObject({ kind: "copy", lanes: 2, in: 60, out: 120 });
    expect(summary.stages.find((s) => s.stage === "merge")).toMatchObject({ in: 120, out: 120, workers: ["lane.a.map", "lane.b.map"] });
    expect(summary.topics.find((t) => t.name === "out")).toMatchObject({ role: "sink", records: 120 });
    const text = await run.metrics.text();
    expect(text).toContain('flowc_stage_messages_total{stage="route/copy",kind="copy",outcome="out"} 120');
    expect(text).toContain('flowc_stage_messages_total{stage="merge",kind="emit",outcome="in"} 120');
    expect(text).toMatch(/flowc_handler_duration_seconds_count\{stage="lane\/a\/map",result="ok"\} 60/);
  });
});
