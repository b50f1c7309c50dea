// The photos workload shared by every Kafka benchmark of the photos pipeline (the kafkajs
// baseline, the Kafka Streams peer, and flowc's generated workers): topic names, the input
// photos, the render arithmetic, loading the input backlog, and the verifier that reads the
// renditions, checks every one of them and times the run.
//
//   photos (10 partitions, key = id)
//     | copy(4k, 1080p, gif) | shard(10, by: .id)   -> lane-4k, lane-1080p, lane-gif (10 each)
//     | map(render) | merge                         -> renditions (10 partitions, key = photoId)
//
// How a run is measured (the same for every implementation, so figures compare):
//   1. create the uniquely prefixed topics; 2. produce N photos into PREFIXphotos (not timed
//   as part of the pipeline); 3. start the verifier on PREFIXrenditions and wait until it has
//   joined; 4. start the pipeline (a separate process); 5. the verifier stops when it has seen
//   all 3N distinct renditions. `seconds` runs from the moment the pipeline reports ready
//   (all its consumers have joined their groups and have partitions) to the last rendition:
//   the pipeline working through a backlog of N photos, process start and group joins
//   excluded. `wallSeconds` runs from the process launch, `startupSeconds` is launch to ready.
//
// Plain Node ESM; kafkajs from the project's node_modules.

import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, "..", "..");
const require = createRequire(path.join(REPO_ROOT, "package.json"));

/** kafkajs, loaded from the project's node_modules. */
export function loadKafkajs() {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= "1";
  return require("kafkajs");
}

export const PARTITIONS = 10;
export const LANES = [
  { format: "4k", width: 3840 },
  { format: "1080p", width: 1920 },
  { format: "gif", width: 480 },
];
export const FORMATS = LANES.map((l) => l.format);

/** Topic names of one run. */
export function photoTopics(prefix) {
  return {
    photos: `${prefix}photos`,
    lanes: Object.fromEntries(FORMATS.map((f) => [f, `${prefix}lane-${f}`])),
    renditions: `${prefix}renditions`,
  };
}

/** A prefix nobody else uses: `bench-<tag>-<time>-<random>-`. */
export function uniquePrefix(tag) {
  return `bench-${tag}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}-`;
}

const SIZES = [
  [4032, 3024],
  [6000, 4000],
  [3000, 2000],
  [1920, 1080],
  [5472, 3648],
  [3024, 4032],
  [1080, 1350],
];
const TAGS = [["beach", "sunset"], ["city"], [], ["family", "birthday", "cake"]];

/** Photo number i (deterministic), about 150 bytes of JSON. */
export function photo(i) {
  const [width, height] = SIZES[i % SIZES.length];
  const owner = `user-${i % 997}`;
  const id = `photo-${i}`;
  return { id, owner, url: `https://img.example.com/${owner}/${id}.jpg`, width, height, tags: TAGS[i % TAGS.length] };
}

/** Index of a photo id made by photo(i), or -1. */
export function photoIndex(id) {
  if (typeof id !== "string" || !id.startsWith("photo-")) return -1;
  const n = Number(id.slice(6));
  return Number.isInteger(n) ? n : -1;
}

/** The render handler: scale to the lane's width keeping the aspect ratio. */
export function render(p, format) {
  const width = format === "4k" ? 3840 : format === "1080p" ? 1920 : format === "gif" ? 480 : NaN;
  const height = Math.round((p.height * width) / p.width);
  const bytes = Math.floor((width * height * (format === "gif" ? 1 : 3)) / 10);
  return { photoId: p.id, format, url: `${p.url}?format=${format}`, width, height, bytes };
}

function quietKafka(brokers, clientId) {
  const { Kafka, logLevel } = loadKafkajs();
  return new Kafka({ clientId, brokers: [brokers], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });
}

/** Creates the run's 5 topics (10 partitions, replication 1) and waits for their leaders. */
export async function createPhotoTopics(brokers, prefix) {
  const t = photoTopics(prefix);
  const admin = quietKafka(brokers, `${prefix}admin`).admin();
  await admin.connect();
  try {
    const names = [t.photos, ...Object.values(t.lanes), t.renditions];
    await admin.createTopics({
      waitForLeaders: false,
      topics: names.map((topic) => ({ topic, numPartitions: PARTITIONS, replicationFactor: 1 })),
    });
    await waitForLeaders(admin, names, PARTITIONS);
    return t;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Waits until every partition of the topics has a leader. (kafkajs' createTopics
 * waitForLeaders gives up on UNKNOWN_TOPIC_OR_PARTITION, which a busy broker answers for a
 * moment after the controller created the topic.)
 */
export async function waitForLeaders(admin, topics, partitions, timeoutMs = 60000) {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const md = await admin.fetchTopicMetadata({ topics });
      if (md.topics.every((tm) => tm.partitions.length === partitions && tm.partitions.every((p) => p.leader >= 0))) return;
      last = "partitions without a leader";
    } catch (e) {
      last = e?.message ?? String(e);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`topics ${topics.join(", ")} have no leaders after ${timeoutMs / 1000}s: ${last}`);
}

/** Deletes every topic and consumer group whose name starts with prefix (3 tries). */
export async function deleteByPrefix(brokers, prefix) {
  if (!prefix || prefix.length < 4) throw new Error(`refusing to delete by the prefix '${prefix}'`);
  for (let attempt = 1; ; attempt++) {
    try {
      return await deleteByPrefixOnce(brokers, prefix);
    } catch (e) {
      if (attempt >= 3) throw e;
      await new Promise((r) => setTimeout(r, 1000 * attempt));
    }
  }
}

async function deleteByPrefixOnce(brokers, prefix) {
  const admin = quietKafka(brokers, `${prefix}cleanup`).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((n) => n.startsWith(prefix));
    if (topics.length) await admin.deleteTopics({ topics, timeout: 30000 });
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix));
    if (groups.length) await admin.deleteGroups(groups).catch(() => {});
    return { topics, groups };
  } finally {
    await admin.disconnect();
  }
}

/**
 * Produces photos 0..messages-1 into PREFIXphotos, keyed by id (Kafka's default partitioner:
 * murmur2(key) % 10), in batches of 5,000. Idempotent, so that a retried request cannot put
 * a photo in twice (the verifier would count its renditions as duplicates).
 */
export async function producePhotos({ brokers, prefix, messages, batch = 5000, inFlight = 1 }) {
  const topic = photoTopics(prefix).photos;
  const producer = quietKafka(brokers, `${prefix}input`).producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const t0 = process.hrtime.bigint();
  try {
    let next = 0;
    const lane = async () => {
      while (next < messages) {
        const from = next;
        const to = Math.min(messages, from + batch);
        next = to;
        const out = new Array(to - from);
        for (let i = from; i < to; i++) {
          const p = photo(i);
          out[i - from] = { key: p.id, value: JSON.stringify(p) };
        }
        await producer.send({ topic, acks: -1, messages: out });
      }
    };
    await Promise.all(Array.from({ length: inFlight }, lane));
  } finally {
    await producer.disconnect();
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { messages, seconds, perSecond: messages / seconds };
}

/**
 * Reads PREFIXrenditions from the beginning (read_committed when readCommitted) and checks
 * every rendition against render(photo(i), format). `ready` resolves once the verifier's
 * group has joined; `done` resolves when all 3 x messages distinct renditions have arrived
 * (then it waits `settleMs` more for late duplicates), and rejects after `timeoutMs` of no
 * progress, or when it sees a rendition that is wrong.
 *
 * done: { outputs, distinct, duplicates, firstAt, lastAt, seconds } (times from Date.now()).
 */
export function startVerifier({ brokers, prefix, messages, readCommitted, timeoutMs = 120000, settleMs = 1000, log = () => {} }) {
  const { Kafka, logLevel } = loadKafkajs();
  const kafka = new Kafka({ clientId: `${prefix}verify`, brokers: [brokers], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({
    groupId: `${prefix}verify`,
    readUncommitted: !readCommitted,
    maxBytesPerPartition: 4 << 20,
    maxBytes: 32 << 20,
    maxWaitTimeInMs: 100,
  });
  const expected = messages * FORMATS.length;
  const seen = FORMATS.map(() => new Uint8Array(messages));
  // Where each rendition was first seen (partition, offset), to describe duplicates.
  const seenAt = FORMATS.map(() => new Float64Array(messages));
  const duplicateSamples = [];
  // Highest offset read per partition: the verifier commits nothing, so after a rejoin kafkajs
  // reads the topic again from the start; records read before are not duplicates.
  const readUpTo = new Map();
  let rereads = 0;
  let joins = 0;
  let crashes = 0;
  const formatIndex = new Map(FORMATS.map((f, i) => [f, i]));
  let outputs = 0;
  let distinct = 0;
  let duplicates = 0;
  let firstAt = 0;
  let lastAt = 0;
  let lastProgress = Date.now();
  let failure = null;
  const wrong = [];

  let resolveReady, resolveDone, rejectDone;
  const ready = new Promise((r) => (resolveReady = r));
  const done = new Promise((res, rej) => ((resolveDone = res), (rejectDone = rej)));
  done.catch(() => {});
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joins++;
    resolveReady();
  });
  consumer.on(consumer.events.CRASH, (e) => {
    crashes++;
    log(`verifier: consumer crashed (${e?.payload?.error?.message ?? "?"}), restarting: ${e?.payload?.restart}`);
  });

  const check = (value, partition, offset) => {
    let r;
    try {
      r = JSON.parse(value);
    } catch {
      return "not JSON";
    }
    const i = photoIndex(r.photoId);
    const f = formatIndex.get(r.format);
    if (i < 0 || i >= messages || f === undefined) return `unknown rendition ${r.photoId}/${r.format}`;
    const want = render(photo(i), r.format);
    if (r.url !== want.url || r.width !== want.width || r.height !== want.height || r.bytes !== want.bytes) {
      return `wrong rendition ${JSON.stringify(r)}, expected ${JSON.stringify(want)}`;
    }
    if (seen[f][i]) {
      duplicates++;
      if (duplicateSamples.length < 10) {
        const first = seenAt[f][i];
        duplicateSamples.push(`${r.photoId}/${r.format} at ${partition}:${offset}, first at ${Math.floor(first / 1e12)}:${first % 1e12}`);
      }
    } else {
      seen[f][i] = 1;
      seenAt[f][i] = partition * 1e12 + Number(offset);
      distinct++;
    }
    return null;
  };

  const stop = async () => {
    clearInterval(timer);
    await consumer.disconnect().catch(() => {});
  };
  let finishing = false;
  const finish = async () => {
    if (finishing) return;
    finishing = true;
    await new Promise((r) => setTimeout(r, settleMs));
    await stop();
    if (wrong.length) return rejectDone(new Error(`verifier: ${wrong.length} wrong renditions, first: ${wrong[0]}`));
    resolveDone({ outputs, distinct, duplicates, duplicateSamples, verifierRejoins: joins - 1, verifierCrashes: crashes, rereads, firstAt, lastAt, seconds: (lastAt - firstAt) / 1000 });
  };
  const timer = setInterval(() => {
    if (finishing) return;
    if (failure || Date.now() - lastProgress > timeoutMs) {
      finishing = true;
      const missing = expected - distinct;
      const why = failure ?? `no progress for ${timeoutMs / 1000}s`;
      stop().then(() => rejectDone(new Error(`verifier: ${why}; ${distinct} of ${expected} renditions arrived (${missing} missing, ${duplicates} duplicates)`)));
    }
  }, 250);
  timer.unref?.();

  const run = (async () => {
    await consumer.connect();
    await consumer.subscribe({ topic: photoTopics(prefix).renditions, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const now = Date.now();
        if (!firstAt && batch.messages.length) firstAt = now;
        const before = distinct;
        const upTo = readUpTo.get(batch.partition) ?? -1;
        for (const m of batch.messages) {
          if (Number(m.offset) <= upTo) {
            rereads++;
            continue;
          }
          outputs++;
          const bad = check(m.value, batch.partition, m.offset);
          if (bad && wrong.push(bad) === 1) log(`verifier: ${bad}`);
        }
        if (batch.messages.length) {
          readUpTo.set(batch.partition, Math.max(upTo, Number(batch.messages[batch.messages.length - 1].offset)));
          lastProgress = now;
          if (before < expected) lastAt = now;
        }
        if (wrong.length > 100) failure = `${wrong.length} wrong renditions, first: ${wrong[0]}`;
        if (distinct === expected) finish();
      },
    });
  })();
  run.catch((e) => {
    failure = `consumer failed: ${e?.message ?? e}`;
    resolveReady();
  });

  return { ready, done, stop, progress: () => ({ outputs, distinct, duplicates }) };
}

/** Peak resident set size (VmHWM) of a live pid, in bytes (Linux), or undefined. */
export async function peakRss(pid) {
  const { readFile } = await import("node:fs/promises");
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) a live pid has used so far (Linux), or undefined. */
export async function cpuSeconds(pid) {
  const { readFile } = await import("node:fs/promises");
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of /proc/PID/stat, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** The result shape every photos runner returns. */
export function photosResult({ messages, mode, verified, startedAt, readyAt, input, peakRssBytes, cpu, extra = {} }) {
  const seconds = (verified.lastAt - readyAt) / 1000;
  return {
    messages,
    mode,
    seconds,
    inputPerSecond: messages / seconds,
    wallSeconds: (verified.lastAt - startedAt) / 1000,
    startupSeconds: (readyAt - startedAt) / 1000,
    firstOutputSeconds: (verified.firstAt - readyAt) / 1000,
    outputs: verified.outputs,
    distinctOutputs: verified.distinct,
    duplicates: verified.duplicates,
    ...(verified.duplicates ? { duplicateSamples: verified.duplicateSamples } : {}),
    verifierRejoins: verified.verifierRejoins,
    inputLoad: input,
    peakRssBytes,
    // CPU seconds of the pipeline process for the whole run, startup included: less noisy
    // than throughput on a shared machine.
    cpuSeconds: cpu,
    ...extra,
  };
}
