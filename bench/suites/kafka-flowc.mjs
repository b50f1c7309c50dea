// Bench suite: the photos pipeline (examples/photos.flow) through flowc's generated workers on
// the real Kafka broker, next to the same pipeline hand-written on kafkajs
// (bench/baselines/kafkajs-photos.mjs), measured in the same run with the same N, in
// at-least-once and exactly-once (docs/performance-kafka.md, "flowc on Kafka").
//
//   npm run bench -- kafka-flowc
//   FLOWC_BENCH_MESSAGES=100000 node bench/run.mjs kafka-flowc
//
// How the flowc figure is measured: a child process (this file with --worker, so its peak
// RSS is its own) loads the generated workers and calls startPipeline with the Kafka
// transport, a fresh topic prefix, the N photos as the source feed and a sink callback that
// counts renditions by photoId/format; `until: "drained"`. photos/s = N / (first input
// produced -> last rendition received): producing the input runs concurrently with the
// pipeline (the runtime feeds the source under back pressure), group joins are included.
// The kafkajs baseline's figure is N / (pipeline ready -> last rendition) over a backlog
// loaded beforehand; its end-to-end figure (load + launch + drain) is given in the note.
//
// Skips with one row when Kafka is unavailable.

import { fork, execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const GROUP = "kafka-flowc";
const THIS_FILE = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(THIS_FILE), "..", "..");
const GEN_DIR = path.join(ROOT, "examples", "gen", "bench-photos");
const mib = (b) => (b === undefined ? undefined : b / 2 ** 20);

// ---------------------------------------------------------------------------------------------
// worker process: one flowc run

async function workerMain({ brokers, prefix, mode, messages }) {
  const common = await import(pathToFileURL(path.join(ROOT, "bench", "baselines", "photos-common.mjs")).href);
  const { startPipeline, createKafkaTransport } = await import(pathToFileURL(path.join(ROOT, "dist", "runtime", "index.js")).href);
  // register(), not tsImport(): tsImport's namespaced loader would give the generated workers
  // a second copy of flowc/runtime (and of its kafkajs patches).
  const { register } = await import("tsx/esm/api");
  register();
  const entry = await import(pathToFileURL(path.join(GEN_DIR, "index.ts")).href);
  const workers = await entry.load();
  const topology = entry.topology;

  const formats = common.FORMATS;
  const formatIndex = new Map(formats.map((f, i) => [f, i]));
  const seen = formats.map(() => new Uint8Array(messages));
  let outputs = 0;
  let distinct = 0;
  let duplicates = 0;
  let wrong = 0;
  let firstWrong = "";
  let firstOutAt = 0;
  let lastOutAt = 0;
  let startedAt = 0;

  function* records() {
    startedAt ||= Date.now();
    for (let i = 0; i < messages; i++) {
      const p = common.photo(i);
      yield { key: p.id, value: p, id: p.id };
    }
  }
  const onRecord = (topic, record) => {
    const now = Date.now();
    firstOutAt ||= now;
    outputs++;
    let r;
    try {
      r = JSON.parse(record.value);
    } catch {
      r = {};
    }
    const i = common.photoIndex(r.photoId);
    const f = formatIndex.get(r.format);
    if (i < 0 || i >= messages || f === undefined) {
      if (wrong++ === 0) firstWrong = `unknown rendition ${String(record.value).slice(0, 120)}`;
      return;
    }
    // The rendition math is examples/handlers/photos.ts's (no upscaling, url suffix), not
    // photos-common's render(): only the identity and the shape of a rendition are checked.
    if (r.photoId !== `photo-${i}` || !Number.isInteger(r.width) || !Number.isInteger(r.height) || typeof r.url !== "string") {
      if (wrong++ === 0) firstWrong = `malformed rendition ${String(record.value).slice(0, 160)}`;
    }
    if (seen[f][i]) duplicates++;
    else {
      seen[f][i] = 1;
      distinct++;
      lastOutAt = now;
    }
  };

  const transport = createKafkaTransport({ brokers, clientId: `${prefix}flowc`, topicPrefix: prefix, groupPrefix: prefix, transactional: mode === "exactly-once" });
  const profile = process.env.FLOWC_BENCH_PROFILE === "1" ? instrument(transport) : undefined;
  const launchedAt = Date.now();
  const run = startPipeline({
    workers,
    topology,
    transport,
    delivery: mode,
    sources: [{ topic: "photos", records: records() }],
    sinks: { onRecord },
    until: "drained",
    logLevel: "error",
  });
  let summary;
  let error;
  try {
    summary = await run.done;
  } catch (e) {
    error = String(e?.message ?? e).split("\n")[0];
  }
  const drainedAt = Date.now();
  const usage = process.resourceUsage();
  await transport.close?.().catch?.(() => {});
  return {
    mode,
    messages,
    launchedAt,
    startedAt,
    firstOutAt,
    lastOutAt,
    drainedAt,
    seconds: (lastOutAt - startedAt) / 1000,
    inputPerSecond: messages / ((lastOutAt - startedAt) / 1000),
    drainSeconds: (drainedAt - startedAt) / 1000,
    outputs,
    distinct,
    duplicates,
    wrong,
    firstWrong,
    error,
    maxRssBytes: usage.maxRSS * 1024,
    cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
    stages: summary?.stages?.map((s) => ({ ...s })),
    profile: profile?.report(),
  };
}

/**
 * FLOWC_BENCH_PROFILE=1: wraps the transport's producers and consumers (no runtime change) and
 * reports per client kind: calls, records per call, and the summed time of the awaited calls.
 */
function instrument(transport) {
  const stats = new Map();
  const stat = (name) => {
    let s = stats.get(name);
    if (!s) stats.set(name, (s = { calls: 0, records: 0, ms: 0, maxRecords: 0 }));
    return s;
  };
  const timed = (name, fn, count) =>
    async function (...args) {
      const s = stat(name);
      const n = count ? count(args) : 0;
      s.calls++;
      s.records += n;
      s.maxRecords = Math.max(s.maxRecords, n);
      const t0 = performance.now();
      try {
        const out = await fn.apply(this, args);
        if (name.endsWith("poll")) {
          const got = out.reduce((a, b) => a + b.records.length, 0);
          s.records += got;
          s.maxRecords = Math.max(s.maxRecords, got);
          if (got === 0) stat(`${name} (empty)`).calls++;
        }
        return out;
      } finally {
        s.ms += performance.now() - t0;
      }
    };
  const producer = transport.producer.bind(transport);
  transport.producer = async (options) => {
    const p = await producer(options);
    const kind = options?.transactionalId ? "txn-producer" : "producer";
    const send = p.send.bind(p);
    p.send = timed(`${kind}.send`, send, ([records]) => records.length);
    if (options?.transactionalId) {
      const transaction = p.transaction.bind(p);
      p.transaction = async () => {
        const t0 = performance.now();
        const txn = await transaction();
        stat("txn.begin").calls++;
        stat("txn.begin").ms += performance.now() - t0;
        txn.send = timed("txn.send", txn.send.bind(txn), ([records]) => records.length);
        txn.sendOffsets = timed("txn.sendOffsets", txn.sendOffsets.bind(txn));
        txn.commit = timed("txn.commit", txn.commit.bind(txn));
        return txn;
      };
    }
    return p;
  };
  const consumer = transport.consumer.bind(transport);
  transport.consumer = async (options) => {
    const c = await consumer(options);
    const label = options.groupId.replace(/^.*renderPhotos/, "renderPhotos");
    c.poll = timed(`consumer ${label}.poll`, c.poll.bind(c));
    c.commit = timed(`consumer ${label}.commit`, c.commit.bind(c));
    return c;
  };
  return { report: () => Object.fromEntries([...stats].map(([k, v]) => [k, { ...v, ms: Math.round(v.ms), perCall: v.calls ? +(v.records / v.calls).toFixed(1) : 0 }])) };
}

if (process.argv[2] === "--worker" && process.argv[1] === THIS_FILE) {
  const opts = JSON.parse(process.argv[3]);
  workerMain(opts).then(
    (result) => process.send({ type: "result", result }, () => process.exit(0)),
    (e) => process.send({ type: "result", result: { error: String(e?.stack ?? e) } }, () => process.exit(1)),
  );
}

// ---------------------------------------------------------------------------------------------
// driver

/** One flowc run in a child process; topics cleaned up by prefix. */
export async function runFlowcPhotos({ brokers, messages, mode, log = () => {}, timeoutMs = 600000 }) {
  const common = await import(pathToFileURL(path.join(ROOT, "bench", "baselines", "photos-common.mjs")).href);
  const prefix = common.uniquePrefix(mode === "exactly-once" ? "flowc-eos" : "flowc-alo");
  const child = fork(THIS_FILE, ["--worker", JSON.stringify({ brokers, prefix, mode, messages })], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: "1" },
  });
  try {
    const result = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`flowc ${mode}: no result after ${timeoutMs / 1000}s`)), timeoutMs);
      child.on("message", (m) => m?.type === "result" && (clearTimeout(timer), resolve(m.result)));
      child.once("exit", (code, signal) => (clearTimeout(timer), reject(new Error(`flowc pipeline process exited (code ${code}, signal ${signal})`))));
    });
    if (result.inputPerSecond) log(`flowc ${mode}: ${messages} photos in ${result.seconds.toFixed(2)}s = ${Math.round(result.inputPerSecond)} photos/s (${result.outputs} renditions, ${result.distinct} distinct, ${result.duplicates} duplicates, CPU ${result.cpuSeconds?.toFixed(1)}s, peak RSS ${Math.round(mib(result.maxRssBytes))} MiB)`);
    return result;
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await common.deleteByPrefix(brokers, prefix).catch((e) => log(`cleanup of ${prefix}*: ${e.message}`));
  }
}

/** Why a flowc result is not a figure, or null when it verified. */
function verification(r, messages, mode) {
  if (!r) return "no result";
  if (r.error && !r.distinct) return `failed: ${r.error}`;
  const expected = 3 * messages;
  const problems = [];
  if (r.error) problems.push(`run failed: ${r.error}`);
  if (r.distinct !== expected) problems.push(`${r.distinct} of ${expected} renditions`);
  if (r.duplicates) problems.push(`${r.duplicates} duplicates by photoId/format`);
  if (r.wrong) problems.push(`${r.wrong} wrong renditions, first: ${r.firstWrong}`);
  return problems.length ? `verification failed (${mode}): ${problems.join("; ")}` : null;
}

export default async function kafkaFlowc(ctx) {
  const root = ctx?.root ?? ROOT;
  const log = ctx?.log ?? ((l) => process.stderr.write(`  ${l}\n`));
  const messages = Number(process.env.FLOWC_BENCH_MESSAGES ?? 20000);
  const skip = (note) => [{ group: GROUP, name: "photos flowc on Kafka", value: NaN, unit: "", note }];

  const broker = await import(pathToFileURL(path.join(root, "scripts", "kafka-broker.mjs")).href);
  const avail = broker.kafkaAvailable();
  if (!avail.ok) return skip(`skipped: ${avail.reason}`);
  let kafka;
  try {
    kafka = await broker.ensureKafka({ log });
  } catch (e) {
    return skip(`skipped: Kafka did not start (${String(e?.message ?? e).split("\n")[0]})`);
  }
  const brokers = kafka.brokers;
  const { runKafkajsPhotos } = await import(pathToFileURL(path.join(root, "bench", "baselines", "kafkajs-photos.mjs")).href);

  // Build once, outside the timed runs.
  execFileSync(process.execPath, [path.join(root, "bin", "flowc.js"), "build", path.join(root, "examples", "photos.flow"), "--out", GEN_DIR], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });

  const rows = [];
  log(`${messages} photos per run, on ${brokers}`);
  try {
    for (const mode of ["at-least-once", "exactly-once"]) {
      const tag = mode === "exactly-once" ? "EOS" : "ALOS";
      let kjs;
      let kjsFailure = "";
      try {
        kjs = await runKafkajsPhotos({ brokers, messages, mode, log });
      } catch (e) {
        kjsFailure = String(e?.message ?? e).split("\n")[0];
        log(`kafkajs ${mode} failed: ${e?.stack ?? e}`);
      }
      let fl;
      try {
        fl = await runFlowcPhotos({ brokers, messages, mode, log });
      } catch (e) {
        fl = { error: String(e?.message ?? e).split("\n")[0] };
        log(`flowc ${mode} failed: ${e?.stack ?? e}`);
      }
      const bad = verification(fl, messages, mode);
      const kjsE2e = kjs ? messages / (kjs.inputLoad.seconds + kjs.wallSeconds) : NaN;
      const baseline = { name: `kafkajs ${tag}`, value: kjs ? kjs.inputPerSecond : NaN };
      rows.push({
        group: GROUP,
        name: `photos flowc generated workers, ${tag}`,
        value: bad ? NaN : fl.inputPerSecond,
        unit: "photos/s",
        better: "higher",
        baseline,
        note: bad
          ? bad
          : `3x${messages} renditions, no duplicates; flowc: first input -> last rendition (feed concurrent, joins incl.), CPU ${fl.cpuSeconds.toFixed(1)} s; ` +
            (kjs ? `kafkajs: ready -> last over a preloaded backlog; kafkajs load+launch+drain ${Math.round(kjsE2e)}/s (ratio ${(fl.inputPerSecond / kjsE2e).toFixed(2)}x), CPU ${kjs.cpuSeconds?.toFixed(1)} s` : `kafkajs failed: ${kjsFailure}`),
      });
      rows.push({
        group: GROUP,
        name: `photos flowc generated workers, ${tag}, peak RSS`,
        value: fl?.maxRssBytes ? mib(fl.maxRssBytes) : NaN,
        unit: "MiB",
        better: "lower",
        baseline: kjs?.peakRssBytes ? { name: `kafkajs ${tag}`, value: mib(kjs.peakRssBytes) } : undefined,
        note: "one process runs all 4 workers, the source feed and the sink (kafkajs: the pipeline process only)",
      });
    }
  } finally {
    await kafka.stop();
  }
  return rows;
}
