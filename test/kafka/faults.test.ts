/**
 * Fault tests on Kafka: the photos pipeline as `flowc build` generates it, its workers in
 * separate processes, each run over FLOWC_FAULT_MESSAGES (default 100,000) input photos with
 * poison photos and malformed records mixed in, in exactly-once mode:
 *
 * - a worker process killed with SIGKILL while it works, again and again;
 * - the broker stopped and started again mid-run (a broker of its own on another port, so the
 *   other Kafka suites are not disturbed);
 * - worker processes added and removed (rebalances);
 *
 * and every time: each rendition the input calls for exactly once (compared one by one with
 * the render of its photo), nothing else, every poison photo in each lane's dead-letter topic
 * (its handler error is not retriable), every malformed record in the route's, and in = out + dead at every stage.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain ESM script without type declarations.
import { ensureKafka, resetKafka, stopKafka } from "../../scripts/kafka-broker.mjs";
import { buildPhotos, PhotosRun, removeBuild, type PhotosBuild, type Verification } from "./support/photos-harness.js";
import { deleteByPrefix, kafka, reportSkip } from "./helpers.js";

reportSkip("the Kafka fault tests");

const MESSAGES = Number(process.env.FLOWC_FAULT_MESSAGES ?? 100_000);
const POISON_EVERY = 1000;
const MALFORMED_EVERY = 1499;
const log = (line: string) => process.stderr.write(`faults: ${line}\n`);

function expectExact(v: Verification, run: PhotosRun): void {
  log(`verified: ${v.renditions} renditions (${v.distinct} distinct, ${v.missing} missing, ${v.duplicates} duplicates), dead letters ${JSON.stringify(Object.fromEntries(Object.entries(v.deadLetters).map(([k, d]) => [k, d.count])))}, process restarts ${run.crashes}`);
  expect(v.wrong.slice(0, 5)).toEqual([]);
  expect(v.missing, "missing renditions").toBe(0);
  expect(v.duplicates, "duplicate renditions").toBe(0);
  expect(v.renditions).toBe(run.expectedRenditions);
  for (const [worker, d] of Object.entries(v.deadLetters)) {
    expect(d.bad.slice(0, 5), `unexpected dead letters of ${worker}`).toEqual([]);
    expect(d.count, `dead letters of ${worker} (exactly once)`).toBe(d.distinct);
  }
  expect(v.problems).toEqual([]);
  for (const [worker, s] of Object.entries(v.stages)) {
    expect(s.in, `${worker}: in = out + dead`).toBe(worker.endsWith(".route") ? run.options.messages : s.out + s.dead);
    // Poison is not retriable (NonRetriableError): the retry topics stay empty.
    if (s.retried !== undefined) expect(s.retried, `${worker}: retries`).toBe(0);
  }
}

describe.skipIf(!kafka.available)(`fault tests on Kafka ${kafka.version}: photos pipeline, ${MESSAGES} photos, exactly-once`, () => {
  let build: PhotosBuild;
  const runs: PhotosRun[] = [];

  beforeAll(async () => {
    build = await buildPhotos();
  });
  afterAll(async () => {
    for (const r of runs) {
      await r.close().catch(() => {});
      await deleteByPrefix(r.prefix).catch(() => {});
    }
    if (build) removeBuild(build);
  });

  const newRun = (brokers = kafka.brokers, extra: { maxCrashes?: number } = {}) => {
    const run = new PhotosRun(build, { brokers, messages: MESSAGES, poisonEvery: POISON_EVERY, malformedEvery: MALFORMED_EVERY, delivery: "exactly-once", log, ...extra });
    runs.push(run);
    return run;
  };

  const finish = async (run: PhotosRun) => {
    await run.waitDone(300_000);
    await run.stopAll();
    const v = await run.verify();
    expectExact(v, run);
    await run.close();
    await deleteByPrefix(run.prefix);
    runs.splice(runs.indexOf(run), 1);
  };

  it(
    "SIGKILL of a worker process mid-batch, repeatedly",
    async () => {
      const run = newRun();
      await run.setup();
      run.spawn("a");
      run.spawn("b");
      const kills = 4;
      for (let k = 1; k <= kills; k++) {
        await run.waitFor((k * 0.8) / (kills + 1), 300_000);
        const victim = k % 2 === 0 ? "a" : "b";
        run.log(`SIGKILL ${victim} at ${run.progressDistinct} renditions`);
        await run.kill(victim);
        run.spawn(victim);
      }
      await finish(run);
    },
    900_000,
  );

  it(
    "workers added and removed while running (rebalances)",
    async () => {
      const run = newRun();
      await run.setup();
      run.spawn("a");
      await run.waitFor(0.15, 300_000);
      run.log("adding b");
      run.spawn("b");
      await run.waitFor(0.3, 300_000);
      run.log("adding c");
      run.spawn("c");
      await run.waitFor(0.5, 300_000);
      run.log("removing a (SIGTERM)");
      await run.stop("a");
      await run.waitFor(0.7, 300_000);
      run.log("removing c (SIGTERM), adding d");
      await run.stop("c");
      run.spawn("d");
      await finish(run);
    },
    900_000,
  );

  it(
    "the broker stopped and started again mid-run",
    async () => {
      // A broker of its own: stopping the shared one would fail the suites running beside this.
      const port = Number(process.env.FLOWC_FAULT_KAFKA_PORT ?? 19492);
      const brokerLog = (line: string) => log(`broker ${port}: ${line}`);
      const broker = await ensureKafka({ port, version: kafka.version, log: brokerLog });
      try {
        const run = newRun(broker.brokers, { maxCrashes: 200 });
        await run.setup();
        run.spawn("a");
        run.spawn("b");
        await run.waitFor(0.35, 300_000);
        run.log(`stopping the broker at ${run.progressDistinct} renditions`);
        await stopKafka({ port, version: kafka.version, log: brokerLog });
        await new Promise((r) => setTimeout(r, 5_000));
        run.log("starting the broker again");
        await ensureKafka({ port, version: kafka.version, log: brokerLog });
        await finish(run);
      } finally {
        await stopKafka({ port, version: kafka.version, log: brokerLog }).catch(() => {});
        await resetKafka({ port, version: kafka.version, log: brokerLog }).catch(() => {});
      }
    },
    900_000,
  );
});
