// Bench suite: the Kafka baselines flowc's photos pipeline is compared with, measured in the
// same run on the same broker (docs/performance.md, "Baselines"):
//   - the photos pipeline hand-written with kafkajs (bench/baselines/kafkajs-photos.mjs),
//   - the photos pipeline as a Kafka Streams application (bench/kafka-streams),
//   - Kafka's ProducerPerformance and ConsumerPerformance: the machine's limit,
// each in at-least-once and exactly-once mode.
//
//   npm run bench -- kafka-baselines
//   FLOWC_BENCH_MESSAGES=10000 node bench/run.mjs kafka-baselines     # quick
//   FLOWC_BENCH_RUNS=3 ...                                            # median of 3 runs each
//
// Skips with one row when Kafka cannot run here (no Java / Maven) or does not start.

import path from "node:path";
import { pathToFileURL } from "node:url";
import { withKafka } from "../baselines/harness.mjs";

const GROUP = "kafka-baselines";

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mib = (b) => (b === undefined ? undefined : b / 2 ** 20);

export default async function kafkaBaselines(ctx) {
  const root = ctx?.root ?? path.resolve(path.dirname(new URL(import.meta.url).pathname), "..", "..");
  const log = ctx?.log ?? ((l) => process.stderr.write(`  ${l}\n`));
  const messages = Number(process.env.FLOWC_BENCH_MESSAGES ?? 100000);
  const runs = Math.max(1, Number(process.env.FLOWC_BENCH_RUNS ?? 1));

  return withKafka(ctx, { group: GROUP, name: "kafka baselines" }, async ({ brokers }) => {
    const { runKafkajsPhotos } = await import(pathToFileURL(path.join(root, "bench", "baselines", "kafkajs-photos.mjs")).href);
    const { runKafkaStreamsPhotos, kafkaStreamsAvailable, buildKafkaStreamsJar } = await import(pathToFileURL(path.join(root, "bench", "baselines", "kafka-streams-photos.mjs")).href);
    const { runKafkaPerf, photoRecordSize } = await import(pathToFileURL(path.join(root, "bench", "baselines", "kafka-perf.mjs")).href);

    const rows = [];
    const streamsOk = kafkaStreamsAvailable();
    if (streamsOk.ok) await buildKafkaStreamsJar({ log }); // outside the timed runs
    const recordSize = photoRecordSize();
    log(`${messages} photos per run (${recordSize} bytes each), ${runs} run(s) per figure, on ${brokers}`);

    for (const mode of ["at-least-once", "exactly-once"]) {
      const kjs = [];
      const ks = [];
      const perf = [];
      const failures = {};
      const attempt = async (name, fn, into) => {
        try {
          into.push(await fn());
        } catch (e) {
          failures[name] = String(e?.message ?? e).split("\n")[0];
          log(`${name} ${mode} failed: ${e?.stack ?? e}`);
        }
      };
      // Interleaved, so that a noisy spell on the shared machine hits all of them alike.
      for (let i = 0; i < runs; i++) {
        await attempt("kafkajs", () => runKafkajsPhotos({ brokers, messages, mode, log }), kjs);
        if (streamsOk.ok) await attempt("kafka-streams", () => runKafkaStreamsPhotos({ brokers, messages, mode, log }), ks);
        await attempt("kafka-perf", () => runKafkaPerf({ brokers, messages, recordSize, transactional: mode === "exactly-once", log }), perf);
      }
      const tag = mode === "exactly-once" ? "EOS" : "ALOS";
      const pick = (rs, f) => (rs.length ? median(rs.map(f)) : NaN);
      const kjsRate = pick(kjs, (r) => r.inputPerSecond);
      const kjsNote = kjs.length
        ? `3x${messages} renditions verified; wall ${pick(kjs, (r) => r.wallSeconds).toFixed(1)} s incl. ${pick(kjs, (r) => r.startupSeconds).toFixed(1)} s startup` +
          (kjs.some((r) => r.duplicates) ? `; ${Math.max(...kjs.map((r) => r.duplicates))} duplicates` : "")
        : `failed: ${failures.kafkajs}`;
      rows.push({ group: GROUP, name: `photos kafkajs by hand, ${tag}`, value: kjsRate, unit: "photos/s", better: "higher", note: kjsNote });
      if (!streamsOk.ok) {
        rows.push({ group: GROUP, name: `photos Kafka Streams, ${tag}`, value: NaN, unit: "photos/s", note: `skipped: ${streamsOk.reason}` });
      } else {
        const ksNote = ks.length
          ? `3x${messages} renditions verified; wall ${pick(ks, (r) => r.wallSeconds).toFixed(1)} s incl. ${pick(ks, (r) => r.startupSeconds).toFixed(1)} s JVM start + join` +
            (ks.some((r) => r.duplicates) ? `; ${Math.max(...ks.map((r) => r.duplicates))} duplicates` : "") +
            (ks.some((r) => r.rebalances) ? `; ${Math.max(...ks.map((r) => r.rebalances))} rebalances` : "")
          : `failed: ${failures["kafka-streams"]}`;
        rows.push({
          group: GROUP,
          name: `photos Kafka Streams, ${tag}`,
          value: pick(ks, (r) => r.inputPerSecond),
          unit: "photos/s",
          better: "higher",
          baseline: { name: `kafkajs ${tag}`, value: kjsRate },
          note: ksNote,
        });
      }
      const perfNote = perf.length ? "" : `failed: ${failures["kafka-perf"]}`;
      rows.push({
        group: GROUP,
        name: `ProducerPerformance${mode === "exactly-once" ? ", transactions of 100 ms" : ""}`,
        value: pick(perf, (r) => r.producer.recordsPerSecond),
        unit: "records/s",
        better: "higher",
        note: perf.length ? `${recordSize} B records, acks=all, ${pick(perf, (r) => r.producer.mbPerSecond).toFixed(1)} MB/s` : perfNote,
      });
      rows.push({
        group: GROUP,
        name: `ConsumerPerformance${mode === "exactly-once" ? ", read_committed" : ""}`,
        value: pick(perf, (r) => r.consumer.fetchRecordsPerSecond),
        unit: "records/s",
        better: "higher",
        note: perf.length ? `fetch time only; ${Math.round(pick(perf, (r) => r.consumer.recordsPerSecond))}/s with the group join` : perfNote,
      });
      for (const [name, rs] of [["kafkajs by hand", kjs], ["Kafka Streams", ks]]) {
        const cpu = rs.map((r) => r.cpuSeconds).filter((x) => x !== undefined);
        if (cpu.length) {
          rows.push({
            group: GROUP,
            name: `photos ${name}, ${tag}, CPU per 1,000 photos`,
            value: (median(cpu) / messages) * 1000,
            unit: "CPU s",
            better: "lower",
            note: "user + system of the pipeline process, startup included; steadier than photos/s on a busy machine",
          });
        }
        const rss = rs.map((r) => r.peakRssBytes).filter((x) => x !== undefined);
        if (rss.length) {
          rows.push({ group: GROUP, name: `photos ${name}, ${tag}, peak RSS`, value: mib(median(rss)), unit: "MiB", better: "lower", note: "the pipeline process (one process for all stages)" });
        }
      }
    }
    return rows;
  });
}
