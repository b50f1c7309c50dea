// The photos pipeline as a Kafka Streams application (bench/kafka-streams, Java 17, Kafka
// Streams 4.1.2): the peer a Kafka user would pick instead of flowc. This driver builds the
// shaded jar with Maven once (again only when a source file is newer than the jar), loads the
// input, runs the application as a child JVM until all renditions arrived, and stops it.
//
//   import { runKafkaStreamsPhotos } from "./bench/baselines/kafka-streams-photos.mjs";
//   await runKafkaStreamsPhotos({ brokers: "127.0.0.1:9092", messages: 100000, mode: "exactly-once" });
//
// mode "at-least-once" runs processing.guarantee=at_least_once, "exactly-once" runs
// exactly_once_v2 (transactions, read_committed, one producer per stream thread: KIP-447).

import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {
  REPO_ROOT,
  createPhotoTopics,
  deleteByPrefix,
  cpuSeconds,
  peakRss,
  photosResult,
  producePhotos,
  startVerifier,
  uniquePrefix,
} from "./photos-common.mjs";

export const STREAMS_DIR = path.join(REPO_ROOT, "bench", "kafka-streams");
export const STREAMS_JAR = path.join(STREAMS_DIR, "target", "photos-streams.jar");

function newestSource(dir) {
  let newest = 0;
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else newest = Math.max(newest, fs.statSync(p).mtimeMs);
    }
  };
  walk(path.join(dir, "src"));
  return Math.max(newest, fs.statSync(path.join(dir, "pom.xml")).mtimeMs);
}

/** Whether java and (unless the jar is built) mvn are on PATH: { ok } or { ok: false, reason }. */
export function kafkaStreamsAvailable() {
  const java = spawnSync(process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, "bin", "java") : "java", ["-version"], { encoding: "utf8" });
  if (java.error || java.status !== 0) return { ok: false, reason: "java not found" };
  if (!fs.existsSync(STREAMS_JAR)) {
    const mvn = spawnSync("mvn", ["--version"], { encoding: "utf8" });
    if (mvn.error || mvn.status !== 0) return { ok: false, reason: "mvn not found (needed to build bench/kafka-streams)" };
  }
  return { ok: true };
}

/**
 * Builds bench/kafka-streams/target/photos-streams.jar with `mvn -q package` unless it is
 * newer than every source file. Maven caches its downloads in ~/.m2.
 */
export async function buildKafkaStreamsJar({ log = () => {}, force = false } = {}) {
  if (!force && fs.existsSync(STREAMS_JAR) && fs.statSync(STREAMS_JAR).mtimeMs >= newestSource(STREAMS_DIR)) {
    log(`kafka-streams: jar up to date (${path.relative(REPO_ROOT, STREAMS_JAR)})`);
    return STREAMS_JAR;
  }
  log("kafka-streams: building the jar with Maven (the first build downloads kafka-streams 4.1.2 and Jackson into ~/.m2)...");
  const t0 = Date.now();
  const ticker = setInterval(() => log(`kafka-streams: still building (${Math.round((Date.now() - t0) / 1000)}s)`), 10000);
  let out = "";
  const code = await new Promise((resolve, reject) => {
    const child = spawn("mvn", ["-B", "-q", "-f", path.join(STREAMS_DIR, "pom.xml"), "package"], { cwd: STREAMS_DIR });
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.once("error", reject);
    child.once("close", resolve);
  }).finally(() => clearInterval(ticker));
  if (code !== 0 || !fs.existsSync(STREAMS_JAR)) {
    throw new Error(`building bench/kafka-streams failed (mvn exit ${code}):\n${out.trim().split("\n").slice(-30).join("\n")}`);
  }
  log(`kafka-streams: built ${path.relative(REPO_ROOT, STREAMS_JAR)} in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  return STREAMS_JAR;
}

/**
 * Runs the photos pipeline as a Kafka Streams application over `messages` input photos.
 * `config` adds Kafka Streams settings (e.g. { "num.stream.threads": 1 }); `heap` is -Xmx.
 * @returns {Promise<{ messages, seconds, inputPerSecond, outputs, peakRssBytes?, wallSeconds, startupSeconds, duplicates, ... }>}
 */
export async function runKafkaStreamsPhotos({ brokers, messages, mode, prefix, config = {}, heap = "512m", log = () => {}, keepTopics = false }) {
  const guarantee = mode === "exactly-once" ? "exactly_once_v2" : mode === "at-least-once" ? "at_least_once" : null;
  if (!guarantee) throw new Error(`mode must be at-least-once or exactly-once, got ${mode}`);
  const jar = await buildKafkaStreamsJar({ log });
  prefix ??= uniquePrefix(mode === "exactly-once" ? "ks-eos" : "ks-alo");
  let child = null;
  let keepForInspection = false;
  try {
    await createPhotoTopics(brokers, prefix);
    const input = await producePhotos({ brokers, prefix, messages });
    log(`kafka-streams ${mode}: loaded ${messages} photos in ${input.seconds.toFixed(1)}s (${Math.round(input.perSecond)}/s)`);
    const verifier = startVerifier({ brokers, prefix, messages, readCommitted: mode === "exactly-once", log });
    await verifier.ready;

    const startedAt = Date.now();
    const args = [
      `-Xmx${heap}`,
      "-XX:+UseG1GC",
      "-jar",
      jar,
      brokers,
      prefix,
      guarantee,
      ...Object.entries(config).map(([k, v]) => `${k}=${v}`),
    ];
    const java = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, "bin", "java") : "java";
    child = spawn(java, args, { stdio: ["ignore", "pipe", "pipe"] });
    let readyAt = 0;
    let rebalances = 0; // after the first RUNNING
    let stderrTail = "";
    const closedLine = new Promise((resolve) => {
      let buf = "";
      child.stdout.on("data", (d) => {
        buf += d;
        let nl;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line === "READY" && !readyAt) readyAt = Date.now();
          if (line === "CLOSED") resolve();
          if (line === "STATE REBALANCING RUNNING") rebalances++;
          if (line.startsWith("STATE ")) log(`kafka-streams ${mode}: ${line.toLowerCase()}`);
        }
      });
    });
    child.stderr.on("data", (d) => {
      stderrTail = (stderrTail + d).slice(-8000);
      if (process.env.FLOWC_BENCH_DEBUG) process.stderr.write(d);
    });
    const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    const failed = exited.then(({ code, signal }) => {
      throw new Error(`Kafka Streams process exited early (code ${code}, signal ${signal}):\n${stderrTail.trim().split("\n").slice(-20).join("\n")}`);
    });
    failed.catch(() => {});

    const progress = setInterval(() => log(`kafka-streams ${mode}: ${verifier.progress().distinct} of ${messages * 3} renditions`), 5000);
    let verified;
    try {
      verified = await Promise.race([verifier.done, failed]);
    } finally {
      clearInterval(progress);
    }
    const peakRssBytes = await peakRss(child.pid);
    const cpu = await cpuSeconds(child.pid);
    child.kill("SIGTERM");
    await Promise.race([Promise.all([exited, closedLine]), exited.then(() => new Promise((r) => setTimeout(r, 100))), new Promise((r) => setTimeout(r, 30000))]);
    if (verified.duplicates && mode === "exactly-once") {
      keepForInspection = true;
      throw new Error(`Kafka Streams exactly-once: ${verified.duplicates} duplicate renditions (topics kept for inspection: ${prefix}*); e.g. ${verified.duplicateSamples.join("; ")}`);
    }
    if (!readyAt) throw new Error("Kafka Streams never reported RUNNING");
    const result = photosResult({ messages, mode, verified, startedAt, readyAt, input, peakRssBytes, cpu, extra: { implementation: "kafka-streams", config, rebalances } });
    log(`kafka-streams ${mode}: ${messages} photos in ${result.seconds.toFixed(2)}s = ${Math.round(result.inputPerSecond)} photos/s (${result.outputs} renditions, ${result.duplicates} duplicates, startup ${result.startupSeconds.toFixed(1)}s, CPU ${result.cpuSeconds?.toFixed(1)}s, peak RSS ${Math.round((result.peakRssBytes ?? 0) / 2 ** 20)} MiB)`);
    return result;
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await new Promise((r) => {
        const t = setTimeout(() => (child.kill("SIGKILL"), r()), 20000);
        child.once("exit", () => (clearTimeout(t), r()));
      });
    }
    if (!keepTopics && !keepForInspection) await deleteByPrefix(brokers, prefix).catch((e) => log(`cleanup of ${prefix}*: ${e.message}`));
  }
}
