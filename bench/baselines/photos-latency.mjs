// Latency measurement of the photos pipeline on Kafka, shared by every implementation (flowc's
// generated workers, the kafkajs program by hand): a feeder that produces photos into
// PREFIXphotos at a fixed rate, and a collector that reads PREFIXrenditions, checks every
// rendition and times it from its photo's produce call. Both run in the calling process and
// use one clock (performance.now()), so the pipeline can run anywhere on the same machine.
//
//   const sentAt = new Float64Array(count);
//   const collector = startRenditionCollector({ brokers, prefix, readCommitted, photos: count, sentAt, expect });
//   await collector.ready;
//   const feed = await feedPhotos({ brokers, prefix, rate: 500, count, sentAt });
//   await collector.waitFor(() => collector.progress().distinct === 3 * count);
//   const stats = latencyStats(collector.latencies({ from: warmupCount }));
//
// Photo numbers from BACKLOG_BASE up are not fed: they are the photos of a backlog put into the
// pipeline some other way (retry records), counted apart from new work.

import { FORMATS, loadKafkajs, photo, photoIndex, photoTopics } from "./photos-common.mjs";

/** Photo numbers of a backlog start here (new work is numbered from 0). */
export const BACKLOG_BASE = 10_000_000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Produces photos 0..count-1 into PREFIXphotos at `rate` photos per second, keyed by id, each
 * with a `flowc-id` header (its id). One idempotent producer, one send in flight: whatever is
 * due when a send returns goes in the next one. sentAt[i] is performance.now() at the send
 * call that carried photo i; the lag is how late that was against the schedule.
 * Returns { count, seconds, perSecond, sends, lagP99Ms, lagMaxMs }.
 */
export async function feedPhotos({ brokers, prefix, rate, count, sentAt, from = 0, startAt = performance.now() }) {
  const { Kafka, logLevel } = loadKafkajs();
  const kafka = new Kafka({
    clientId: `${prefix}feed`,
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  const topic = photoTopics(prefix).photos;
  await producer.connect();
  const lags = [];
  let sends = 0;
  let next = from;
  try {
    while (next < count) {
      const now = performance.now();
      const due = Math.min(count, from + Math.floor(((now - startAt) / 1000) * rate) + 1);
      if (due <= next) {
        await sleep(Math.max(1, startAt + ((next - from) / rate) * 1000 - now));
        continue;
      }
      const messages = [];
      for (let i = next; i < due; i++) {
        const p = photo(i);
        sentAt[i] = now;
        lags.push(now - (startAt + ((i - from) / rate) * 1000));
        messages.push({
          key: p.id,
          value: JSON.stringify(p),
          headers: { "flowc-id": p.id },
        });
      }
      next = due;
      sends++;
      await producer.send({ topic, acks: -1, messages });
    }
  } finally {
    await producer.disconnect();
  }
  const seconds = (performance.now() - startAt) / 1000;
  const lag = latencyStats(lags);
  return {
    count: count - from,
    seconds,
    perSecond: (count - from) / seconds,
    sends,
    lagP99Ms: lag.p99,
    lagMaxMs: lag.max,
  };
}

/**
 * Reads PREFIXrenditions from the beginning (read_committed when readCommitted; its group
 * PREFIXlatency commits nothing) and checks each rendition: `expect(photo(i), format)` must
 * give the same photoId, format, url, width, height and bytes. Records read again after a
 * rejoin are recognised by offset and skipped.
 *
 * For new work (photo numbers below `photos`) it keeps the receive time of the first copy of
 * each (photo, format); for backlog photos (BACKLOG_BASE up to BACKLOG_BASE + backlogPhotos)
 * that they arrived and when the last one did. Copies after the first are duplicates.
 */
export function startRenditionCollector({ brokers, prefix, readCommitted, photos, backlogPhotos = 0, sentAt, expect, log = () => {} }) {
  const { Kafka, logLevel } = loadKafkajs();
  const kafka = new Kafka({
    clientId: `${prefix}latency`,
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({
    groupId: `${prefix}latency`,
    readUncommitted: !readCommitted,
    maxWaitTimeInMs: 100,
    maxBytesPerPartition: 4 << 20,
  });
  const lanes = FORMATS.length;
  const formatIndex = new Map(FORMATS.map((f, i) => [f, i]));
  const receivedAt = new Float64Array(lanes * photos);
  const backlogSeen = new Uint8Array(lanes * backlogPhotos);
  const readUpTo = new Map();
  const counts = {
    outputs: 0,
    distinct: 0,
    duplicates: 0,
    backlogDistinct: 0,
    backlogDuplicates: 0,
    rereads: 0,
    wrong: 0,
  };
  let firstWrong = "";
  let lastBacklogAt = 0;
  let failure = "";

  const parse = (value) => {
    try {
      return JSON.parse(value) ?? {};
    } catch {
      return undefined;
    }
  };
  const take = (value, now) => {
    const r = parse(value);
    if (r === undefined) return "not JSON";
    const n = photoIndex(r.photoId);
    const f = formatIndex.get(r.format);
    const backlog = n >= BACKLOG_BASE && n < BACKLOG_BASE + backlogPhotos;
    if (f === undefined || !(backlog || (n >= 0 && n < photos))) return `unknown rendition ${String(value).slice(0, 120)}`;
    const want = expect(photo(n), r.format);
    if (["photoId", "format", "url", "width", "height", "bytes"].some((k) => r[k] !== want[k]))
      return `wrong rendition ${String(value).slice(0, 160)}, expected ${JSON.stringify(want)}`;
    if (backlog) {
      const k = f * backlogPhotos + (n - BACKLOG_BASE);
      if (backlogSeen[k]) counts.backlogDuplicates++;
      else ((backlogSeen[k] = 1), counts.backlogDistinct++, (lastBacklogAt = now));
    } else if (receivedAt[f * photos + n] > 0) counts.duplicates++;
    else ((receivedAt[f * photos + n] = now), counts.distinct++);
    return null;
  };

  let resolveReady;
  const ready = new Promise((r) => (resolveReady = r));
  consumer.on(consumer.events.GROUP_JOIN, () => resolveReady());
  const run = (async () => {
    await consumer.connect();
    await consumer.subscribe({
      topic: photoTopics(prefix).renditions,
      fromBeginning: true,
    });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const now = performance.now();
        const upTo = readUpTo.get(batch.partition) ?? -1;
        for (const m of batch.messages) {
          if (Number(m.offset) <= upTo) {
            counts.rereads++;
            continue;
          }
          counts.outputs++;
          const bad = take(m.value, now);
          if (bad && counts.wrong++ === 0) ((firstWrong = bad), log(`collector: ${bad}`));
        }
        if (batch.messages.length) readUpTo.set(batch.partition, Math.max(upTo, Number(batch.messages.at(-1).offset)));
      },
    });
  })();
  run.catch((e) => {
    failure = `collector consumer failed: ${e?.message ?? e}`;
    resolveReady();
  });

  return {
    ready,
    progress: () => ({ ...counts, firstWrong, lastBacklogAt, failure }),
    /** Resolves when done() is true; rejects after timeoutMs without a new rendition, or on failure. */
    async waitFor(done, { timeoutMs = 120000, what = "renditions" } = {}) {
      let seen = -1;
      let since = performance.now();
      while (!done()) {
        if (failure) throw new Error(failure);
        if (counts.outputs !== seen) ((seen = counts.outputs), (since = performance.now()));
        else if (performance.now() - since > timeoutMs) {
          throw new Error(`no ${what} for ${timeoutMs / 1000}s: ${counts.distinct} new-work and ${counts.backlogDistinct} backlog renditions`);
        }
        await sleep(50);
      }
    },
    /** Latencies in ms (receive - sentAt) of the distinct renditions of photos from..to-1 that arrived. */
    latencies({ from = 0, to = photos, sentBefore = Infinity } = {}) {
      const out = [];
      for (let f = 0; f < lanes; f++) {
        for (let i = from; i < to; i++) {
          const at = receivedAt[f * photos + i];
          if (at > 0 && sentAt[i] < sentBefore) out.push(at - sentAt[i]);
        }
      }
      return out;
    },
    async stop() {
      await consumer.disconnect().catch(() => {});
    },
  };
}

/** { count, p50, p90, p99, p999, max, mean } of a list of milliseconds (NaN when empty). */
export function latencyStats(values) {
  const s = Float64Array.from(values).sort();
  const at = (q) => (s.length ? s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] : NaN);
  const sum = s.reduce((a, b) => a + b, 0);
  return {
    count: s.length,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    p999: at(0.999),
    max: s.length ? s[s.length - 1] : NaN,
    mean: s.length ? sum / s.length : NaN,
  };
}

/**
 * Waits until `count` consumer groups whose names start with `prefix` (and pass `accept`) are
 * Stable with at least one member each: the pipeline's consumers have joined and hold partitions.
 */
export async function waitForGroups({ brokers, prefix, count, accept = () => true, timeoutMs = 120000 }) {
  const { Kafka, logLevel } = loadKafkajs();
  const admin = new Kafka({
    clientId: `${prefix}groups`,
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  const deadline = Date.now() + timeoutMs;
  let last = "no groups yet";
  try {
    while (Date.now() < deadline) {
      const ids = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix) && accept(g));
      if (ids.length >= count) {
        const { groups } = await admin.describeGroups(ids);
        const stable = groups.filter((g) => g.state === "Stable" && g.members.length > 0);
        if (stable.length >= count) return stable.map((g) => g.groupId);
        last = groups.map((g) => `${g.groupId.slice(prefix.length)}: ${g.state}`).join(", ");
      }
      await sleep(200);
    }
  } finally {
    await admin.disconnect();
  }
  throw new Error(`consumer groups of ${prefix}* not ready after ${timeoutMs / 1000}s (${last})`);
}
