/**
 * The routing properties of test/runtime/properties.ts (lossless, idempotent) over programs
 * the compiler built: a random program of the runtime suite's kind is printed as `.flow`
 * (program.ts), compiled by flowc's own build (check, lower, emit: what `flowc build` and
 * `flowc run` call), and its generated worker modules are loaded and run on the embedded
 * broker with random inputs (duplicates, poison, flaky and malformed messages) and random
 * worker crashes. The runtime suite's reference interpreter stays the oracle: every sink holds
 * what it says, every dead letter is where it says, every stage counts what it says, and
 * delivering each message k times (with crashes) gives the outputs, ids and accounting of once.
 *
 * A failure prints the .flow program, the inputs and the fast-check seed; the case's folder is
 * kept, with a command to run it with `flowc run`.
 * FLOWC_FLOW_PROPERTY_RUNS (default 200) and FLOWC_PROPERTY_SEED choose the runs and the seed.
 */
import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StageReport } from "../../runtime/accounting.js";
import { EmbeddedBroker } from "../../runtime/embedded/broker.js";
import type { DeliveryMode, Worker } from "../../runtime/worker.js";
import { routeNode, type RouteNode } from "../../stdlib/route.js";
import {
  checkIdempotent,
  checkLossless,
  crashesArb,
  handlerOutputs,
  inputsArb,
  laneWorker,
  LANES,
  names,
  ROUTE,
  runWorkers,
  type CrashSpec,
  type InputSpec,
  type LaneSpec,
  type Msg,
  type Outcome,
  type Program,
  type TreeSpec,
} from "../runtime/properties.js";
import { compile, root, workspace } from "./compiled.js";
import * as handlers from "./handlers.js";
import { deadLetterTopic, flowCaseArb, handlerName, MAX_N, printFlow, topicOf, usedLanes, type FlowCase } from "./program.js";

const numRuns = Number(process.env.FLOWC_FLOW_PROPERTY_RUNS ?? 200);
const seed = process.env.FLOWC_PROPERTY_SEED === undefined ? undefined : Number(process.env.FLOWC_PROPERTY_SEED);

let ws: ReturnType<typeof workspace>;
let failed = false;
beforeAll(() => {
  ws = workspace();
});
afterAll(() => {
  if (!failed) ws.remove();
});

// ---- the compiled program against the program ---------------------------------------------

/** Maps the generated route's stage ids to the interpreter's, checking it has the program's shape. */
function mapRoute(spec: TreeSpec, node: RouteNode, stage: string, into: Map<string, string>): void {
  const differs = (what: string) => {
    throw new Error(`the generated route differs from the program at ${stage} (${node.stage}): ${what}`);
  };
  const set = () => {
    if (into.has(node.stage)) differs(`stage ${node.stage} appears twice`);
    into.set(node.stage, stage);
  };
  if (node.kind !== spec.kind) differs(`expected ${spec.kind}, found ${node.kind}`);
  switch (spec.kind) {
    case "emit": {
      if (node.kind === "emit" && node.topic !== topicOf(spec.to)) differs(`emits into ${node.topic}, not ${topicOf(spec.to)}`);
      // The interpreter counts every emit into a topic as one stage, `emit:<topic>`; so does
      // the runtime by default, but a merge straight before a sink names its emits after
      // itself (`<pipeline>/merge`): those counts add up to the topic's.
      const topicStage = `emit:${topicOf(spec.to)}`;
      if (node.stage !== topicStage) {
        if (into.has(node.stage) && into.get(node.stage) !== topicStage) differs(`stage ${node.stage} emits into two topics`);
        into.set(node.stage, topicStage);
      }
      return;
    }
    case "copy":
      if (node.kind !== "copy" || node.lanes.length !== spec.lanes.length) return differs("lane count");
      set();
      spec.lanes.forEach((l, i) => mapRoute(l, node.lanes[i].next, `${stage}.${i}`, into));
      return;
    case "filter": {
      if (node.kind !== "filter") return;
      set();
      const dropped = spec.droppedTo === undefined ? undefined : `sink${spec.droppedTo}`;
      if (node.dropped?.topic !== dropped) differs(`drops into ${node.dropped?.topic}, not ${dropped}`);
      mapRoute(spec.next, node.next, `${stage}.0`, into);
      return;
    }
    case "split":
      if (node.kind !== "split" || node.cases.length !== spec.cases.length || (node.otherwise === undefined) !== (spec.otherwise === undefined)) {
        return differs("cases");
      }
      set();
      spec.cases.forEach((c, i) => mapRoute(c.next, node.cases[i].next, `${stage}.${i}`, into));
      if (spec.otherwise && node.otherwise) mapRoute(spec.otherwise, node.otherwise.next, `${stage}.else`, into);
      return;
    case "shard":
      if (node.kind !== "shard" || node.count !== spec.count) return differs(`shard count ${node.kind === "shard" ? node.count : "?"}, not ${spec.count}`);
      set();
      mapRoute(spec.next, node.next, `${stage}.0`, into);
      return;
  }
}

interface Plan {
  /** The generated workers in the runtime suite's order: route, lane0, lane1, lane2. */
  readonly ids: string[];
  /** Generated stage id -> the interpreter's; generated dead-letter topic -> the interpreter's. */
  readonly stages: Map<string, string>;
  readonly deadLetters: Map<string, string>;
}

function expectedTiers(spec: LaneSpec): number {
  return spec.attempts === 1 ? 0 : spec.attempts === 3 && spec.tiers === 2 ? 2 : 1;
}

/** Finds each of the program's workers among the generated ones and checks its definition. */
function plan({ program, choices }: FlowCase, workers: readonly Worker[]): Plan {
  const n = names("");
  const byInput = new Map(workers.map((w) => [w.inputTopic, w]));
  const lanes = [...usedLanes(program.root)].sort();
  expect(workers.map((w) => w.inputTopic).sort(), "the workers' input topics").toEqual(["src", ...lanes.map((j) => `lane${j}`)].sort());
  const stages = new Map<string, string>();
  const deadLetters = new Map<string, string>();
  const route = byInput.get("src")!;
  expect(route.definition.handler, "the route worker has no handler").toBeUndefined();
  stages.set(`${route.id}/decode`, `${ROUTE}/decode`);
  deadLetters.set(route.deadLetterTopic, n.deadLetter(ROUTE));
  mapRoute(program.root, routeNode(route.definition.route!), `${ROUTE}/r`, stages);
  const ids = [route.id, ...Array.from({ length: LANES }, (_, j) => `(no lane${j} worker)`)];
  for (const j of lanes) {
    const spec = program.lanes[j];
    const w = byInput.get(`lane${j}`)!;
    const id = laneWorker(j);
    ids[1 + j] = w.id;
    const h = w.definition.handler!;
    expect(
      { kind: h.kind, attempts: h.retry?.attempts ?? 1, concurrency: h.concurrency ?? 1, tiers: w.retryTopics.length },
      `worker ${w.id}'s handler policy`,
    ).toEqual({ kind: spec.kind, attempts: spec.attempts, concurrency: spec.concurrency, tiers: expectedTiers(spec) });
    if (choices.deadLetters[j]) expect(w.deadLetterTopic, `worker ${w.id}'s dead-letter topic`).toBe(deadLetterTopic(j));
    stages.set(`${w.id}/decode`, `${id}/decode`);
    stages.set(h.stage, `${id}/h`);
    deadLetters.set(w.deadLetterTopic, n.deadLetter(id));
    mapRoute(spec.tree, routeNode(w.definition.route!), `${id}/r`, stages);
  }
  return { ids, stages, deadLetters };
}

/** The outcome with the interpreter's stage and dead-letter names (stages that become one add up). */
function translate(outcome: Outcome, p: Plan): Outcome {
  const unknown = outcome.summary.stages.map((s) => s.stage).filter((s) => !p.stages.has(s) && !s.startsWith("emit:"));
  expect(unknown, "stages the program does not have").toEqual([]);
  const stages = new Map<string, StageReport>();
  for (const s of outcome.summary.stages) {
    const stage = p.stages.get(s.stage) ?? s.stage;
    const seen = stages.get(stage);
    stages.set(
      stage,
      seen === undefined
        ? { ...s, stage }
        : { ...seen, in: seen.in + s.in, out: seen.out + s.out, dropped: seen.dropped + s.dropped, dead: seen.dead + s.dead, retried: seen.retried + s.retried, inflight: seen.inflight + s.inflight },
    );
  }
  return {
    ...outcome,
    summary: { ...outcome.summary, stages: [...stages.values()] },
    dead: outcome.dead.map((d) => ({ ...d, topic: p.deadLetters.get(d.topic) ?? d.topic })),
  };
}

// ---- reproducing a failure ------------------------------------------------------------------

function inputLines(inputs: readonly InputSpec[]): string {
  return inputs
    .map((input, i) => {
      if (input.malformed) return `{"id": "i${i}", broken`;
      const m: Msg = { id: `i${i}`, n: input.n, key: input.key, ...(input.tag === undefined ? {} : { tag: input.tag }) };
      return JSON.stringify(m);
    })
    .join("\n");
}

function report(dir: string, text: string, inputs: readonly InputSpec[], crashes: readonly CrashSpec[], delivery: DeliveryMode, error: unknown): Error {
  failed = true;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "src.jsonl"), inputLines(inputs) + "\n");
  const rel = path.relative(root, dir);
  const message = [
    error instanceof Error ? error.message : String(error),
    "",
    `---- the program (${path.join(dir, "program.flow")}) ----`,
    text,
    `---- inputs (each delivered up to ${Math.max(1, ...inputs.map((i) => i.copies))} times in the property; copies: ${inputs.map((i) => i.copies).join(",")}) ----`,
    inputLines(inputs),
    `---- crashes: ${JSON.stringify(crashes)}; delivery: ${delivery} ----`,
    `Run it (from the repository, after npm run build): cp ${path.join(dir, "program.flow")} test/flow-properties/repro.flow && ` +
      `npx flowc run test/flow-properties/repro.flow --input src=${rel.startsWith("..") ? path.join(dir, "src.jsonl") : path.join(rel, "src.jsonl")} ` +
      `--delivery ${delivery} --build-dir .probe/repro/gen --out .probe/repro/out`,
    `(flowc run gives each input line an id of its own, so it runs each input once; the fast-check seed printed with this failure ` +
      `replays the case exactly: FLOWC_PROPERTY_SEED=<seed> npx vitest run test/flow-properties)`,
  ].join("\n");
  const wrapped = new Error(message);
  if (error instanceof Error) wrapped.stack = `${message}\n${error.stack ?? ""}`;
  return wrapped;
}

// ---- the suite ------------------------------------------------------------------------------

describe("routing properties over compiled .flow programs", () => {
  it("the handlers module behaves as the runtime suite's handlers", () => {
    for (let j = 0; j < LANES; j++) {
      for (const kind of ["map", "flatMap"] as const) {
        const spec: LaneSpec = { kind, attempts: 1, tiers: 1, concurrency: 1, tree: { kind: "emit", to: { sink: 0 } } };
        const handler = (handlers as unknown as Record<string, (m: Msg, ctx: { attempt: number }) => Msg | Msg[]>)[handlerName(spec, j)];
        for (let v = 0; v <= MAX_N; v++) {
          const m: Msg = { id: `i${v}`, n: v, key: "k0" };
          const out = handler(m, { attempt: 1 });
          expect(JSON.stringify(kind === "map" ? [out] : out)).toBe(JSON.stringify(handlerOutputs(spec, j, m)));
          expect(() => handler({ ...m, tag: "poison" }, { attempt: 3 })).toThrow(/poison/);
          expect(() => handler({ ...m, tag: "flaky" }, { attempt: 1 })).toThrow(/flaky/);
          expect(JSON.stringify(handler({ ...m, tag: "flaky" }, { attempt: 2 }))).toBe(
            JSON.stringify(kind === "map" ? handlerOutputs(spec, j, { ...m, tag: "flaky" })[0] : handlerOutputs(spec, j, { ...m, tag: "flaky" })),
          );
        }
      }
    }
  });

  it("the handlers pass flowc's handler check against the generated types", async () => {
    // Every handler the printer may declare, in one program (the property builds skip the
    // handler check: it type-checks with ts-morph, seconds per build).
    const lanes = Array.from({ length: LANES }, (_, j) => j);
    const text = [
      "enum Tag { poison, flaky }",
      "schema Msg { id: string, n: int, key: string, tag?: Tag, via?: int, part?: int }",
      "topic src: Msg (partitions: 1, key: .key)",
      "topic sink0: Msg (partitions: 1)",
      ...lanes.flatMap((j) => [
        `handler mapLane${j}(Msg) -> Msg from "./handlers.ts"`,
        `handler flatMapLane${j}(Msg) -> [Msg] from "./handlers.ts"`,
        `pipeline m${j} { src | map(mapLane${j}) -> sink0 }`,
        `pipeline f${j} { src | flatMap(flatMapLane${j}) -> sink0 }`,
      ]),
    ].join("\n");
    const compiled = await compile(path.join(ws.dir, "handler-check"), text, { checkHandlers: true });
    expect(compiled.diagnostics).toBe("");
    expect(compiled.workers.length).toBe(2 * LANES);
  }, 60_000);

  let caseNumber = 0;
  it(
    "lossless and idempotent: the generated workers route every input where the interpreter says, once",
    async () => {
      await fc.assert(
        fc.asyncProperty(flowCaseArb, inputsArb, crashesArb, fc.nat(), fc.nat(), async (flowCase, inputs, crashes, pick, runSeed) => {
          const { program } = flowCase;
          const dir = path.join(ws.dir, `case-${++caseNumber}`);
          const text = printFlow(flowCase, ["Printed by test/flow-properties from a random routing program; handlers: ./handlers.ts"]);
          const delivery: DeliveryMode = pick % 2 === 0 ? "at-least-once" : "exactly-once";
          try {
            const compiled = await compile(dir, text, { checkHandlers: false });
            // A printer bug shows here, with every diagnostic in full.
            if (compiled.diagnostics !== "") throw new Error(`flowc did not accept the printed program:\n${compiled.diagnostics}`);
            const p = plan(flowCase, compiled.workers);
            const run = (once: boolean, crashes: readonly CrashSpec[]) =>
              runWorkers(
                { transport: new EmbeddedBroker(), program, inputs, once, crashes, delivery, seed: runSeed, ns: "", realTime: false },
                [...compiled.workers],
                p.ids,
                compiled.topology,
              );
            const once = await run(true, []);
            checkLossless(program, inputs, translate(once, p), delivery, names(""));
            const many = await run(false, crashes);
            checkLossless(program, inputs, translate(many, p), delivery, names(""));
            checkIdempotent(once, "", many, "", delivery);
          } catch (error) {
            throw report(dir, text, inputs, crashes, delivery, error);
          }
        }),
        { numRuns, seed },
      );
    },
    240_000,
  );
});
