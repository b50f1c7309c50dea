// The photos pipeline written by hand with kafkajs 2.2.4, no flowc: the baseline flowc's
// generated workers are measured against (issue 7 asks for at least 0.95x of it).
//
//   hop 1  group PREFIXcopy:          PREFIXphotos -> PREFIXlane-{4k,1080p,gif}   (value bytes copied as is)
//   hop 2  group PREFIXrender-<lane>: PREFIXlane-<lane> -> PREFIXrenditions         (JSON.parse, render, JSON.stringify)
//
// Each hop is a consumer group using eachBatch with several partitions in flight; a batch's
// outputs go out in few large produce requests (sendBatch, acks=all, no compression).
//
// - at-least-once: one plain producer shared by all; a batch's offset is resolved only after
//   its outputs are acknowledged, and resolved offsets are committed every `commitIntervalMs`
//   (kafkajs' autoCommit would commit after every batch: one OffsetCommit round trip each).
// - exactly-once: kafkajs' documented pattern for consume-transform-produce. One transactional
//   producer per input partition (transactional.id = PREFIXtx-<topic>-<partition>, so a zombie
//   of that partition is fenced, since kafkajs cannot send the group metadata of KIP-447); per
//   batch: begin, sendBatch, sendOffsets (next offset, the hop's group), commit. Consumers
//   read_committed. A failed transaction is aborted and the batch is fetched again.
//
// The pipeline runs in a child process (this file with --worker), so that the verifier in the
// parent does not share its event loop and its peak RSS can be read on its own.
//
//   import { runKafkajsPhotos } from "./bench/baselines/kafkajs-photos.mjs";
//   await runKafkajsPhotos({ brokers: "127.0.0.1:9092", messages: 100000, mode: "exactly-once" });

import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  LANES,
  createPhotoTopics,
  deleteByPrefix,
  loadKafkajs,
  cpuSeconds,
  peakRss,
  photoTopics,
  photosResult,
  producePhotos,
  render,
  startVerifier,
  uniquePrefix,
} from "./photos-common.mjs";
import { watchChild } from "./harness.mjs";

const THIS_FILE = fileURLToPath(import.meta.url);

/** Tuning of the hand-written program (see docs/performance.md, "Baselines"). */
export const DEFAULT_TUNING = {
  /** eachBatch calls in flight per consumer (kafkajs partitionsConsumedConcurrently). */
  partitionsConsumedConcurrently: 10,
  /** Consumer instances per group in the process (each has its own fetch loop). */
  copyConsumers: 1,
  renderConsumersPerLane: 1,
  /**
   * Fetch sizes: bytes per partition and per fetch response. Exactly-once uses 1 MiB (the
   * kafkajs default): one transaction per batch, so bigger batches mean fewer transactions.
   */
  maxBytesPerPartition: 256 * 1024,
  maxBytes: 8 * 1024 * 1024,
  /**
   * Messages per topic in one produce call: kafkajs groups a send's messages per partition
   * with an array spread per message (quadratic), so large batches are sent in chunks.
   */
  maxSendMessages: 1000,
  /** at-least-once: commit resolved offsets at most this often (0 = after every batch). */
  commitIntervalMs: 1000,
  /** Producer retry schedule start (kafkajs default 300 ms; CONCURRENT_TRANSACTIONS wants short). */
  initialRetryTime: 20,
};

/** DEFAULT_TUNING with the exactly-once changes. */
export function defaultTuning(mode) {
  return mode === "exactly-once" ? { ...DEFAULT_TUNING, maxBytesPerPartition: 1024 * 1024, maxSendMessages: 2000 } : { ...DEFAULT_TUNING };
}

// ---------------------------------------------------------------------------------------------
// the pipeline (runs in the worker process)

function chunks(messages, size) {
  if (messages.length <= size) return [messages];
  const out = [];
  for (let i = 0; i < messages.length; i += size) out.push(messages.slice(i, i + size));
  return out;
}

/** kafkajs log lines at ERROR that are retried and succeed; counted, not printed. */
const EXPECTED_ERRORS = /CONCURRENT_TRANSACTIONS|another concurrent operation on the same transaction|coordinator is loading|coordinator is not available|not the correct coordinator|REBALANCE_IN_PROGRESS|rebalancing/i;

/**
 * Starts the pipeline in this process. Returns { ready, stop(), stats() }.
 * @param {{ brokers: string, prefix: string, mode: "at-least-once" | "exactly-once", tuning?: Partial<typeof DEFAULT_TUNING> }} opts
 */
export async function startKafkajsPipeline({ brokers, prefix, mode, tuning = {}, onFatal = (e) => { throw e; } }) {
  const { Kafka, logLevel } = loadKafkajs();
  const t = { ...defaultTuning(mode), ...tuning };
  const eos = mode === "exactly-once";
  if (!eos && mode !== "at-least-once") throw new Error(`mode must be at-least-once or exactly-once, got ${mode}`);
  const topics = photoTopics(prefix);
  const expectedErrors = new Map();
  const kafka = new Kafka({
    clientId: `${prefix}kafkajs`,
    brokers: [brokers],
    logLevel: logLevel.ERROR,
    logCreator: () => ({ namespace, level, log }) => {
      const text = `${log.message ?? ""} ${log.error ?? ""}`;
      const known = EXPECTED_ERRORS.exec(text);
      if (known) expectedErrors.set(known[0], (expectedErrors.get(known[0]) ?? 0) + 1);
      else process.stderr.write(`kafkajs ${namespace}: ${text.trim()}\n`);
    },
  });
  const stats = { batches: 0, inputs: 0, outputs: 0, transactions: 0, aborts: 0, joins: 0, crashes: 0 };
  const producerRetry = { initialRetryTime: t.initialRetryTime, maxRetryTime: 2000, retries: 30 };

  // at-least-once: one producer for everything.
  let shared = null;
  if (!eos) {
    shared = kafka.producer({ allowAutoTopicCreation: false, retry: producerRetry });
    await shared.connect();
  }
  // exactly-once: one transactional producer per input topic-partition, made on first use.
  const txProducers = new Map();
  const txProducer = (topic, partition) => {
    const id = `${prefix}tx-${topic}-${partition}`;
    let p = txProducers.get(id);
    if (!p) {
      const producer = kafka.producer({
        transactionalId: id,
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        retry: producerRetry,
      });
      p = producer.connect().then(() => producer);
      txProducers.set(id, p);
    }
    return p;
  };

  /** Sends topicMessages (in chunks), then makes the input batch's offsets durable. */
  const output = async (groupId, batch, topicMessages, resolveOffset, commitOffsetsIfNecessary) => {
    const sends = [];
    for (const tm of topicMessages) for (const c of chunks(tm.messages, t.maxSendMessages)) sends.push({ topic: tm.topic, messages: c });
    const count = topicMessages.reduce((n, tm) => n + tm.messages.length, 0);
    if (eos) {
      const producer = await txProducer(batch.topic, batch.partition);
      const tx = await producer.transaction();
      try {
        // maxInFlightRequests 1: the chunks go one after another anyway.
        for (const s of sends) await tx.send({ ...s, acks: -1 });
        await tx.sendOffsets({
          consumerGroupId: groupId,
          topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: String(Number(batch.lastOffset()) + 1) }] }],
        });
        await tx.commit();
        stats.transactions++;
      } catch (e) {
        stats.aborts++;
        await tx.abort().catch(() => {});
        throw e; // not resolved: kafkajs fetches the batch again
      }
      resolveOffset(batch.lastOffset());
    } else {
      if (sends.length === 1) await shared.send({ ...sends[0], acks: -1 });
      else if (sends.length <= topicMessages.length) await shared.sendBatch({ topicMessages: sends, acks: -1 });
      else await Promise.all(sends.map((s) => shared.send({ ...s, acks: -1 })));
      resolveOffset(batch.lastOffset());
      await commitOffsetsIfNecessary();
    }
    stats.batches++;
    stats.inputs += batch.messages.length;
    stats.outputs += count;
  };

  const consumers = [];
  const joined = [];
  const consumer = async (groupId, topic, eachBatch) => {
    const c = kafka.consumer({
      groupId,
      readUncommitted: !eos,
      maxBytesPerPartition: t.maxBytesPerPartition,
      maxBytes: t.maxBytes,
      maxWaitTimeInMs: 500,
      sessionTimeout: 30000,
      heartbeatInterval: 3000,
    });
    joined.push(new Promise((resolve) => c.on(c.events.GROUP_JOIN, resolve)));
    c.on(c.events.GROUP_JOIN, () => stats.joins++);
    c.on(c.events.CRASH, (e) => {
      stats.crashes++;
      process.stderr.write(`kafkajs ${groupId}: consumer crashed: ${e?.payload?.error?.message}; restart: ${e?.payload?.restart}\n`);
      // kafkajs restarts the consumer after retriable errors; otherwise the program is done for.
      if (e?.payload?.restart === false) onFatal(e.payload.error);
    });
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    await c.run({
      autoCommit: !eos && t.commitIntervalMs === 0,
      autoCommitInterval: t.commitIntervalMs || null,
      eachBatchAutoResolve: true,
      partitionsConsumedConcurrently: t.partitionsConsumedConcurrently,
      eachBatch: (payload) => eachBatch(groupId, payload),
    });
    consumers.push(c);
  };

  // hop 1: copy to the 3 lanes; the key (photo id) shards, kafkajs' default partitioner is
  // murmur2(key) % 10 like Kafka's. The value bytes are passed on unparsed.
  const laneTopics = LANES.map((l) => topics.lanes[l.format]);
  const copy = (groupId, { batch, resolveOffset, commitOffsetsIfNecessary }) => {
    const msgs = batch.messages;
    if (msgs.length === 0) return;
    const out = new Array(msgs.length);
    for (let i = 0; i < msgs.length; i++) out[i] = { key: msgs[i].key, value: msgs[i].value };
    return output(groupId, batch, laneTopics.map((topic) => ({ topic, messages: out })), resolveOffset, commitOffsetsIfNecessary);
  };
  // hop 2: render per lane, merged into renditions keyed by photo id.
  const renderLane = (format) => (groupId, { batch, resolveOffset, commitOffsetsIfNecessary }) => {
    const msgs = batch.messages;
    if (msgs.length === 0) return;
    const out = new Array(msgs.length);
    for (let i = 0; i < msgs.length; i++) {
      const r = render(JSON.parse(msgs[i].value), format);
      out[i] = { key: msgs[i].key, value: JSON.stringify(r) };
    }
    return output(groupId, batch, [{ topic: topics.renditions, messages: out }], resolveOffset, commitOffsetsIfNecessary);
  };

  const starts = [];
  for (let i = 0; i < t.copyConsumers; i++) starts.push(consumer(`${prefix}copy`, topics.photos, copy));
  for (const { format } of LANES) {
    for (let i = 0; i < t.renderConsumersPerLane; i++) starts.push(consumer(`${prefix}render-${format}`, topics.lanes[format], renderLane(format)));
  }
  await Promise.all(starts);

  return {
    ready: Promise.all(joined),
    stats: () => ({ ...stats, expectedErrors: Object.fromEntries(expectedErrors) }),
    async stop() {
      await Promise.all(consumers.map((c) => c.disconnect().catch(() => {})));
      await Promise.all([shared?.disconnect(), ...[...txProducers.values()].map((p) => p.then((x) => x.disconnect()))].map((p) => p?.catch(() => {})));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// the driver

/**
 * Starts the hand-written pipeline in a child process (this file with --worker) and returns at
 * once; it reads whatever arrives in PREFIXphotos (a preloaded backlog, or a live feed: see
 * bench/suites/kafka-latency.mjs). The topics must exist.
 *
 * Returns { child, ready (resolves with the time, Date.now(), when all its consumers have joined),
 * readyAt() (0 until then), failed (rejects if the process exits before stop()), stop() ->
 * { peakRssBytes, cpu, stats } (peak RSS and CPU seconds read just before stopping it) }.
 */
export function launchKafkajsPipeline({ brokers, prefix, mode, tuning = defaultTuning(mode) }) {
  const child = fork(THIS_FILE, ["--worker", JSON.stringify({ brokers, prefix, mode, tuning })], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: "1" },
  });
  const { exited, failed, stopping } = watchChild(child, "kafkajs pipeline process");
  const workerStats = new Promise((resolve) => child.on("message", (m) => m?.type === "stats" && resolve(m.stats)));
  let readyAt = 0;
  const ready = new Promise((resolve) => child.on("message", (m) => m?.type === "ready" && resolve((readyAt = m.at))));
  return {
    child,
    ready,
    readyAt: () => readyAt,
    failed,
    async stop() {
      const peakRssBytes = await peakRss(child.pid);
      const cpu = await cpuSeconds(child.pid);
      stopping();
      child.send({ type: "stop" });
      const stats = await Promise.race([workerStats, new Promise((r) => setTimeout(() => r(undefined), 30000))]);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 30000))]);
      return { peakRssBytes, cpu, stats };
    },
  };
}

/**
 * Runs the photos pipeline written by hand with kafkajs over `messages` input photos.
 * Creates PREFIX* topics, loads the input, starts the pipeline in a child process, waits for
 * all 3 x messages renditions (each checked, none missing; none duplicated in exactly-once),
 * stops it and deletes PREFIX* topics and groups.
 * @returns {Promise<{ messages, seconds, inputPerSecond, outputs, peakRssBytes?, wallSeconds, startupSeconds, duplicates, ... }>}
 */
export async function runKafkajsPhotos({ brokers, messages, mode, prefix, tuning = {}, log = () => {}, keepTopics = false }) {
  prefix ??= uniquePrefix(mode === "exactly-once" ? "kjs-eos" : "kjs-alo");
  const t = { ...defaultTuning(mode), ...tuning };
  let child = null;
  let keepForInspection = false;
  try {
    await createPhotoTopics(brokers, prefix);
    const input = await producePhotos({ brokers, prefix, messages });
    log(`kafkajs ${mode}: loaded ${messages} photos in ${input.seconds.toFixed(1)}s (${Math.round(input.perSecond)}/s)`);
    const verifier = startVerifier({ brokers, prefix, messages, readCommitted: mode === "exactly-once", log });
    await verifier.ready;

    const startedAt = Date.now();
    const pipeline = launchKafkajsPipeline({ brokers, prefix, mode, tuning: t });
    child = pipeline.child;
    const { failed } = pipeline;

    const progress = setInterval(() => {
      const p = verifier.progress();
      log(`kafkajs ${mode}: ${p.distinct} of ${messages * 3} renditions`);
    }, 5000);
    let verified;
    try {
      verified = await Promise.race([verifier.done, failed]);
    } finally {
      clearInterval(progress);
    }
    const { peakRssBytes, cpu, stats } = await pipeline.stop();
    if (verified.duplicates && mode === "exactly-once") {
      keepForInspection = true;
      throw new Error(`kafkajs exactly-once: ${verified.duplicates} duplicate renditions (topics kept for inspection: ${prefix}*); e.g. ${verified.duplicateSamples.join("; ")}`);
    }
    const readyAt = pipeline.readyAt();
    if (!readyAt) throw new Error("kafkajs pipeline never reported ready");
    const result = photosResult({ messages, mode, verified, startedAt, readyAt, input, peakRssBytes, cpu, extra: { implementation: "kafkajs", worker: stats, tuning: t } });
    log(`kafkajs ${mode}: ${messages} photos in ${result.seconds.toFixed(2)}s = ${Math.round(result.inputPerSecond)} photos/s (${result.outputs} renditions, ${result.duplicates} duplicates, startup ${result.startupSeconds.toFixed(1)}s, CPU ${result.cpuSeconds?.toFixed(1)}s, peak RSS ${Math.round((result.peakRssBytes ?? 0) / 2 ** 20)} MiB)`);
    return result;
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    if (!keepTopics && !keepForInspection) await deleteByPrefix(brokers, prefix).catch((e) => log(`cleanup of ${prefix}*: ${e.message}`));
  }
}

// ---------------------------------------------------------------------------------------------
// worker process entry

if (process.argv[2] === "--worker" && process.argv[1] === THIS_FILE) {
  const opts = JSON.parse(process.argv[3]);
  const pipeline = await startKafkajsPipeline({
    ...opts,
    onFatal: (e) => {
      process.stderr.write(`kafkajs pipeline: fatal: ${e?.message ?? e}\n`);
      process.exit(1);
    },
  });
  pipeline.ready.then(() => process.send({ type: "ready", at: Date.now() }));
  process.on("message", async (m) => {
    if (m?.type !== "stop") return;
    await pipeline.stop();
    const stats = { ...pipeline.stats(), maxRssBytes: process.resourceUsage().maxRSS * 1024 };
    process.send({ type: "stats", stats }, () => process.exit(0));
  });
  process.on("SIGTERM", async () => {
    await pipeline.stop();
    process.exit(0);
  });
}
