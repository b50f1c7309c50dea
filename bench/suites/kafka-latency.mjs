// Bench suite: latency and memory of the photos pipeline (examples/photos.flow) on Kafka, flowc's
// generated workers next to the pipeline hand-written on kafkajs, measured in the same run
// (docs/performance.md, "Latency and memory on Kafka").
//
//   npm run bench -- kafka-latency
//   FLOWC_BENCH_RATE=1000 FLOWC_BENCH_SECONDS=30 node bench/run.mjs kafka-latency
//
// 1. Latency at a fixed rate. The suite feeds FLOWC_BENCH_RATE photos/s (default 500) into
//    PREFIXphotos for FLOWC_BENCH_WARMUP + FLOWC_BENCH_SECONDS seconds (default 10 + 20) and times
//    each rendition from its photo's produce call to its arrival at a consumer of
//    PREFIXrenditions; feeder and consumer run in this process, so one clock serves both
//    (bench/baselines/photos-latency.mjs). Once the pipeline's consumer groups are stable, a
//    probe of 100 photos (every partition) is fed at once and the timed feed starts when all
//    their renditions are in. p50 and p99 are over the renditions of the photos fed after the
//    warm-up. flowc: the generated entry run as a program
//    (`node --import tsx examples/gen/bench-photos/index.ts`, all four workers in one process,
//    connection from FLOWC_BROKERS / FLOWC_TOPIC_PREFIX / FLOWC_GROUP_PREFIX /
//    FLOWC_TRANSACTIONAL). Baseline: bench/baselines/kafkajs-photos.mjs in its own process,
//    fed live the same way. Both modes (FLOWC_BENCH_MODES).
// 2. Backlog. The same flowc run, but before the workers start, FLOWC_BENCH_BACKLOG retry
//    records (default 100,000) wait in the render workers' first retry topics, a third per
//    lane, made with the runtime's retryRecord() (runtime/dead-letters.ts): attempt 2, due now,
//    valid photos numbered from BACKLOG_BASE, so every one succeeds and gives one rendition.
//    Reported: p50 / p99 of the renditions of the photos fed from the probe until the last
//    backlog rendition arrived, against the no-backlog run's over the same stretch of its feed
//    (both cold-started alike; aim: p99 at most 2x); the same after the warm-up; and the drain
//    time (workers' groups ready -> last backlog rendition).
// 3. Peak RSS per worker process. The four workers as four processes (the entry with
//    `--only <worker>` each), FLOWC_BENCH_RSS_MESSAGES photos (default 20,000) preloaded; once
//    all renditions are in, each process's VmHWM. Baseline: the kafkajs program over the same
//    preloaded N (runKafkajsPhotos), one process for both hops.
//
// Every rendition is checked against the handler's own render (examples/handlers/photos.ts for
// flowc, photos-common's render for kafkajs): none missing, none wrong, duplicates counted (an
// exactly-once run with duplicates gives no figure). Topics and groups are deleted by prefix.
// FLOWC_BENCH_LAYOUT=per-worker runs flowc's latency runs as one process per worker too.
// FLOWC_BENCH_DEBUG=1 prints the flowc processes' output. Skips with one row when Kafka is
// unavailable.

import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  createPhotoTopics,
  cpuSeconds,
  deleteByPrefix,
  loadKafkajs,
  peakRss,
  photo,
  producePhotos,
  render,
  uniquePrefix,
} from "../baselines/photos-common.mjs";
import { launchKafkajsPipeline, runKafkajsPhotos } from "../baselines/kafkajs-photos.mjs";
import { watchChild, withKafka } from "../baselines/harness.mjs";
import { BACKLOG_BASE, feedPhotos, latencyStats, startRenditionCollector, waitForGroups } from "../baselines/photos-latency.mjs";

const GROUP = "kafka-latency";
/** Photos fed at once before the timed feed; it starts when their renditions are in. */
const PROBE_PHOTOS = 100;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const GEN_DIR = path.join(ROOT, "examples", "gen", "bench-photos");
const mib = (b) => (b === undefined ? NaN : b / 2 ** 20);
const ms = (x) => (Number.isFinite(x) ? `${x < 10 ? x.toFixed(1) : Math.round(x)} ms` : "n/a");
const sleep = (t) => new Promise((r) => setTimeout(r, t));
const num = (name, fallback) => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a number >= 0, got ${process.env[name]}`);
  return v;
};

// ---------------------------------------------------------------------------------------------
// flowc: topics, retry backlog, worker processes

/** The runtime (dist/) and the build's topology. */
async function loadFlowc(root) {
  const runtime = await import(pathToFileURL(path.join(root, "dist", "runtime", "index.js")).href);
  const { retryRecord } = await import(pathToFileURL(path.join(root, "dist", "runtime", "dead-letters.js")).href);
  const topology = JSON.parse(readFileSync(path.join(GEN_DIR, "topology.json"), "utf8"));
  // The handler itself checks flowc's renditions (tsImport: scoped to this module).
  const { tsImport } = await import("tsx/esm/api");
  const handlers = await tsImport(pathToFileURL(path.join(root, "examples", "handlers", "photos.ts")).href, import.meta.url);
  const expect = (p, format) => handlers.render(p, { lane: format });
  return {
    runtime,
    retryRecord,
    topology,
    expect,
    renderWorkers: topology.workers.filter((w) => w.handler),
  };
}

/**
 * Creates the build's topics under the prefix with the runtime's own plan (what the workers
 * would create), then, if backlog > 0, writes that many retry records into the render workers'
 * first retry tier: record k is photo BACKLOG_BASE + floor(k / lanes) in lane k % lanes,
 * attempt 2, due now, in the partition its key maps to (where the worker puts its retries).
 */
async function prepareFlowcTopics({ flowc, brokers, prefix, backlog = 0, log }) {
  const { runtime, retryRecord, topology, renderWorkers } = flowc;
  const transport = runtime.createKafkaTransport({
    brokers,
    clientId: `${prefix}setup`,
    topicPrefix: prefix,
    groupPrefix: prefix,
    transactional: false,
    logLevel: "nothing",
  });
  try {
    await transport.createTopics(runtime.topicSpecs([], topology));
    if (backlog === 0) return { records: 0, photos: 0 };
    const { Partitioners } = loadKafkajs();
    const partitioner = Partitioners.DefaultPartitioner();
    const partitions = (topic) =>
      Array.from({ length: topology.topics.find((t) => t.name === topic).partitions }, (_, partitionId) => ({ partitionId, leader: 0 }));
    const producer = await transport.producer();
    const started = performance.now();
    const lanes = renderWorkers.length;
    const chunk = 5000;
    for (let from = 0; from < backlog; from += chunk) {
      const records = [];
      for (let k = from; k < Math.min(backlog, from + chunk); k++) {
        const w = renderWorkers[k % lanes];
        const p = photo(BACKLOG_BASE + Math.floor(k / lanes));
        const partition = partitioner({
          topic: w.input,
          partitionMetadata: partitions(w.input),
          message: { key: p.id },
        });
        const id = `bench-backlog/${w.lane}/${p.id}`;
        const original = {
          topic: w.input,
          partition,
          offset: k,
          key: p.id,
          value: JSON.stringify(p),
          headers: { "flowc-id": id },
          timestamp: Date.now(),
        };
        records.push(
          retryRecord({
            topic: w.retryTopics[0],
            id,
            partition,
            record: original,
            nextAttempt: 2,
            dueAt: Date.now(),
            error: "bench: a backlog of retries",
          }),
        );
      }
      await producer.send(records);
    }
    await producer.close?.();
    const seconds = (performance.now() - started) / 1000;
    log(`flowc: ${backlog} retry records written in ${seconds.toFixed(1)}s`);
    return { records: backlog, photos: Math.ceil(backlog / lanes), seconds };
  } finally {
    await transport.close?.().catch(() => {});
  }
}

/**
 * Starts the generated entry as a program (`node --import tsx index.ts [--only w]...`), the way
 * a deployment runs it, connected through the environment. Returns { pid, failed, stop() ->
 * { peakRssBytes, cpu } } (VmHWM and CPU read just before SIGTERM; SIGKILL after 30 s).
 */
function launchFlowcProcess({ root, brokers, prefix, mode, only = [], log }) {
  const args = ["--import", "tsx", path.join(GEN_DIR, "index.ts"), ...only.flatMap((o) => ["--only", o])];
  const child = spawn(process.execPath, args, {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      FLOWC_BROKERS: brokers,
      FLOWC_TOPIC_PREFIX: prefix,
      FLOWC_GROUP_PREFIX: prefix,
      FLOWC_CLIENT_ID: `${prefix}flowc-${only.join("+") || "all"}`,
      FLOWC_TRANSACTIONAL: mode === "exactly-once" ? "1" : "0",
      FLOWC_LOG_LEVEL: process.env.FLOWC_LOG_LEVEL ?? "warn",
      KAFKAJS_NO_PARTITIONER_WARNING: "1",
    },
  });
  const name = only.join("+") || "all workers";
  const tail = [];
  const keep = (chunk) => {
    for (const line of String(chunk).split("\n").filter(Boolean)) {
      tail.push(line);
      if (tail.length > 20) tail.shift();
      if (process.env.FLOWC_BENCH_DEBUG === "1") log(`[flowc ${name}] ${line}`);
    }
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const { exited, failed, stopping } = watchChild(child, `flowc process (${name})`, () => `: ${tail.slice(-3).join(" | ").slice(0, 400)}`);
  return {
    pid: child.pid,
    name,
    failed,
    async stop() {
      const peakRssBytes = await peakRss(child.pid);
      const cpu = await cpuSeconds(child.pid);
      stopping();
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const done = await Promise.race([exited, sleep(30000).then(() => undefined)]);
      if (!done) child.kill("SIGKILL");
      return { peakRssBytes, cpu, exit: done };
    },
    kill: () => child.exitCode === null && child.signalCode === null && child.kill("SIGKILL"),
  };
}

/**
 * The build's workers as one process (all four) or as one process per worker. stop() gives the
 * summed peak RSS and CPU seconds, and each process's own in `each`.
 */
function launchFlowc({ flowc, perWorker, ...opts }) {
  const procs = perWorker ? flowc.topology.workers.map((w) => launchFlowcProcess({ ...opts, only: [w.id] })) : [launchFlowcProcess(opts)];
  return {
    failed: Promise.race(procs.map((p) => p.failed)),
    async stop() {
      const each = (await Promise.all(procs.map((p) => p.stop()))).map((x, i) => ({ worker: procs[i].name, ...x }));
      const sum = (f) => each.reduce((a, x) => a + (x[f] ?? NaN), 0);
      return { peakRssBytes: sum("peakRssBytes"), cpu: sum("cpu"), each };
    },
    kill: () => procs.forEach((p) => p.kill()),
  };
}

// ---------------------------------------------------------------------------------------------
// one latency run

/**
 * One fixed-rate run of one implementation: topics (and the backlog), collector, pipeline
 * process, ready, feed, all renditions, stop. Returns the latencies and the checks.
 */
async function latencyRun({ impl, mode, brokers, root, flowc, rate, seconds, warmup, backlog = 0, perWorker = false, log }) {
  const eos = mode === "exactly-once";
  const tag = `${impl}${backlog ? "+backlog" : ""} ${mode}`;
  const prefix = uniquePrefix(`lat-${impl === "flowc" ? "fl" : "kjs"}-${eos ? "eos" : "alo"}${backlog ? "-bl" : ""}`);
  const warmCount = PROBE_PHOTOS + Math.round(rate * warmup);
  const count = warmCount + Math.round(rate * seconds);
  const sentAt = new Float64Array(count);
  let collector;
  let proc;
  try {
    const prepared =
      impl === "flowc"
        ? await prepareFlowcTopics({ flowc, brokers, prefix, backlog, log })
        : (await createPhotoTopics(brokers, prefix), { records: 0, photos: 0 });
    collector = startRenditionCollector({
      brokers,
      prefix,
      readCommitted: eos,
      photos: count,
      backlogPhotos: prepared.photos,
      sentAt,
      expect: impl === "flowc" ? flowc.expect : render,
      log,
    });
    await collector.ready;
    const launchedAt = performance.now();
    if (impl === "flowc") {
      proc = launchFlowc({ flowc, perWorker, root, brokers, prefix, mode, log });
      const groups = flowc.topology.workers.map((w) => prefix + w.group);
      await Promise.race([
        waitForGroups({
          brokers,
          prefix,
          count: groups.length,
          accept: (g) => groups.includes(g),
        }),
        proc.failed,
      ]);
    } else {
      proc = launchKafkajsPipeline({ brokers, prefix, mode });
      await Promise.race([proc.ready, proc.failed]);
    }
    const readyAt = performance.now();
    // The probe: photos over every partition, at once; the feed starts when all their
    // renditions are in (exactly-once producers are made per partition, some on first use).
    await Promise.race([feedPhotos({ brokers, prefix, rate: 1e6, count: PROBE_PHOTOS, sentAt }), proc.failed]);
    await Promise.race([collector.waitFor(() => collector.progress().distinct === 3 * PROBE_PHOTOS), proc.failed]);
    const probedAt = performance.now();
    log(
      `${tag}: groups ready in ${((readyAt - launchedAt) / 1000).toFixed(1)}s, probe through in ${((probedAt - readyAt) / 1000).toFixed(1)}s; ` +
        `feeding ${rate} photos/s for ${warmup}+${seconds}s`,
    );
    const fed = await Promise.race([feedPhotos({ brokers, prefix, rate, count, sentAt, from: PROBE_PHOTOS }), proc.failed]);
    const total = () => collector.progress();
    await Promise.race([
      collector.waitFor(() => total().distinct === 3 * count && total().backlogDistinct === prepared.records, { timeoutMs: 90000 }),
      proc.failed,
    ]);
    const allAt = performance.now();
    await sleep(1000); // late duplicates
    const stopped = await proc.stop();
    const p = collector.progress();
    const result = {
      impl,
      mode,
      prefix,
      rate,
      count,
      warmCount,
      fed,
      startupSeconds: (readyAt - launchedAt) / 1000,
      probeSeconds: (probedAt - readyAt) / 1000,
      tailSeconds: (allAt - sentAt[count - 1]) / 1000,
      measured: latencyStats(collector.latencies({ from: warmCount })),
      warm: latencyStats(collector.latencies({ from: PROBE_PHOTOS, to: warmCount })),
      ...p,
      peakRssBytes: stopped.peakRssBytes,
      cpuSeconds: stopped.cpu,
      /** Latencies of the photos (probe included) sent in the first `ms` after the probe. */
      firstStretch: (ms) => latencyStats(collector.latencies({ sentBefore: sentAt[0] + ms })),
    };
    // p50 / p99 of each second of the feed (photo i is due i / rate seconds after the first).
    result.bySecond = Array.from({ length: Math.ceil((count - PROBE_PHOTOS) / rate) }, (_, sec) => {
      const at = (t) => Math.min(count, PROBE_PHOTOS + Math.round(t * rate));
      const st = latencyStats(collector.latencies({ from: at(sec), to: at(sec + 1) }));
      return [Math.round(st.p50), Math.round(st.p99)];
    });
    if (prepared.records) {
      result.backlog = prepared;
      result.drainSeconds = (p.lastBacklogAt - readyAt) / 1000;
      // From the probe to the last backlog rendition: new work fed while retries were waiting.
      result.drainFromFeedMs = p.lastBacklogAt - sentAt[0];
      result.underBacklog = result.firstStretch(result.drainFromFeedMs);
      result.underBacklogAfterWarmup = latencyStats(collector.latencies({ from: warmCount, sentBefore: p.lastBacklogAt }));
    }
    const m = result.measured;
    log(
      `${tag}: ${count} photos fed at ${Math.round(fed.perSecond)}/s (feed lag p99 ${ms(fed.lagP99Ms)}), ${p.distinct} renditions, ${p.duplicates} duplicates; ` +
        `p50 ${ms(m.p50)} p99 ${ms(m.p99)} max ${ms(m.max)} (warm-up p99 ${ms(result.warm.p99)}); CPU ${stopped.cpu?.toFixed(1)}s, peak RSS ${Math.round(mib(stopped.peakRssBytes))} MiB` +
        (result.backlog
          ? `; backlog ${p.backlogDistinct} of ${prepared.records} renditions (${p.backlogDuplicates} duplicates) drained ${result.drainSeconds.toFixed(1)}s after ready, ${(result.drainFromFeedMs / 1000).toFixed(1)}s after the probe; new work fed meanwhile: p50 ${ms(result.underBacklog.p50)} p99 ${ms(result.underBacklog.p99)} (${result.underBacklog.count} renditions)`
          : ""),
    );
    log(`${tag}: p50/p99 ms by second of the feed: ${result.bySecond.map(([a, b]) => `${a}/${b}`).join(" ")}`);
    return result;
  } finally {
    proc?.kill?.();
    if (proc?.child?.exitCode === null && proc.child.signalCode === null) proc.child.kill("SIGKILL");
    await collector?.stop();
    await deleteByPrefix(brokers, prefix).catch((e) => log(`cleanup of ${prefix}*: ${e.message}`));
  }
}

// ---------------------------------------------------------------------------------------------
// peak RSS per worker process

/** The four workers as four processes over N preloaded photos; VmHWM of each at the end. */
async function perProcessRun({ mode, brokers, root, flowc, messages, log }) {
  const eos = mode === "exactly-once";
  const prefix = uniquePrefix(`rss-fl-${eos ? "eos" : "alo"}`);
  let workers;
  let collector;
  try {
    await prepareFlowcTopics({ flowc, brokers, prefix, log });
    await producePhotos({ brokers, prefix, messages });
    const sentAt = new Float64Array(messages);
    collector = startRenditionCollector({ brokers, prefix, readCommitted: eos, photos: messages, sentAt, expect: flowc.expect, log });
    await collector.ready;
    const started = performance.now();
    workers = launchFlowc({ flowc, perWorker: true, root, brokers, prefix, mode, log });
    await Promise.race([collector.waitFor(() => collector.progress().distinct === 3 * messages, { timeoutMs: 90000 }), workers.failed]);
    const seconds = (performance.now() - started) / 1000;
    await sleep(1000);
    const { each } = await workers.stop();
    const p = collector.progress();
    const perWorker = each.map((x) => ({ worker: x.worker, peakRssBytes: x.peakRssBytes, cpuSeconds: x.cpu }));
    log(
      `flowc ${mode}, one process per worker: ${messages} photos in ${seconds.toFixed(1)}s (launch to last rendition), ${p.distinct} renditions, ${p.duplicates} duplicates; ` +
        perWorker.map((x) => `${x.worker} ${Math.round(mib(x.peakRssBytes))} MiB / ${x.cpuSeconds?.toFixed(1)} CPU s`).join(", "),
    );
    return { mode, messages, seconds, perWorker, ...p };
  } finally {
    workers?.kill();
    await collector?.stop();
    await deleteByPrefix(brokers, prefix).catch((e) => log(`cleanup of ${prefix}*: ${e.message}`));
  }
}

// ---------------------------------------------------------------------------------------------
// rows

/** Why a run's renditions do not make a figure, or null when they verified. */
function problems(r, mode) {
  if (!r) return "no result";
  if (r.error) return `failed: ${r.error}`;
  const out = [];
  if (r.failure) out.push(r.failure);
  if (r.wrong) out.push(`${r.wrong} wrong renditions, first: ${r.firstWrong}`);
  if (mode === "exactly-once" && (r.duplicates || r.backlogDuplicates)) out.push(`${r.duplicates + (r.backlogDuplicates ?? 0)} duplicates in exactly-once`);
  return out.length ? `verification failed: ${out.join("; ")}` : null;
}

const verifiedNote = (r) =>
  `${3 * r.count} renditions verified, ${r.duplicates} duplicates` +
  (r.backlog ? `; ${r.backlogDistinct} backlog renditions, ${r.backlogDuplicates} duplicates` : "");

export default async function kafkaLatency(ctx) {
  const rate = num("FLOWC_BENCH_RATE", 500);
  const seconds = num("FLOWC_BENCH_SECONDS", 20);
  const warmup = num("FLOWC_BENCH_WARMUP", 10);
  const backlog = Math.round(num("FLOWC_BENCH_BACKLOG", 100000));
  const rssMessages = Math.round(num("FLOWC_BENCH_RSS_MESSAGES", 20000));
  // FLOWC_BENCH_LAYOUT=per-worker: flowc's latency runs with one process per worker too.
  const perWorker = process.env.FLOWC_BENCH_LAYOUT === "per-worker";
  const layout = perWorker ? "4 processes" : "one process";
  const modes = (process.env.FLOWC_BENCH_MODES ?? "at-least-once,exactly-once")
    .split(",")
    .map((m) => m.trim())
    .filter(Boolean);
  // The runtime first: its Kafka transport installs its read_committed filter into kafkajs, which
  // the collector's consumers then use too (a warning otherwise).
  await import(pathToFileURL(path.join(ctx?.root ?? ROOT, "dist", "runtime", "index.js")).href);
  return withKafka(ctx, { group: GROUP, name: "photos latency and memory on Kafka" }, async ({ brokers, root, log }) => {
    const rows = [];
    const attempt = async (what, fn) => {
      try {
        return await fn();
      } catch (e) {
        log(`${what} failed: ${e?.stack ?? e}`);
        return { error: String(e?.message ?? e).split("\n")[0] };
      }
    };
    // Build once, outside the timed runs (the same build kafka-flowc uses).
    execFileSync(process.execPath, [path.join(root, "bin", "flowc.js"), "build", path.join(root, "examples", "photos.flow"), "--out", GEN_DIR], {
      cwd: root,
      stdio: ["ignore", "ignore", "inherit"],
    });
    const flowc = await loadFlowc(root);
    log(
      `${rate} photos/s for ${warmup}+${seconds}s per run, backlog ${backlog} retries, ${rssMessages} photos for peak RSS per process; ${modes.join(", ")}; on ${brokers}`,
    );

    for (const mode of modes) {
      const tag = mode === "exactly-once" ? "EOS" : "ALOS";
      const common = { mode, brokers, root, flowc, rate, seconds, warmup, perWorker, log };
      const kjs = await attempt(`kafkajs ${mode}`, () => latencyRun({ impl: "kafkajs", ...common }));
      const fl = await attempt(`flowc ${mode}`, () => latencyRun({ impl: "flowc", ...common }));
      const bl = backlog > 0 ? await attempt(`flowc ${mode} with a backlog`, () => latencyRun({ impl: "flowc", backlog, ...common })) : undefined;
      const kjsBad = problems(kjs, mode);
      const flBad = problems(fl, mode);
      const base = (q) => ({
        name: `kafkajs ${tag}`,
        value: kjsBad ? NaN : kjs.measured[q],
      });
      for (const q of ["p50", "p99"]) {
        rows.push({
          group: GROUP,
          name: `photos end-to-end latency ${q}, ${tag}, ${rate}/s${perWorker ? ", flowc in 4 processes" : ""}`,
          value: flBad ? NaN : fl.measured[q],
          unit: "ms",
          better: "lower",
          baseline: base(q),
          note: flBad
            ? flBad
            : `produce call -> rendition received, ${fl.measured.count} renditions after ${warmup}s warm-up; ${verifiedNote(fl)}; flowc max ${ms(fl.measured.max)}, ` +
              (kjsBad ? `kafkajs: ${kjsBad}` : `kafkajs max ${ms(kjs.measured.max)}, ${verifiedNote(kjs)}`),
        });
      }
      rows.push({
        group: GROUP,
        name: `photos at ${rate}/s, ${tag}, peak RSS (${layout})`,
        value: flBad ? NaN : mib(fl.peakRssBytes),
        unit: "MiB",
        better: "lower",
        baseline: {
          name: `kafkajs ${tag}`,
          value: kjsBad ? NaN : mib(kjs.peakRssBytes),
        },
        note: flBad
          ? flBad
          : `VmHWM; flowc: the 4 workers in ${perWorker ? "4 processes (summed)" : "one process"} (the generated entry), CPU ${fl.cpuSeconds?.toFixed(1)} s; kafkajs CPU ${kjs.cpuSeconds?.toFixed(1) ?? "n/a"} s`,
      });
      if (bl) {
        const blBad = problems(bl, mode) ?? (bl.backlogDistinct === backlog ? null : `${bl.backlogDistinct} of ${backlog} backlog renditions`);
        // The same stretch of the feed in both runs: from the probe until the backlog run's last
        // retry came through (both cold-started the same way, so start-up weighs alike).
        const under = blBad ? undefined : bl.underBacklog;
        const same = blBad || flBad ? undefined : fl.firstStretch(bl.drainFromFeedMs);
        const ratio = under && same ? under.p99 / same.p99 : NaN;
        const after = bl.underBacklogAfterWarmup;
        rows.push({
          group: GROUP,
          name: `new-work latency p99 with ${backlog} retries waiting, ${tag}`,
          value: under ? under.p99 : NaN,
          unit: "ms",
          better: "lower",
          baseline: { name: `flowc ${tag} without backlog, same stretch`, value: same ? same.p99 : NaN },
          note: blBad
            ? blBad
            : `aim <= 2x: ${ratio <= 2 ? "met" : "MISSED"} (${ratio.toFixed(2)}x); photos fed in the ${(bl.drainFromFeedMs / 1000).toFixed(1)} s from the probe to the last retry's rendition ` +
              `(${under.count} renditions): p50 ${ms(under.p50)} against ${ms(same?.p50)}; after the ${warmup} s warm-up: ${after.count ? `p99 ${ms(after.p99)} over ${after.count} renditions while retries waited` : "none left waiting"}, ` +
              `${ms(bl.measured.p99)} over the whole window, against ${ms(fl.measured?.p99)} without backlog; ${verifiedNote(bl)}`,
        });
        rows.push({
          group: GROUP,
          name: `backlog of ${backlog} retries drained, ${tag}`,
          value: blBad ? NaN : bl.drainSeconds,
          unit: "s",
          better: "lower",
          note: blBad
            ? blBad
            : `workers' groups ready -> last backlog rendition (${Math.round(backlog / bl.drainSeconds)} retries/s) while new work came at ${rate}/s; the retries were written in ${bl.backlog.seconds.toFixed(1)} s before the workers started; peak RSS ${Math.round(mib(bl.peakRssBytes))} MiB (${Math.round(mib(fl.peakRssBytes))} without backlog)`,
        });
      }

      const rss =
        rssMessages > 0
          ? await attempt(`flowc ${mode} per process`, () =>
              perProcessRun({
                mode,
                brokers,
                root,
                flowc,
                messages: rssMessages,
                log,
              }),
            )
          : undefined;
      const rssBase =
        rssMessages > 0
          ? await attempt(`kafkajs ${mode} peak RSS`, () =>
              runKafkajsPhotos({
                brokers,
                messages: rssMessages,
                mode,
                log,
              }),
            )
          : undefined;
      if (rss) {
        const bad = problems(rss, mode) ?? (rss.distinct === 3 * rssMessages ? null : `${rss.distinct} of ${3 * rssMessages} renditions`);
        for (const w of rss.perWorker ?? [{ worker: "workers" }]) {
          rows.push({
            group: GROUP,
            name: `peak RSS, process of ${w.worker}, ${tag}`,
            value: bad ? NaN : mib(w.peakRssBytes),
            unit: "MiB",
            better: "lower",
            baseline: {
              name: `kafkajs ${tag}, whole pipeline`,
              value: rssBase?.error ? NaN : mib(rssBase?.peakRssBytes),
            },
            note: bad
              ? bad
              : `VmHWM after ${rssMessages} preloaded photos (${3 * rssMessages} renditions verified, ${rss.duplicates} duplicates, ${rss.seconds.toFixed(1)} s); CPU ${w.cpuSeconds?.toFixed(1)} s; ` +
                (rssBase?.error ? `kafkajs failed: ${rssBase.error}` : `kafkajs runs both hops in its one process`),
          });
        }
        if (!bad) {
          rows.push({
            group: GROUP,
            name: `peak RSS, sum of the 4 worker processes, ${tag}`,
            value: rss.perWorker.reduce((a, w) => a + mib(w.peakRssBytes), 0),
            unit: "MiB",
            better: "lower",
            baseline: {
              name: `kafkajs ${tag}, whole pipeline`,
              value: rssBase?.error ? NaN : mib(rssBase?.peakRssBytes),
            },
            note: "a deployment of one process per worker",
          });
        }
      }
    }
    return rows;
  });
}

// `node bench/suites/kafka-latency.mjs`: this suite alone, rows as JSON.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  kafkaLatency().then((rows) => console.log(JSON.stringify(rows, null, 1)));
}
