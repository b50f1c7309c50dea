/**
 * Lowering: the stage graph of the examples and the naming rules of docs/build.md.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { StageGraph } from "../../compiler/ir.js";
import { lower, retryTiers } from "../../compiler/lower.js";
import { createProgram } from "../../compiler/program.js";
import { DEFAULT_POLICY } from "../../compiler/check.js";
import { buildCases, root } from "./helpers.js";

function graphOf(file: string): StageGraph {
  const program = createProgram([path.isAbsolute(file) ? file : path.join(root, file)]);
  expect(program.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const { graph, diagnostics } = lower(program);
  expect(diagnostics).toEqual([]);
  return graph;
}

describe("lower examples/photos.flow", () => {
  const graph = graphOf("examples/photos.flow");

  it("makes 4 workers: one route worker and one render worker per lane", () => {
    expect(graph.workers.map((w) => [w.id, w.input, w.handler ?? null, w.module])).toEqual([
      ["renderPhotos.1080p.render", "renderPhotos.1080p.render", "renderPhotos/1080p/render", "renderPhotos/1080p.render.worker.ts"],
      ["renderPhotos.4k.render", "renderPhotos.4k.render", "renderPhotos/4k/render", "renderPhotos/4k.render.worker.ts"],
      ["renderPhotos.gif.render", "renderPhotos.gif.render", "renderPhotos/gif/render", "renderPhotos/gif.render.worker.ts"],
      ["renderPhotos.route", "photos", null, "renderPhotos/route.worker.ts"],
    ]);
    expect(graph.workers.map((w) => w.consumerGroup)).toEqual(graph.workers.map((w) => `flowc.${w.id}`));
  });

  it("plans one internal topic per lane, with the shard count as partitions and the shard key", () => {
    expect(graph.topics.filter((t) => t.role === "internal").map((t) => [t.name, t.partitions, t.key?.join("."), t.sharded])).toEqual([
      ["renderPhotos.1080p.render", 10, "id", true],
      ["renderPhotos.4k.render", 10, "id", true],
      ["renderPhotos.gif.render", 10, "id", true],
    ]);
  });

  it("gives each render worker one retry topic per backoff tier, a dead-letter and a state topic", () => {
    const worker = graph.workers.find((w) => w.id === "renderPhotos.4k.render")!;
    expect(worker.retryTopics).toEqual([1, 2, 3, 4, 5].map((n) => `renderPhotos.4k.render.retry.${n}`));
    expect(graph.topics.filter((t) => t.retry?.worker === worker.id).map((t) => t.retry!.delayMs)).toEqual([100, 200, 400, 800, 1600]);
    expect(worker.deadLetterTopic).toBe("renderPhotos.4k.render.dlq");
    expect(worker.stateTopic).toBe("renderPhotos.4k.render.state");
  });

  it("has one node per stage instance per lane, ids from names, each with its .flow line", () => {
    expect(graph.nodes.map((n) => `${n.id}@${n.origin.line}`)).toEqual([
      "renderPhotos/1080p/merge@38",
      "renderPhotos/1080p/render@37",
      "renderPhotos/1080p/shard@36",
      "renderPhotos/4k/merge@38",
      "renderPhotos/4k/render@37",
      "renderPhotos/4k/shard@36",
      "renderPhotos/copy@35",
      "renderPhotos/gif/merge@38",
      "renderPhotos/gif/render@37",
      "renderPhotos/gif/shard@36",
    ]);
    expect(graph.topics.find((t) => t.name === "renditions")!.producers).toEqual(["renderPhotos/1080p/merge", "renderPhotos/4k/merge", "renderPhotos/gif/merge"]);
  });
});

describe("lower examples/signup.flow", () => {
  const graph = graphOf("examples/signup.flow");
  it("gives declared topics their role in the DAG", () => {
    const role = (name: string) => graph.topics.find((t) => t.name === name)?.role;
    expect([role("signups"), role("verified"), role("notices"), role("emailNotices"), role("emails"), role("noMarketing")]).toEqual([
      "source",
      "source",
      "intermediate",
      "intermediate",
      "sink",
      "sink",
    ]);
  });
  it("reads straight from the source when a handler comes first: no internal topic", () => {
    expect(graph.workers.find((w) => w.id === "verify.verificationFor")!.input).toBe("signups");
    expect(graph.topics.filter((t) => t.role === "internal")).toEqual([]);
  });
});

describe("lowering rules", () => {
  it("reports a declared topic whose Kafka name the compiler plans (FLOW3013)", async () => {
    const fs = await import("node:fs");
    const os = await import("node:os");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flowc-clash-"));
    try {
      const file = path.join(dir, "clash.flow");
      fs.writeFileSync(
        file,
        `schema Job { id: string }\ntopic jobs: Job\ntopic done: Job\ntopic taken: Job (name: "run.route.dlq")\npipeline run { jobs | filter(.id != "", dropped: taken) -> done }\n`,
      );
      const { diagnostics } = lower(createProgram([file]));
      expect(diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual(["FLOW3013 topic name 'run.route.dlq' is also planned by the compiler for a dead-letter topic of worker 'run.route'"]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("retry tiers are the distinct exponential delays, capped", () => {
    const policy = (retries: number, initial: number, max: number) => ({ ...DEFAULT_POLICY, retry: { retries, initialBackoffMs: initial, maxBackoffMs: max } });
    expect(retryTiers(policy(10, 1000, 60_000))).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000]);
    expect(retryTiers(policy(0, 100, 1000))).toEqual([]);
  });

  it("merge(first) meets in a topic whose consumer keeps the first result; the copy is a hedge", () => {
    const graph = graphOf("test/corpus/valid/merge.flow");
    const copy = graph.nodes.find((n) => n.id === "hedged/copy")!;
    expect(copy.kind === "copy" && copy.hedge).toBe(true);
    const merge = graph.workers.find((w) => w.id === "hedged.merge")!;
    expect([merge.input, merge.emits]).toEqual(["hedged.merge", ["fastest"]]);
    expect(graph.nodes.find((n) => n.id === "everyAnswer/copy")).toMatchObject({ kind: "copy" });
    expect((graph.nodes.find((n) => n.id === "everyAnswer/copy") as { hedge?: boolean }).hedge).toBeUndefined();
  });

  it("every program: ids unique, every edge resolves, every worker's nodes belong to it", () => {
    for (const c of buildCases()) {
      const graph = graphOf(c.file);
      const nodeIds = new Set(graph.nodes.map((n) => n.id));
      const topicNames = new Set(graph.topics.map((t) => t.name));
      expect(nodeIds.size, c.name).toBe(graph.nodes.length);
      expect(new Set(graph.workers.map((w) => w.id)).size, c.name).toBe(graph.workers.length);
      for (const node of graph.nodes) {
        for (const output of node.outputs) {
          if (output.to.kind === "node") expect(nodeIds.has(output.to.node), `${c.name} ${node.id}`).toBe(true);
          else expect(topicNames.has(output.to.topic), `${c.name} ${node.id}`).toBe(true);
        }
      }
      for (const worker of graph.workers) {
        expect(topicNames.has(worker.input), worker.id).toBe(true);
        for (const id of worker.nodes) expect(graph.nodes.find((n) => n.id === id)?.worker, `${c.name} ${id}`).toBe(worker.id);
        for (const topic of [...worker.retryTopics, worker.deadLetterTopic, worker.stateTopic, ...worker.emits]) expect(topicNames.has(topic), `${worker.id} ${topic}`).toBe(true);
      }
      for (const topic of graph.topics) expect(topic.name, c.name).toMatch(/^[A-Za-z0-9._-]{1,249}$/);
    }
  });
});
