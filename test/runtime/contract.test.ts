/**
 * The shape the compiler generates (see runtime/index.ts), written out by hand: it must type-check
 * against the public entry point and run.
 */
import { describe, expect, it } from "vitest";
import {
  copy,
  defineWorker,
  emit,
  EmbeddedBroker,
  filter,
  planTopology,
  readTopic,
  runPipeline,
  shard,
  split,
  VirtualClock,
  WorkerDefinitionError,
  type DecodeResult,
  type HandlerContext,
} from "../../runtime/index.js";
import { partitionForKey } from "../../stdlib/index.js";

interface Photo {
  readonly id: string;
  readonly bytes: number;
}
interface Rendition {
  readonly photo: string;
  readonly format: string;
  readonly shard: number;
}

function decodePhoto(raw: unknown): DecodeResult<Photo> {
  const r = raw as Partial<Photo> | null;
  if (typeof r !== "object" || r === null) return { ok: false, reason: "expected an object" };
  if (typeof r.id !== "string") return { ok: false, reason: ".id: expected a string" };
  if (typeof r.bytes !== "number") return { ok: false, reason: ".bytes: expected a number" };
  return { ok: true, value: { id: r.id, bytes: r.bytes } };
}

function render(photo: Photo, ctx: HandlerContext): Rendition {
  return { photo: photo.id, format: ctx.lane!, shard: ctx.shard! };
}

const lanes = ["4k", "1080p", "gif"] as const;

/** photos.flow:14  photos | copy(4k, 1080p, gif) | shard(10, by: .id) */
const renderRoute = defineWorker<Photo>({
  id: "render.route",
  input: { topic: "photos", decode: decodePhoto },
  deadLetter: "render.route.dlq",
  route: copy("render/copy", {
    "4k": shard("render/4k/shard", 10, (photo) => photo.id, emit("render.4k")),
    "1080p": shard("render/1080p/shard", 10, (photo) => photo.id, emit("render.1080p")),
    gif: shard("render/gif/shard", 10, (photo) => photo.id, emit("render.gif")),
  }),
});

/** photos.flow:15  | map(render) retry(5, backoff: 100ms..30s) | merge -> renditions */
const renderLane = (lane: (typeof lanes)[number]) =>
  defineWorker<Photo, Rendition>({
    id: `render.${lane}.map`,
    input: { topic: `render.${lane}`, decode: decodePhoto, sharded: true },
    handler: {
      stage: `render/${lane}/map`,
      run: render,
      kind: "map",
      lane,
      retry: { attempts: 5, backoff: { initialMs: 100, maxMs: 30_000 } },
      timeoutMs: 10_000,
      concurrency: 8,
    },
    route: emit("renditions", { stage: "render/merge" }),
    deadLetter: `render.${lane}.dlq`,
    retryTopics: [`render.${lane}.retry-0`, `render.${lane}.retry-1`],
  });

const workers = [renderRoute, ...lanes.map(renderLane)];

describe("the generated-worker contract", () => {
  it("runs the photos pipeline: one rendition per photo and format, rendered on its shard", async () => {
    const clock = new VirtualClock();
    const broker = new EmbeddedBroker({ clock });
    const photos = Array.from({ length: 50 }, (_, i) => ({ id: `photo-${i}`, value: { id: `photo-${i}`, bytes: i * 1000 } }));
    const summary = await runPipeline({ workers, transport: broker, clock, sources: [{ topic: "photos", records: photos }] });
    const renditions = (await readTopic(broker, "renditions")).map((r) => JSON.parse(r.value!) as Rendition);
    expect(renditions).toHaveLength(150);
    for (const r of renditions) expect(r.shard).toBe(partitionForKey(r.photo, 10));
    expect(new Set(renditions.map((r) => `${r.photo}/${r.format}`)).size).toBe(150);
    expect(summary.stages.find((s) => s.stage === "render/merge")).toMatchObject({ in: 150, out: 150 });
    expect(summary.stages.find((s) => s.stage === "render/copy")).toMatchObject({ in: 50, out: 150, lanes: 3 });
  });

  it("plans the topics: lanes get their shard count, retries their input's, roles set", () => {
    const plan = planTopology(workers, { sourcePartitions: 4 });
    const topic = (name: string) => plan.topics.find((t) => t.name === name);
    expect(topic("photos")).toMatchObject({ role: "source", partitions: 4 });
    expect(topic("render.4k")).toMatchObject({ role: "internal", partitions: 10 });
    expect(topic("render.4k.retry-1")).toMatchObject({ role: "retry", partitions: 10 });
    expect(topic("render.4k.dlq")).toMatchObject({ role: "dead-letter", partitions: 1 });
    expect(topic("render.4k.map.state")).toMatchObject({ role: "state", partitions: 10 });
    expect(topic("renditions")).toMatchObject({ role: "sink", partitions: 1 });
    expect(plan.workers.find((w) => w.id === "render.route")).toMatchObject({
      group: "flowc.render.route",
      input: "photos",
      outputs: ["render.4k", "render.1080p", "render.gif"],
      stages: ["render/copy", "render/4k/shard", "emit:render.4k", "render/1080p/shard", "emit:render.1080p", "render/gif/shard", "emit:render.gif"],
    });
    // topology.json is plain JSON.
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
  });

  it("types routes from the worker: predicates and keys see the value type", () => {
    const w = defineWorker<Photo>({
      id: "typed",
      input: { topic: "in", decode: decodePhoto },
      route: filter("f", (p) => p.bytes > 0, split("s", [["big", (p) => p.bytes > 10, emit("big")]], ["small", emit("small")]), {
        droppedTo: "empty",
      }),
    });
    expect([...w.outputs.keys()].sort()).toEqual(["big", "empty", "small"]);
  });

  it("rejects definitions the runtime could not run", () => {
    const base = { input: { topic: "in", decode: decodePhoto }, route: emit("out") };
    expect(() => defineWorker<Photo>({ ...base, id: "" })).toThrow(WorkerDefinitionError);
    expect(() =>
      defineWorker<Photo, Photo>({
        ...base,
        id: "w",
        handler: { kind: "map", stage: "w/map", run: (p) => p, retry: { attempts: 3 } },
      }),
    ).toThrow(/no retryTopics/);
    expect(() => defineWorker<Photo>({ ...base, id: "w", retryTopics: ["r"] })).toThrow(/need a handler/);
    expect(() => defineWorker<Photo>({ ...base, id: "w", route: emit("in") })).toThrow(/its own topic/);
    expect(() =>
      defineWorker<Photo>({ ...base, id: "w", route: copy("x", { a: emit("t1"), b: filter("x", () => true, emit("t2")) }) }),
    ).toThrow(/used as both copy and filter/);
  });
});
