// Kafka's own load tools on the same broker: the machine's limit for producing and consuming
// records of the photos' size. Runs org.apache.kafka.tools.ProducerPerformance and then
// ConsumerPerformance (jars of .kafka/<version>/libs, through runKafkaTool of
// scripts/kafka-broker.mjs) on a fresh 10-partition topic, and parses their reports.
//
//   import { runKafkaPerf } from "./bench/baselines/kafka-perf.mjs";
//   await runKafkaPerf({ brokers: "127.0.0.1:9092", messages: 100000, recordSize: 150 });
//
// Producer: acks=all, no compression, the client's defaults otherwise (batch.size 16 KiB,
// linger.ms 5), unthrottled. With `transactional: true` it commits a transaction every
// `transactionDurationMs` (100 ms, like Kafka Streams' exactly-once commit interval).
// Consumer: one consumer in a new group, from the beginning, until `messages` records.

import { spawn } from "node:child_process";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { REPO_ROOT, PARTITIONS, deleteByPrefix, loadKafkajs, photo, uniquePrefix, waitForLeaders } from "./photos-common.mjs";

const BROKER_SCRIPT = path.join(REPO_ROOT, "scripts", "kafka-broker.mjs");

/** Average JSON size of the photos' input messages, in bytes. */
export function photoRecordSize(sample = 1000) {
  let bytes = 0;
  for (let i = 0; i < sample; i++) bytes += Buffer.byteLength(JSON.stringify(photo(i)));
  return Math.round(bytes / sample);
}

/**
 * runKafkaTool(mainClass, args) with its output captured: runKafkaTool lets the tool inherit
 * stdout, so it is called in a small Node child whose stdout is a pipe.
 */
function runToolCaptured(mainClass, args, { log = () => {} } = {}) {
  const code = `const m = await import(${JSON.stringify(pathToFileURL(BROKER_SCRIPT).href)});
process.exitCode = await m.runKafkaTool(${JSON.stringify(mainClass)}, ${JSON.stringify(args)});`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", code], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.once("error", reject);
    child.once("close", (status) => {
      if (status !== 0) {
        reject(new Error(`${mainClass} exited with ${status}:\n${out.trim().split("\n").slice(-20).join("\n")}`));
      } else {
        log(`${mainClass.split(".").pop()}: ${out.trim().split("\n").slice(-1)[0]}`);
        resolve(out);
      }
    });
  });
}

/** Parses ProducerPerformance's final line. */
export function parseProducerPerformance(out) {
  const re = /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency(?:, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th)?/g;
  let m;
  let last = null;
  while ((m = re.exec(out))) last = m;
  if (!last) throw new Error(`no summary in ProducerPerformance output:\n${out.trim().split("\n").slice(-10).join("\n")}`);
  return {
    records: Number(last[1]),
    recordsPerSecond: Number(last[2]),
    mbPerSecond: Number(last[3]),
    avgLatencyMs: Number(last[4]),
    maxLatencyMs: Number(last[5]),
    p50LatencyMs: last[6] === undefined ? undefined : Number(last[6]),
    p99LatencyMs: last[8] === undefined ? undefined : Number(last[8]),
  };
}

/** Parses ConsumerPerformance's CSV report (header line, then values). */
export function parseConsumerPerformance(out) {
  const lines = out.split("\n").map((l) => l.trim());
  const h = lines.findIndex((l) => l.startsWith("start.time"));
  if (h < 0 || !lines[h + 1]) throw new Error(`no report in ConsumerPerformance output:\n${out.trim().split("\n").slice(-10).join("\n")}`);
  const names = lines[h].split(/,\s*/);
  const values = lines[h + 1].split(/,\s*/);
  const get = (n) => Number(values[names.indexOf(n)]);
  return {
    records: get("data.consumed.in.nMsg"),
    mb: get("data.consumed.in.MB"),
    // Whole run, group join included.
    recordsPerSecond: get("nMsg.sec"),
    mbPerSecond: get("MB.sec"),
    rebalanceMs: get("rebalance.time.ms"),
    // Fetching only (the run less the group join): comparable to the pipelines' `seconds`.
    fetchMs: get("fetch.time.ms"),
    fetchRecordsPerSecond: get("fetch.nMsg.sec"),
    fetchMbPerSecond: get("fetch.MB.sec"),
  };
}

/**
 * Runs ProducerPerformance (N records of recordSize bytes) then ConsumerPerformance (the same
 * N records) on PREFIXperf (10 partitions), deletes it, and returns both reports.
 * @returns {Promise<{ messages, recordSize, producer: {recordsPerSecond, mbPerSecond, ...}, consumer: {recordsPerSecond, fetchRecordsPerSecond, mbPerSecond, ...} }>}
 */
export async function runKafkaPerf({ brokers, messages, recordSize = photoRecordSize(), prefix, transactional = false, transactionDurationMs = 100, log = () => {} }) {
  prefix ??= uniquePrefix(transactional ? "perf-tx" : "perf");
  const topic = `${prefix}perf`;
  const { Kafka, logLevel } = loadKafkajs();
  const admin = new Kafka({ clientId: `${prefix}admin`, brokers: [brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: false, topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }] });
    await waitForLeaders(admin, [topic], PARTITIONS);
  } finally {
    await admin.disconnect();
  }
  try {
    const producerArgs = [
      "--topic", topic,
      "--num-records", String(messages),
      "--record-size", String(recordSize),
      "--throughput", "-1",
      "--producer-props", `bootstrap.servers=${brokers}`, "acks=all", "compression.type=none",
    ];
    if (transactional) producerArgs.push("--transactional-id", `${prefix}perf-tx`, "--transaction-duration-ms", String(transactionDurationMs));
    const producer = parseProducerPerformance(await runToolCaptured("org.apache.kafka.tools.ProducerPerformance", producerArgs, { log }));
    const consumerArgs = [
      "--bootstrap-server", brokers,
      "--topic", topic,
      "--messages", String(messages),
      "--group", `${prefix}perf-consumer`,
      "--timeout", "60000",
    ];
    if (transactional) {
      // read_committed, as the exactly-once pipelines read.
      const { writeFileSync, mkdtempSync } = await import("node:fs");
      const os = await import("node:os");
      const dir = mkdtempSync(path.join(os.tmpdir(), "flowc-perf-"));
      const file = path.join(dir, "consumer.properties");
      writeFileSync(file, "isolation.level=read_committed\n");
      consumerArgs.push("--consumer.config", file);
    }
    const consumer = parseConsumerPerformance(await runToolCaptured("org.apache.kafka.tools.ConsumerPerformance", consumerArgs, { log }));
    return { messages, recordSize, transactional, producer, consumer };
  } finally {
    await deleteByPrefix(brokers, prefix).catch((e) => log(`cleanup of ${prefix}*: ${e.message}`));
  }
}
