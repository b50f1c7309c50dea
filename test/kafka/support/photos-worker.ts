/**
 * One worker process of the photos pipeline on Kafka, as a deployment would run it: the
 * generated workers of `flowc build examples/photos.flow` (from the build dir given as the first
 * argument), on the Kafka transport configured from the environment (FLOWC_BROKERS,
 * FLOWC_CLIENT_ID, FLOWC_GROUP_PREFIX, FLOWC_TOPIC_PREFIX). SIGTERM stops it gracefully
 * (running handlers finish, finished work is committed). A failed run exits with code 1, like
 * a crash: the supervisor (the fault harness) starts it again.
 *
 *   node --import tsx test/kafka/support/photos-worker.ts <buildDir> [workerId,...]
 */
import { register } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

register("./flowc-hooks.mjs", import.meta.url);

const [buildDir, only = ""] = process.argv.slice(2);
if (buildDir === undefined) throw new Error("usage: photos-worker.ts <buildDir> [workerId,...]");

const { kafkaTransportFromEnv } = await import("../../../runtime/kafka/index.js");
const { startWorkers } = await import("../../../runtime/pipeline.js");
type Entry = typeof import("./entry-shape.js");
const entry = (await import(pathToFileURL(path.join(buildDir, "index.ts")).href)) as Entry;

const transport = kafkaTransportFromEnv();
const workers = await entry.load(only === "" ? [] : only.split(","));
const run = startWorkers(workers, {
  transport,
  topology: entry.topology,
  delivery: (process.env.FLOWC_DELIVERY as "exactly-once" | "at-least-once" | undefined) ?? "auto",
  maxInFlight: Number(process.env.FLOWC_MAX_IN_FLIGHT ?? 2000),
  maxPollRecords: Number(process.env.FLOWC_MAX_POLL_RECORDS ?? 1000),
  logLevel: (process.env.FLOWC_LOG_LEVEL as "error" | undefined) ?? "error",
  // A crashed instance is restarted in process; a failed run ends the process.
  restartCrashed: true,
});

const report = () => {
  const p = run.progress();
  process.send?.({ type: "progress", workers: p.workers.map((w) => ({ id: w.id, consumed: w.consumed, instances: w.instances })) });
};
const timer = setInterval(report, 1000);
timer.unref();

let stopping = false;
process.on("SIGTERM", () => {
  if (stopping) return;
  stopping = true;
  void run
    .stop()
    .then(() => transport.close())
    .then(() => process.exit(0))
    .catch((error: unknown) => {
      console.error("photos worker: graceful stop failed:", error);
      process.exit(1);
    });
});

run.done.then(
  async () => {
    await transport.close();
    process.exit(0);
  },
  async (error: unknown) => {
    if (stopping) return;
    console.error(`photos worker ${process.env.FLOWC_CLIENT_ID ?? process.pid}: run failed:`, (error as Error)?.message ?? error);
    process.exit(1);
  },
);
process.send?.({ type: "started" });
