// Small pieces shared by the Kafka bench suites and their pipeline drivers: running a suite
// against a broker (skipping with one row when there is none), and watching a pipeline's
// child process.

import path from "node:path";
import { pathToFileURL } from "node:url";
import { REPO_ROOT } from "./photos-common.mjs";

/**
 * Runs `fn({ brokers, root, log })` with a Kafka broker (the running one, or one started by
 * scripts/kafka-broker.mjs and stopped again afterwards). Without Kafka it returns one row of
 * the group saying why, named `name`.
 */
export async function withKafka(ctx, { group, name }, fn) {
  const root = ctx?.root ?? REPO_ROOT;
  const log = ctx?.log ?? ((l) => process.stderr.write(`  ${l}\n`));
  const skip = (note) => [{ group, name, value: NaN, unit: "", note }];
  const broker = await import(pathToFileURL(path.join(root, "scripts", "kafka-broker.mjs")).href);
  const avail = broker.kafkaAvailable();
  if (!avail.ok) return skip(`skipped: ${avail.reason}`);
  let kafka;
  try {
    kafka = await broker.ensureKafka({ log });
  } catch (e) {
    return skip(`skipped: Kafka did not start (${String(e?.message ?? e).split("\n")[0]})`);
  }
  try {
    return await fn({ brokers: kafka.brokers, root, log });
  } finally {
    // Stops the broker only if it was started here.
    await kafka.stop();
  }
}

/**
 * Watches a child process: `exited` resolves with { code, signal }; `failed` rejects if it
 * exits before `stopping()` was called (the message names `label`, plus `detail()`).
 */
export function watchChild(child, label, detail = () => "") {
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  let stopping = false;
  const failed = exited.then(({ code, signal }) => {
    if (!stopping) throw new Error(`${label} exited early (code ${code}, signal ${signal})${detail()}`);
  });
  failed.catch(() => {});
  return { exited, failed, stopping: () => void (stopping = true) };
}
