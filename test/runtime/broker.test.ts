import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../runtime/clock.js";
import { EmbeddedBroker } from "../../runtime/embedded/broker.js";
import {
  CommitFailedError,
  ProducerFencedError,
  TopicMismatchError,
  type Consumer,
  type TopicPartition,
} from "../../runtime/transport.js";
import { partitionForKey } from "../../stdlib/murmur2.js";

const rec = (topic: string, value: string, key: string | null = null, partition?: number) => ({ topic, key, value, partition });

async function pollAll(consumer: Consumer): Promise<string[]> {
  consumer.wakeup();
  const batches = await consumer.poll({ maxRecords: 10_000 });
  return batches.flatMap((b) => b.records.map((r) => `${r.partition}:${r.offset}:${r.value}`));
}

describe("embedded broker: logs", () => {
  it("appends with consecutive offsets per partition and places keys like Kafka", async () => {
    const broker = new EmbeddedBroker();
    await broker.createTopics([{ name: "t", partitions: 4 }]);
    const producer = await broker.producer();
    await producer.send([rec("t", "a", "alice"), rec("t", "b", "alice"), rec("t", "c", null, 2), rec("t", "d", "bob")]);
    const all = broker.readAll("t");
    const alice = all.filter((r) => r.key === "alice");
    expect(alice.map((r) => r.partition)).toEqual([partitionForKey("alice", 4), partitionForKey("alice", 4)]);
    expect(alice[1].offset).toBe(alice[0].offset + 1);
    expect(all.find((r) => r.value === "c")!.partition).toBe(2);
    expect(broker.watermarksNow("t").reduce((n, m) => n + m.high, 0)).toBe(4);
  });

  it("rejects unknown topics, bad partitions and a changed partition count", async () => {
    const broker = new EmbeddedBroker();
    await broker.createTopics([{ name: "t", partitions: 2 }]);
    const producer = await broker.producer();
    await expect(producer.send([rec("nope", "x")])).rejects.toThrow(/unknown topic/);
    await expect(producer.send([rec("t", "x", null, 5)])).rejects.toThrow(/no partition 5/);
    await expect(broker.createTopics([{ name: "t", partitions: 3 }])).rejects.toBeInstanceOf(TopicMismatchError);
    await broker.createTopics([{ name: "t", partitions: 2 }]);
  });
});

describe("embedded broker: consumer groups", () => {
  it("shares partitions between members and reads from the committed offset", async () => {
    const broker = new EmbeddedBroker();
    await broker.createTopics([{ name: "t", partitions: 2 }]);
    const producer = await broker.producer();
    await producer.send([rec("t", "a", null, 0), rec("t", "b", null, 1), rec("t", "c", null, 0)]);
    const one = await broker.consumer({ groupId: "g", topics: ["t"] });
    expect(await pollAll(one)).toEqual(expect.arrayContaining(["0:0:a", "0:1:c", "1:0:b"]));
    await one.commit([{ topic: "t", partition: 0, offset: 1 }]);
    // Crash: close without committing the rest; a new member starts from the commits.
    await one.close();
    const two = await broker.consumer({ groupId: "g", topics: ["t"] });
    expect((await pollAll(two)).sort()).toEqual(["0:1:c", "1:0:b"]);
  });

  it("moves a partition away only after its owner ran the revoked callback", async () => {
    const broker = new EmbeddedBroker();
    await broker.createTopics([{ name: "t", partitions: 2 }]);
    const events: string[] = [];
    const listener = (name: string) => ({
      assigned: (tps: readonly TopicPartition[]) => void events.push(`${name} +${tps.map((t) => t.partition).join(",")}`),
      revoked: (tps: readonly TopicPartition[]) => void events.push(`${name} -${tps.map((t) => t.partition).join(",")}`),
    });
    const a = await broker.consumer({ groupId: "g", topics: ["t"], listener: listener("a") });
    await pollAll(a);
    expect(a.assignment()).toHaveLength(2);
    const b = await broker.consumer({ groupId: "g", topics: ["t"], listener: listener("b") });
    // b gets nothing until a has given partition 1 up.
    expect(await pollAll(b)).toEqual([]);
    expect(b.assignment()).toHaveLength(0);
    await pollAll(a);
    await pollAll(b);
    expect(a.assignment().map((t) => t.partition)).toEqual([0]);
    expect(b.assignment().map((t) => t.partition)).toEqual([1]);
    expect(events).toEqual(["a +0,1", "a -1", "b +1"]);
    // A closed member's partitions move at once.
    await a.close();
    await pollAll(b);
    expect(b.assignment().map((t) => t.partition).sort()).toEqual([0, 1]);
  });

  it("refuses commits for partitions the member does not own", async () => {
    const broker = new EmbeddedBroker();
    await broker.createTopics([{ name: "t", partitions: 2 }]);
    const a = await broker.consumer({ groupId: "g", topics: ["t"] });
    await pollAll(a);
    const b = await broker.consumer({ groupId: "g", topics: ["t"] });
    await pollAll(a);
    await pollAll(b);
    await expect(a.commit([{ topic: "t", partition: 1, offset: 0 }])).rejects.toBeInstanceOf(CommitFailedError);
  });

  it("pauses, resumes and wakes up a waiting poll", async () => {
    const broker = new EmbeddedBroker();
    await broker.createTopics([{ name: "t", partitions: 1 }]);
    const c = await broker.consumer({ groupId: "g", topics: ["t"] });
    await pollAll(c);
    c.pause([{ topic: "t", partition: 0 }]);
    const producer = await broker.producer();
    await producer.send([rec("t", "x")]);
    expect(await pollAll(c)).toEqual([]);
    const waiting = c.poll({ maxRecords: 10 });
    c.resume([{ topic: "t", partition: 0 }]);
    expect((await waiting).flatMap((b) => b.records.map((r) => r.value))).toEqual(["x"]);
    const idle = c.poll({ maxRecords: 10 });
    c.wakeup();
    expect(await idle).toEqual([]);
  });

  it("times a poll out on its clock", async () => {
    const clock = new VirtualClock();
    const broker = new EmbeddedBroker({ clock });
    await broker.createTopics([{ name: "t", partitions: 1 }]);
    const c = await broker.consumer({ groupId: "g", topics: ["t"] });
    const polled = c.poll({ maxRecords: 10, maxWaitMs: 100 });
    await new Promise((r) => setImmediate(r));
    clock.advance(100);
    expect(await polled).toEqual([]);
  });
});

describe("embedded broker: transactions", () => {
  it("makes records and offsets visible together, or not at all", async () => {
    const broker = new EmbeddedBroker();
    await broker.createTopics([
      { name: "in", partitions: 1 },
      { name: "out", partitions: 1 },
    ]);
    await (await broker.producer()).send([rec("in", "a"), rec("in", "b")]);
    const consumer = await broker.consumer({ groupId: "g", topics: ["in"] });
    await pollAll(consumer);
    const producer = await broker.producer({ transactionalId: "w/in/0" });

    const aborted = await producer.transaction();
    await aborted.send([rec("out", "A")]);
    await aborted.sendOffsets(consumer, [{ topic: "in", partition: 0, offset: 1 }]);
    await aborted.abort();
    expect(broker.readAll("out")).toEqual([]);
    expect(broker.committedNow("g", "in")).toEqual([undefined]);

    const txn = await producer.transaction();
    await txn.send([rec("out", "A")]);
    await txn.sendOffsets(consumer, [{ topic: "in", partition: 0, offset: 1 }]);
    expect(broker.readAll("out")).toEqual([]);
    await txn.commit();
    expect(broker.readAll("out").map((r) => r.value)).toEqual(["A"]);
    expect(broker.committedNow("g", "in")).toEqual([1]);
  });

  it("fences an older producer with the same transactional id", async () => {
    const broker = new EmbeddedBroker();
    await broker.createTopics([{ name: "out", partitions: 1 }]);
    const old = await broker.producer({ transactionalId: "w/in/0" });
    const txn = await old.transaction();
    await txn.send([rec("out", "zombie")]);
    await broker.producer({ transactionalId: "w/in/0" });
    await expect(txn.commit()).rejects.toBeInstanceOf(ProducerFencedError);
    expect(broker.readAll("out")).toEqual([]);
  });

  it("aborts the open transaction when its producer closes (a crash)", async () => {
    const broker = new EmbeddedBroker();
    await broker.createTopics([{ name: "out", partitions: 1 }]);
    const producer = await broker.producer({ transactionalId: "x" });
    const txn = await producer.transaction();
    await txn.send([rec("out", "lost")]);
    await producer.close();
    await expect(txn.commit()).rejects.toThrow();
    expect(broker.readAll("out")).toEqual([]);
  });
});

describe("embedded broker: retention", () => {
  it("deletes records every interested group has committed past", async () => {
    const broker = new EmbeddedBroker();
    await broker.createTopics([{ name: "t", partitions: 1 }]);
    const a = await broker.consumer({ groupId: "a", topics: ["t"] });
    const b = await broker.consumer({ groupId: "b", topics: ["t"] });
    await (await broker.producer()).send([rec("t", "1"), rec("t", "2"), rec("t", "3")]);
    await pollAll(a);
    await pollAll(b);
    await a.commit([{ topic: "t", partition: 0, offset: 3 }]);
    expect(broker.watermarksNow("t")[0]).toEqual({ partition: 0, low: 0, high: 3 });
    await b.commit([{ topic: "t", partition: 0, offset: 2 }]);
    expect(broker.watermarksNow("t")[0]).toEqual({ partition: 0, low: 2, high: 3 });
    expect(broker.storedRecords()).toBe(1);
  });

  it("keeps everything on retainAll topics and caps maxRecordsPerPartition topics", async () => {
    const broker = new EmbeddedBroker();
    await broker.createTopics([
      { name: "dlq", partitions: 1, retainAll: true },
      { name: "state", partitions: 1, maxRecordsPerPartition: 2 },
    ]);
    const c = await broker.consumer({ groupId: "g", topics: ["dlq"] });
    const p = await broker.producer();
    await p.send([rec("dlq", "x"), rec("state", "1"), rec("state", "2"), rec("state", "3")]);
    await pollAll(c);
    await c.commit([{ topic: "dlq", partition: 0, offset: 1 }]);
    expect(broker.readAll("dlq")).toHaveLength(1);
    expect(broker.readAll("state").map((r) => r.value)).toEqual(["2", "3"]);
  });
});
