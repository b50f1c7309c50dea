/**
 * The smallest programs behind the bugs the flow property suite ran into, on the path `flowc
 * run` takes (build, the generated workers with topology.json, the embedded broker), kept as
 * regression tests now that they are fixed. The comments say what went wrong before the fix.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmbeddedBroker } from "../../runtime/embedded/broker.js";
import { runPipeline } from "../../runtime/pipeline.js";
import { readTopic } from "../../runtime/read.js";
import { VirtualClock } from "../../runtime/clock.js";
import { typecheck } from "../build/helpers.js";
import { compile, workspace } from "./compiled.js";

let ws: ReturnType<typeof workspace>;
beforeAll(() => {
  ws = workspace();
});
afterAll(() => ws.remove());

const schema = "schema Msg { id: string, n: int, key: string }";
const source = "topic src: Msg (partitions: 1, key: .key)";

let cases = 0;
const build = (name: string, lines: readonly string[], src = source) =>
  compile(path.join(ws.dir, `${name}-${++cases}`), [schema, src, ...lines].join("\n"), { checkHandlers: false });

/** Builds the program and runs it on inputs with n = 1 and n = 5, as `flowc run` would. */
async function run(lines: readonly string[], src = source) {
  const compiled = await build("run", lines, src);
  expect(compiled.diagnostics).toBe("");
  const transport = new EmbeddedBroker();
  await runPipeline({
    workers: compiled.workers,
    topology: compiled.topology,
    transport,
    clock: new VirtualClock(),
    sources: [{ topic: "src", records: [1, 5].map((n) => ({ id: `i${n}`, key: "k", value: { id: `i${n}`, n, key: "k" } })) }],
  });
  return { transport };
}

describe("bugs the flow property suite found", () => {
  // A filter's `dropped:` topic is written like a sink, but lowering did not give it the
  // partitions of the stream that feeds it when it is declared without them, as it does for a
  // sink (compiler/lower.ts, `case "filter"`, against `sink()`): topology.json has none for
  // it, the embedded broker refuses a topic without partitions, and `flowc run` stops before it
  // starts: "internal error: topic 'rejected': partitions must be an integer >= 1" (the corpus'
  // filter.flow, pipeline withDrops, is such a program).
  it("a dropped topic declared without partitions: the run starts and fills it", async () => {
    const { transport } = await run([
      "topic kept: Msg",
      "topic rejected: Msg",
      "pipeline p { src | filter(.n > 2, dropped: rejected) -> kept }",
    ]);
    expect((await readTopic(transport, "kept")).map((r) => r.value)).toEqual(['{"id":"i5","n":5,"key":"k"}']);
    expect((await readTopic(transport, "rejected")).map((r) => r.value)).toEqual(['{"id":"i1","n":1,"key":"k"}']);
  });

  // Nor did the check hold a dropped topic to FLOW3005 (compiler/check.ts: the dropped topic
  // gets checkTopicCarries, not checkShards): this builds without a diagnostic, and the run
  // stops at start with "worker p.route: topic rejected has 1 partitions but a shard above it
  // needs 3".
  it("shard(3) then filter(.., dropped: t) where t has 1 partition: FLOW3005", async () => {
    const compiled = await build("dropped-mismatch", [
      "topic kept: Msg (partitions: 3)",
      "topic rejected: Msg (partitions: 1)",
      "pipeline p { src | shard(3, by: .id) | filter(.n > 2, dropped: rejected) -> kept }",
    ]);
    expect(compiled.diagnostics).toMatch(/FLOW3005/);
  });

  // ... and after a shard, a dropped topic declared without partitions must get the shard
  // count, as a sink does ("a declared topic without partitions that a shard(n) feeds gets n").
  it("shard(3) then filter(.., dropped: t), t without partitions: t gets 3", async () => {
    const compiled = await build("dropped-unsized", [
      "topic kept: Msg",
      "topic rejected: Msg",
      "pipeline p { src | shard(3, by: .id) | filter(.n > 2, dropped: rejected) -> kept }",
    ]);
    expect(compiled.diagnostics).toBe("");
    const partitions = Object.fromEntries(compiled.topology!.topics.map((t) => [t.name, t.partitions]));
    expect({ kept: partitions.kept, rejected: partitions.rejected }).toEqual({ kept: 3, rejected: 3 });
  });

  // `.n not in []` passes the check, and was emitted as `![].includes(msg.n)`: `[]` is a
  // `never[]` to TypeScript, so the generated module does not type-check in strict mode
  // ("Argument of type 'number' is not assignable to parameter of type 'never'"), though it
  // runs (compiler/emit/expressions.ts; an empty list wants a typed `([] as number[])`, or
  // `true`/`false` outright). The property suite's printer writes `.n >= 0` instead.
  it("filter(.n not in []) emits code that type-checks", async () => {
    const compiled = await build("empty-list", ["topic kept: Msg (partitions: 1)", "pipeline p { src | filter(.n not in []) -> kept }"]);
    expect(compiled.diagnostics).toBe("");
    const worker = path.join(path.dirname(compiled.flowFile), "gen/p/route.worker.ts");
    expect([...typecheck([worker]).values()].flat()).toEqual([]);
  }, 60_000);

  // A source declared without partitions ("the broker's default"): topology.json leaves them
  // (now a topic without partitions gets the broker's default: 1 on the embedded broker)
  // out, and so, through it, does every topic planned from the source's (retry, state, sinks
  // fed without a shard); runPipeline hands that to the embedded broker, which has no default
  // and refuses: `flowc run` stops with "internal error: topic 'kept': partitions must be an
  // integer >= 1". (runtime/topology.ts topicSpecs, runtime/embedded/broker.ts createTopics;
  // or the plan could say 1.)
  it("a source declared without partitions: the run starts", async () => {
    const { transport } = await run(["topic kept: Msg", "pipeline p { src | filter(.n > 2) -> kept }"], "topic src: Msg (key: .key)");
    expect((await readTopic(transport, "kept")).map((r) => r.value)).toEqual(['{"id":"i5","n":5,"key":"k"}']);
  });
});
