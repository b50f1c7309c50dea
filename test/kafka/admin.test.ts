import { afterEach, describe, expect, it } from "vitest";
import { deadLetterRecord } from "../../runtime/dead-letters.js";
import {
  applyTopicPlan,
  formatTopicPlanReport,
  listKafkaDeadLetters,
  replayKafkaDeadLetters,
  type KafkaTransport,
  type PlannedTopic,
} from "../../runtime/kafka/index.js";
import { readTopic } from "../../runtime/read.js";
import { Headers } from "../../stdlib/headers.js";
import { disposeTransport, isolatedTransport, kafka, reportSkip } from "./helpers.js";

reportSkip("flowc topics apply and flowc dlq on Kafka");

describe.skipIf(!kafka.available)("Kafka provisioning and dead letters", () => {
  const open: KafkaTransport[] = [];
  const transport = () => {
    const t = isolatedTransport("admin");
    open.push(t);
    return t;
  };
  afterEach(async () => {
    for (const t of open.splice(0)) await disposeTransport(t);
  });

  it("creates the planned topics, then reports existing ones that differ without altering them", async () => {
    const t = transport();
    const plan: PlannedTopic[] = [
      { name: "orders", role: "source", partitions: 4 },
      { name: "w.retry.1", role: "retry", partitions: 4, plannedFor: "w" },
      { name: "w.dlq", role: "dead-letter", partitions: 1, plannedFor: "w" },
      { name: "w.state", role: "state", partitions: 4, plannedFor: "w" },
      { name: "out", role: "sink", partitions: 2, config: { "cleanup.policy": "delete" } },
    ];
    // Someone made "out" already, with 3 partitions.
    await t.createTopics([{ name: "out", partitions: 3 }]);
    const first = await applyTopicPlan(t, plan);
    expect(first.created.map((c) => c.name).sort()).toEqual(["orders", "w.dlq", "w.retry.1", "w.state"]);
    expect(first.created.find((c) => c.name === "w.dlq")!.config).toMatchObject({ "retention.ms": "-1", "retention.bytes": "-1" });
    expect(first.created.find((c) => c.name === "w.state")!.config["retention.bytes"]).toBeDefined();
    expect(first.differing).toEqual([{ name: "out", role: "sink", differences: [{ what: "partitions", planned: "2", actual: "3" }] }]);
    const described = await t.describeTopics(["orders", "w.state", "out"]);
    expect(described.get("orders")).toEqual({ partitions: 4 });
    expect(described.get("out")).toEqual({ partitions: 3 });
    const configs = await t.topicConfigs(["w.dlq"], ["retention.ms"]);
    expect(configs.get("w.dlq")).toEqual({ "retention.ms": "-1" });

    const again = await applyTopicPlan(t, plan);
    expect(again.created).toEqual([]);
    expect([...again.unchanged].sort()).toEqual(["orders", "w.dlq", "w.retry.1", "w.state"]);
    expect(again.differing.map((d) => d.name)).toEqual(["out"]);
    const text = formatTopicPlanReport(again);
    expect(text).toContain("DIFFERS    out: partitions is 3, planned 2 (left as it is)");
    expect(text).toContain("0 created, 4 already as planned, 1 differing from the plan (not altered)");
  });

  it("lists dead letters with their reasons and replays them to their original partition", async () => {
    const t = transport();
    await t.createTopics([
      { name: "in", partitions: 3 },
      { name: "w.dlq", partitions: 1, retainAll: true },
    ]);
    const producer = await t.producer();
    const failedAt = Date.now();
    const records = [0, 1, 2].map((i) =>
      deadLetterRecord({
        topic: "w.dlq",
        id: `m${i}`,
        worker: "w",
        stage: "w/map",
        reason: i === 0 ? "malformed" : "handler-error",
        error: `boom ${i}`,
        attempts: i === 0 ? 1 : 5,
        record: { topic: "in", partition: i, offset: 10 + i, key: `k${i}`, value: `{"n":${i}}`, headers: { [Headers.id]: `m${i}` }, timestamp: failedAt },
        failedAt,
      }),
    );
    await producer.send(records);
    await producer.close();
    const listed = await listKafkaDeadLetters(t, "w.dlq");
    expect(listed.map((d) => [d.id, d.reason, d.attempts, d.error, d.original.partition, d.original.offset])).toEqual([
      ["m0", "malformed", 1, "boom 0", 0, 10],
      ["m1", "handler-error", 5, "boom 1", 1, 11],
      ["m2", "handler-error", 5, "boom 2", 2, 12],
    ]);
    const { replayed } = await replayKafkaDeadLetters(t, "w.dlq", { ids: ["m1", "m2"] });
    expect(replayed.map((d) => d.id)).toEqual(["m1", "m2"]);
    const back = await readTopic(t, "in");
    expect(back.map((r) => [r.partition, r.key, r.value, r.headers[Headers.id], r.headers[Headers.replay]])).toEqual([
      [1, "k1", `{"n":1}`, "m1", replayed[0].ref],
      [2, "k2", `{"n":2}`, "m2", replayed[1].ref],
    ]);
    // Dead letters stay where they are.
    expect(await listKafkaDeadLetters(t, "w.dlq")).toHaveLength(3);
  });
});
