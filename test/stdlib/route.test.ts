import { describe, expect, it } from "vitest";
import { conservationViolation, readCounts } from "../../stdlib/accounting.js";
import { compileRoute, RouteScope, StageTable, type Emission, type RouteFailure } from "../../stdlib/compile.js";
import { Headers } from "../../stdlib/headers.js";
import { partitionForKey } from "../../stdlib/murmur2.js";
import { copy, emit, filter, mergeFirst, routeOutputs, shard, split, type Route } from "../../stdlib/route.js";

interface Placed {
  emissions: Emission[];
  failures: RouteFailure[];
  counts(stage: string): ReturnType<typeof readCounts>;
  lawsHold(): boolean;
}

function place(route: Route<never>, value: unknown, opts: { key?: string | null; id?: string; hedge?: string } = {}): Placed {
  const table = new StageTable();
  const compiled = compileRoute(route, table);
  const scope = new RouteScope();
  const counts = table.newCounters();
  const emissions: Emission[] = [];
  const failures: RouteFailure[] = [];
  scope.counts = counts;
  scope.value = value;
  scope.parentId = scope.idBase = opts.id ?? "in/0/0";
  scope.hedge = opts.hedge;
  scope.emissions = emissions;
  scope.failures = failures;
  compiled.run(scope, opts.key ?? null);
  const index = (stage: string) => {
    const e = table.entries.find((x) => x.stage === stage);
    if (!e) throw new Error(`no stage ${stage}`);
    return e.index;
  };
  return {
    emissions,
    failures,
    counts: (stage) => readCounts(counts, index(stage)),
    lawsHold: () => table.entries.every((e) => conservationViolation(e.kind, readCounts(counts, e.index), e.lanes) === undefined),
  };
}

type Note = { id: string; channel: string; size: number; user?: string };

describe("copy", () => {
  it("sends every message to each lane, each with its own id", () => {
    const r = place(copy<Note>("c", { a: emit("ta"), b: emit("tb"), c: emit("tc") }), { id: "n1" });
    expect(r.emissions.map((e) => e.topic)).toEqual(["ta", "tb", "tc"]);
    expect(new Set(r.emissions.map((e) => e.headers[Headers.id])).size).toBe(3);
    expect(r.emissions.every((e) => e.value === JSON.stringify({ id: "n1" }))).toBe(true);
    expect(r.emissions.every((e) => e.headers[Headers.parent] === "in/0/0")).toBe(true);
    expect(r.counts("c")).toMatchObject({ in: 1, out: 3 });
    expect(r.lawsHold()).toBe(true);
  });

  it("accepts lanes as pairs, keeping their order", () => {
    const r = place(copy("c", [["z", emit("tz")], ["a", emit("ta")]]), 1);
    expect(r.emissions.map((e) => e.topic)).toEqual(["tz", "ta"]);
  });

  it("marks hedged lanes with one shared hedge id", () => {
    const r = place(copy("c", { a: emit("ta"), b: emit("tb") }, { hedge: true }), 1);
    const hedges = r.emissions.map((e) => e.headers[Headers.hedge]);
    expect(hedges[0]).toBeDefined();
    expect(hedges[0]).toBe(hedges[1]);
  });
});

describe("filter", () => {
  const isEmail = (n: Note) => n.channel === "email";
  it("keeps what the predicate accepts and counts the rest as dropped", () => {
    const kept = place(filter("f", isEmail, emit("out")), { channel: "email" });
    expect(kept.emissions).toHaveLength(1);
    expect(kept.counts("f")).toMatchObject({ in: 1, out: 1, dropped: 0 });
    const dropped = place(filter("f", isEmail, emit("out")), { channel: "sms" });
    expect(dropped.emissions).toHaveLength(0);
    expect(dropped.counts("f")).toMatchObject({ in: 1, out: 0, dropped: 1 });
    expect(dropped.lawsHold()).toBe(true);
  });

  it("routes dropped messages to droppedTo, still counting them as dropped", () => {
    const r = place(filter("f", isEmail, emit("out"), { droppedTo: "optedOut" }), { channel: "sms" });
    expect(r.emissions.map((e) => e.topic)).toEqual(["optedOut"]);
    expect(r.counts("f")).toMatchObject({ dropped: 1, out: 0 });
    expect(r.lawsHold()).toBe(true);
  });

  it("dead-letters a message whose predicate throws", () => {
    const r = place(
      filter("f", (): boolean => {
        throw new Error("boom");
      }, emit("out")),
      {},
    );
    expect(r.emissions).toHaveLength(0);
    expect(r.failures).toEqual([{ stage: "f", message: "filter predicate threw: boom" }]);
    expect(r.counts("f")).toMatchObject({ in: 1, dead: 1 });
    expect(r.lawsHold()).toBe(true);
  });
});

describe("split", () => {
  const route = split<Note>(
    "s",
    [
      ["big", (n) => n.size > 10, emit("big")],
      ["email", (n) => n.channel === "email", emit("email")],
    ],
    ["other", emit("other")],
  );

  it("sends each message to exactly one lane: the first that matches", () => {
    expect(place(route, { channel: "email", size: 50 }).emissions.map((e) => e.topic)).toEqual(["big"]);
    expect(place(route, { channel: "email", size: 1 }).emissions.map((e) => e.topic)).toEqual(["email"]);
    expect(place(route, { channel: "sms", size: 1 }).emissions.map((e) => e.topic)).toEqual(["other"]);
  });

  it("gives each lane its own output id", () => {
    const a = place(route, { channel: "email", size: 50 }).emissions[0].headers[Headers.id];
    const b = place(route, { channel: "email", size: 1 }).emissions[0].headers[Headers.id];
    expect(a).not.toBe(b);
  });

  it("dead-letters, never drops, a message no lane takes", () => {
    const r = place(split<Note>("s", [["email", (n) => n.channel === "email", emit("email")]]), { channel: "sms" });
    expect(r.emissions).toHaveLength(0);
    expect(r.failures[0]).toMatchObject({ stage: "s" });
    expect(r.counts("s")).toMatchObject({ in: 1, out: 0, dead: 1 });
    expect(r.lawsHold()).toBe(true);
  });
});

describe("shard", () => {
  it("places by Kafka's partitioner and keys the record by the shard key", () => {
    for (const user of ["alice", "bob", "carol", "dave", "eve"]) {
      const r = place(shard<Note>("sh", 10, (n) => n.user!, emit("t")), { user });
      expect(r.emissions[0].partition).toBe(partitionForKey(user, 10));
      expect(r.emissions[0].key).toBe(user);
    }
  });

  it("hashes numeric keys as their decimal text", () => {
    const r = place(shard<{ n: number }>("sh", 7, (v) => v.n, emit("t")), { n: 12345 });
    expect(r.emissions[0].partition).toBe(partitionForKey("12345", 7));
  });

  it("dead-letters a message without a key", () => {
    const r = place(shard<Note>("sh", 4, (n) => n.user!, emit("t")), {});
    expect(r.emissions).toHaveLength(0);
    expect(r.failures[0]).toEqual({ stage: "sh", message: "shard key is missing" });
    expect(r.lawsHold()).toBe(true);
  });

  it("copy then shard: one record per lane, each on its shard", () => {
    const r = place(
      copy<Note>("c", {
        a: shard("a/sh", 10, (n) => n.id, emit("a")),
        b: shard("b/sh", 3, (n) => n.id, emit("b")),
      }),
      { id: "photo-7" },
    );
    expect(r.emissions.map((e) => [e.topic, e.partition])).toEqual([
      ["a", partitionForKey("photo-7", 10)],
      ["b", partitionForKey("photo-7", 3)],
    ]);
    expect(r.lawsHold()).toBe(true);
  });
});

describe("emit", () => {
  it("keeps the input key, or keys by the output id (so duplicates share a partition)", () => {
    expect(place(emit("t"), 1, { key: "k" }).emissions[0].key).toBe("k");
    const unkeyed = place(emit("t"), 1).emissions[0];
    expect(unkeyed.key).toBe(unkeyed.headers[Headers.id]);
    expect(unkeyed.partition).toBeUndefined();
  });

  it("derives the same id for the same input every time", () => {
    const route = copy("c", { a: filter("f", () => true, emit("t")), b: emit("u") });
    const first = place(route, { x: 1 }).emissions.map((e) => e.headers[Headers.id]);
    const again = place(route, { x: 2 }).emissions.map((e) => e.headers[Headers.id]);
    expect(again).toEqual(first);
    expect(place(route, 1, { id: "other" }).emissions[0].headers[Headers.id]).not.toBe(first[0]);
  });
});

describe("mergeFirst", () => {
  it("gives both hedged lanes' results the same id and key", () => {
    // As in two lane workers, each ending in mergeFirst into the same topic.
    const laneA = place(mergeFirst("m", emit("results")), { r: "a" }, { id: "a-out", hedge: "h1" });
    const laneB = place(mergeFirst("m", emit("results")), { r: "b" }, { id: "b-out", hedge: "h1" });
    expect(laneA.emissions[0].headers[Headers.id]).toBe(laneB.emissions[0].headers[Headers.id]);
    expect(laneA.emissions[0].key).toBe(laneB.emissions[0].key);
    expect(laneA.emissions[0].headers[Headers.hedge]).toBeUndefined();
    const other = place(mergeFirst("m", emit("results")), {}, { id: "a-out", hedge: "h2" });
    expect(other.emissions[0].headers[Headers.id]).not.toBe(laneA.emissions[0].headers[Headers.id]);
  });

  it("dead-letters a message that did not come through a hedging copy", () => {
    const r = place(mergeFirst("m", emit("results")), {});
    expect(r.emissions).toHaveLength(0);
    expect(r.failures[0].stage).toBe("m");
  });
});

describe("definitions", () => {
  it("reject trees the compiler should never emit", () => {
    expect(() => copy("c", {})).toThrow(/at least one lane/);
    expect(() => copy("c", [["a", emit("x")], ["a", emit("y")]])).toThrow(/twice/);
    expect(() => shard("s", 0, () => "k", emit("x"))).toThrow(/integer >= 1/);
    expect(() => emit("")).toThrow(/topic/);
    expect(() => split("s", [])).toThrow(/at least one lane/);
    expect(() => filter("", () => true, emit("x"))).toThrow(/stage id/);
    expect(() => filter("f", () => true, {} as Route<unknown>)).toThrow(/expected a route/);
  });

  it("list the topics a tree emits into with the partitions shards need", () => {
    const outputs = routeOutputs(
      copy("c", { a: shard("s", 10, () => "k", emit("t10")), b: emit("t1"), c: filter("f", () => true, emit("t1"), { droppedTo: "d" }) }),
    );
    expect(Object.fromEntries(outputs)).toEqual({ t10: 10, t1: 1, d: 1 });
  });

  it("refuse one emit stage id for two topics", () => {
    const table = new StageTable();
    expect(() => compileRoute(copy("c", { a: emit("x", { stage: "m" }), b: emit("y", { stage: "m" }) }), table)).toThrow(/two topics/);
  });
});
