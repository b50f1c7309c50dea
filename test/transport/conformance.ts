/**
 * The transport contract (runtime/transport.ts) as one suite, run against every
 * implementation: the embedded broker (test/transport/embedded.test.ts) and real Kafka
 * (test/kafka/transport.test.ts). Only the interface is used; where Kafka legitimately differs
 * (offset gaps after transaction markers, eager revocation that revokes more than what moves)
 * the assertions accept both.
 *
 *   transportConformance({ open: () => new EmbeddedBroker(), settleMs: 200 });
 *
 * Call it inside a `describe`.
 */
import { afterEach, expect, it } from "vitest";
import {
  ClosedError,
  CommitFailedError,
  ProducerFencedError,
  TopicMismatchError,
  UnknownTopicError,
  type ConsumedRecord,
  type Consumer,
  type ProducerRecord,
  type TopicPartition,
  type Transport,
} from "../../runtime/transport.js";
import { partitionForKey } from "../../stdlib/murmur2.js";

export interface ConformanceTarget {
  /** A transport whose topic and group names collide with no other test's (fresh per call). */
  open(): Transport | Promise<Transport>;
  /** Called after each test with the transports it opened (delete topics, close). */
  dispose?(transport: Transport): Promise<void>;
  /** How long a group change (join, leave, close) may take to settle. */
  readonly rebalanceMs: number;
  /** Per-test timeout. */
  readonly timeoutMs?: number;
  /**
   * Tests this implementation is known to fail (a documented difference from Kafka). They run
   * as `it.fails`: the suite stays green, and a fix makes them fail so the entry gets removed.
   */
  readonly knownDifferences?: readonly string[];
}

export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const tpKey = (tp: TopicPartition) => `${tp.topic}/${tp.partition}`;

/**
 * A group member driven like the runtime drives one: a loop polling with a short wait, keeping
 * what it got, optionally committing it, and logging its rebalance callbacks.
 */
export class Member {
  readonly records: ConsumedRecord[] = [];
  readonly events: string[] = [];
  readonly revoked: TopicPartition[][] = [];
  readonly assigned: TopicPartition[][] = [];
  consumer!: Consumer;
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  /** Next offset to commit per partition (what was handed out). */
  readonly progress = new Map<string, { topic: string; partition: number; offset: number }>();
  error: unknown;

  constructor(
    readonly name: string,
    private readonly options: {
      /** Commit everything received after each poll. */
      readonly autoCommit?: boolean;
      /** Commit what was received inside `revoked`. */
      readonly commitOnRevoke?: boolean;
    } = {},
  ) {}

  static async join(
    transport: Transport,
    name: string,
    groupId: string,
    topics: readonly string[],
    options: ConstructorParameters<typeof Member>[1] = {},
  ): Promise<Member> {
    const m = new Member(name, options);
    m.consumer = await transport.consumer({
      groupId,
      topics,
      clientId: name,
      listener: {
        assigned: (tps) => {
          m.assigned.push([...tps]);
          m.events.push(`+${tps.map(tpKey).join(",")}`);
        },
        revoked: async (tps) => {
          m.revoked.push([...tps]);
          m.events.push(`-${tps.map(tpKey).join(",")}`);
          if (m.options.commitOnRevoke) {
            const mine = tps.map((tp) => m.progress.get(tpKey(tp))).filter((p) => p !== undefined);
            if (mine.length > 0) await m.consumer.commit(mine);
          }
          for (const tp of tps) m.progress.delete(tpKey(tp));
        },
      },
    });
    m.start();
    return m;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const batches = await this.consumer.poll({ maxRecords: 200, maxWaitMs: 100 });
        for (const b of batches) {
          for (const r of b.records) this.records.push(r);
          const last = b.records[b.records.length - 1];
          if (last) this.progress.set(tpKey(b), { topic: b.topic, partition: b.partition, offset: last.offset + 1 });
        }
        if (this.options.autoCommit && batches.length > 0) {
          await this.consumer.commit(batches.map((b) => ({ topic: b.topic, partition: b.partition, offset: b.records[b.records.length - 1].offset + 1 })));
        }
      }
    })().catch((error: unknown) => {
      this.error = error;
      this.running = false;
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    this.consumer.wakeup();
    await this.loop;
  }

  async close(): Promise<void> {
    await this.stop();
    await this.consumer.close();
  }

  owns(): string[] {
    return this.consumer.assignment().map(tpKey).sort();
  }

  values(): string[] {
    return this.records.map((r) => r.value ?? "<null>");
  }
}

let counter = 0;

export function transportConformance(target: ConformanceTarget): void {
  const timeout = target.timeoutMs ?? 60_000;
  const known = new Set(target.knownDifferences ?? []);
  const test = (title: string, fn: (ctx: { skip: () => void }) => Promise<void>, ms: number) =>
    known.has(title) ? it.fails(`[known difference] ${title}`, fn, ms) : it(title, fn, ms);
  const opened: Transport[] = [];
  const members: Member[] = [];
  const settle = target.rebalanceMs;

  const open = async (): Promise<Transport> => {
    const t = await target.open();
    opened.push(t);
    return t;
  };
  const join = async (...args: Parameters<typeof Member.join>): Promise<Member> => {
    const m = await Member.join(...args);
    members.push(m);
    return m;
  };
  const name = (what: string) => `${what}-${++counter}`;

  afterEach(async () => {
    for (const m of members.splice(0)) await m.close().catch(() => {});
    for (const t of opened.splice(0)) {
      if (target.dispose) await target.dispose(t);
      else await t.close();
    }
  });

  const send = async (t: Transport, records: readonly ProducerRecord[]) => {
    const p = await t.producer();
    try {
      await p.send(records);
    } finally {
      await p.close();
    }
  };
  const readAll = async (t: Transport, topic: string): Promise<ConsumedRecord[]> => {
    const out: ConsumedRecord[] = [];
    for (const m of await t.watermarks(topic)) {
      let next = m.low;
      while (next < m.high) {
        const got = await t.read(topic, m.partition, next, 1000);
        if (got.length === 0) break;
        out.push(...got);
        next = got[got.length - 1].offset + 1;
      }
    }
    return out;
  };
  const disjointCover = (owners: readonly Member[], topic: string, partitions: number) => {
    const all = owners.flatMap((m) => m.owns());
    const want = Array.from({ length: partitions }, (_, p) => `${topic}/${p}`).sort();
    return all.length === want.length && [...all].sort().join() === want.join();
  };

  // ---- logs and placement -------------------------------------------------------------------

  test(
    "places keyed records with Kafka's murmur2 partitioner and honours explicit partitions",
    async () => {
      const t = await open();
      const topic = name("placement");
      await t.createTopics([{ name: topic, partitions: 6 }]);
      const keys = Array.from({ length: 300 }, (_, i) => `key-${i}-${"é".repeat(i % 3)}`);
      await send(t, [
        ...keys.map((key) => ({ topic, key, value: `v:${key}` })),
        { topic, key: "pinned", value: "explicit", partition: 4 },
        { topic, key: null, value: "explicit-null", partition: 1 },
      ]);
      const all = await readAll(t, topic);
      expect(all).toHaveLength(302);
      for (const r of all) {
        if (r.value === "explicit") expect(r.partition).toBe(4);
        else if (r.value === "explicit-null") expect(r.partition).toBe(1);
        else expect(r.partition, `key ${r.key}`).toBe(partitionForKey(r.key!, 6));
      }
    },
    timeout,
  );

  test(
    "gives each partition increasing offsets, keeps order per key, round-trips keys, values and headers",
    async () => {
      const t = await open();
      const topic = name("offsets");
      await t.createTopics([{ name: topic, partitions: 3 }]);
      const before = Date.now();
      const records: ProducerRecord[] = [];
      for (let i = 0; i < 200; i++) records.push({ topic, key: `k${i % 7}`, value: `${i}`, headers: { n: String(i), kind: "test" } });
      records.push({ topic, key: "tomb", value: null });
      await send(t, records.slice(0, 100));
      await send(t, records.slice(100));
      const all = await readAll(t, topic);
      expect(all).toHaveLength(201);
      for (let p = 0; p < 3; p++) {
        const offsets = all.filter((r) => r.partition === p).map((r) => r.offset);
        for (let i = 1; i < offsets.length; i++) expect(offsets[i]).toBeGreaterThan(offsets[i - 1]);
      }
      for (let k = 0; k < 7; k++) {
        const values = all.filter((r) => r.key === `k${k}`).map((r) => Number(r.value));
        expect(values).toEqual([...values].sort((a, b) => a - b));
      }
      const r42 = all.find((r) => r.value === "42")!;
      expect(r42.headers).toMatchObject({ n: "42", kind: "test" });
      expect(r42.key).toBe("k0");
      expect(r42.timestamp).toBeGreaterThanOrEqual(before - 60_000);
      expect(all.find((r) => r.key === "tomb")!.value).toBeNull();
      const marks = await t.watermarks(topic);
      expect(marks.map((m) => m.partition)).toEqual([0, 1, 2]);
      for (const m of marks) expect(m.high - m.low).toBe(all.filter((r) => r.partition === m.partition).length);
      // read from the middle: records from that offset on, at most maxRecords.
      const p = r42.partition;
      const tail = await t.read(topic, p, r42.offset, 5);
      expect(tail[0].offset).toBe(r42.offset);
      expect(tail.length).toBeLessThanOrEqual(5);
    },
    timeout,
  );

  test(
    "creates topics idempotently, rejects a different partition count, describes only existing topics",
    async () => {
      const t = await open();
      const topic = name("topics");
      await t.createTopics([{ name: topic, partitions: 2 }]);
      await t.createTopics([{ name: topic, partitions: 2 }]);
      await expect(t.createTopics([{ name: topic, partitions: 3 }])).rejects.toBeInstanceOf(TopicMismatchError);
      const missing = name("missing");
      const found = await t.describeTopics([topic, missing]);
      expect([...found.keys()]).toEqual([topic]);
      expect(found.get(topic)).toEqual({ partitions: 2 });
      await expect(t.watermarks(missing)).rejects.toBeInstanceOf(UnknownTopicError);
      await expect(t.consumer({ groupId: name("g"), topics: [missing] })).rejects.toBeInstanceOf(UnknownTopicError);
      // Asking did not create it.
      expect((await t.describeTopics([missing])).size).toBe(0);
    },
    timeout,
  );

  // ---- groups -------------------------------------------------------------------------------

  test(
    "shares partitions among 3 members, disjointly, and hands a closed member's partitions over",
    async () => {
      const t = await open();
      const topic = name("group");
      const group = name("g");
      await t.createTopics([{ name: topic, partitions: 6 }]);
      const a = await join(t, "a", group, [topic], { autoCommit: true });
      await waitFor("a owns all 6", () => a.owns().length === 6, settle);
      const b = await join(t, "b", group, [topic], { autoCommit: true });
      const c = await join(t, "c", group, [topic], { autoCommit: true });
      await waitFor("a, b, c share the 6 partitions", () => disjointCover([a, b, c], topic, 6) && [a, b, c].every((m) => m.owns().length === 2), settle * 3);
      await send(t, Array.from({ length: 120 }, (_, i) => ({ topic, key: `k${i}`, value: `${i}` })));
      await waitFor("120 records consumed", () => a.records.length + b.records.length + c.records.length >= 120, settle * 2);
      // Each record went to the member that owns its partition.
      for (const m of [a, b, c]) for (const r of m.records) expect(m.owns()).toContain(`${topic}/${r.partition}`);
      const everything = [a, b, c].flatMap((m) => m.values()).sort();
      expect(everything).toEqual(Array.from({ length: 120 }, (_, i) => `${i}`).sort());

      await c.close();
      await waitFor("a and b cover all 6 after c closed", () => disjointCover([a, b], topic, 6), settle * 2);
      await send(t, Array.from({ length: 60 }, (_, i) => ({ topic, key: `k${i}`, value: `late-${i}` })));
      await waitFor("late records consumed", () => [a, b].flatMap((m) => m.values()).filter((v) => v.startsWith("late-")).length >= 60, settle * 2);
      const late = [a, b].flatMap((m) => m.values()).filter((v) => v.startsWith("late-"));
      expect(late.sort()).toEqual(Array.from({ length: 60 }, (_, i) => `late-${i}`).sort());
      expect(a.error ?? b.error ?? c.error).toBeUndefined();
    },
    timeout,
  );

  test(
    "redelivers what a member did not commit, from the committed offset, after it closes",
    async () => {
      const t = await open();
      const topic = name("redeliver");
      const group = name("g");
      await t.createTopics([{ name: topic, partitions: 2 }]);
      await send(t, Array.from({ length: 40 }, (_, i) => ({ topic, key: null, value: `${i}`, partition: i % 2 })));
      const a = await join(t, "a", group, [topic]);
      await waitFor("a got 40", () => a.records.length >= 40, settle * 2);
      const p0 = a.records.filter((r) => r.partition === 0);
      // Commit the first 5 of partition 0 only, then "crash".
      await a.consumer.commit([{ topic, partition: 0, offset: p0[5].offset }]);
      expect(await t.committed(group, topic)).toEqual([p0[5].offset, undefined]);
      await a.close();
      const b = await join(t, "b", group, [topic]);
      await waitFor("b got 35", () => b.records.length >= 35, settle * 2);
      await new Promise((r) => setTimeout(r, 200));
      const got = b.values().map(Number).sort((x, y) => x - y);
      const want = Array.from({ length: 40 }, (_, i) => i).filter((i) => !(i % 2 === 0 && i < 10));
      expect(got).toEqual(want);
    },
    timeout,
  );

  test(
    "a new group reads from the start of the log, whatever other groups committed",
    async () => {
      const t = await open();
      const topic = name("fresh");
      await t.createTopics([{ name: topic, partitions: 2 }]);
      await send(t, Array.from({ length: 40 }, (_, i) => ({ topic, key: null, value: `${i}`, partition: i % 2 })));
      const a = await join(t, "a", name("g"), [topic], { autoCommit: true });
      await waitFor("a got 40", () => a.records.length >= 40, settle * 2);
      await waitFor("a committed everything", async () => (await t.committed(a.consumer.groupId, topic)).every((c) => c !== undefined && c >= 20), settle);
      const fresh = await join(t, "fresh", name("other"), [topic]);
      await waitFor("fresh group got 40", () => fresh.records.length >= 40, settle * 2);
      expect(fresh.values().map(Number).sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    },
    timeout,
  );

  test(
    "runs revoked before partitions move, lets the member commit there, and the next owner starts at that commit",
    async () => {
      const t = await open();
      const topic = name("revoke");
      const group = name("g");
      await t.createTopics([{ name: topic, partitions: 4 }]);
      await send(t, Array.from({ length: 80 }, (_, i) => ({ topic, key: null, value: `${i}`, partition: i % 4 })));
      const a = await join(t, "a", group, [topic], { commitOnRevoke: true });
      await waitFor("a got 80", () => a.records.length >= 80, settle * 2);
      expect(a.assigned.flat().map(tpKey).sort()).toEqual([0, 1, 2, 3].map((p) => `${topic}/${p}`));
      const b = await join(t, "b", group, [topic], { commitOnRevoke: true });
      await waitFor("a and b split the 4 partitions", () => disjointCover([a, b], topic, 4) && b.owns().length === 2, settle * 3);
      // a was told about every partition it gave up (eager protocols revoke more), before b got it.
      const revokedByA = new Set(a.revoked.flat().map(tpKey));
      for (const tp of b.owns()) expect(revokedByA.has(tp)).toBe(true);
      // What a committed in revoked holds: b starts past it, so nothing is delivered twice.
      await new Promise((r) => setTimeout(r, 300));
      expect(b.records).toHaveLength(0);
      const committed = await t.committed(group, topic);
      for (const tp of b.consumer.assignment()) expect(committed[tp.partition], `partition ${tp.partition}`).toBeGreaterThanOrEqual(20);
      expect(a.error ?? b.error).toBeUndefined();
    },
    timeout,
  );

  test(
    "fails a commit for a partition the member does not own, and any call after close",
    async () => {
      const t = await open();
      const topic = name("owned");
      const other = name("other");
      const group = name("g");
      await t.createTopics([
        { name: topic, partitions: 2 },
        { name: other, partitions: 1 },
      ]);
      const a = await join(t, "a", group, [topic]);
      await waitFor("a owns 2", () => a.owns().length === 2, settle);
      await expect(a.consumer.commit([{ topic: other, partition: 0, offset: 1 }])).rejects.toBeInstanceOf(CommitFailedError);
      await a.consumer.commit([{ topic, partition: 0, offset: 0 }]);
      const b = await join(t, "b", group, [topic]);
      await waitFor("a and b own one each", () => a.owns().length === 1 && b.owns().length === 1, settle * 3);
      const bs = b.consumer.assignment()[0];
      await expect(a.consumer.commit([{ ...bs, offset: 1 }])).rejects.toBeInstanceOf(CommitFailedError);
      await expect(a.consumer.commit([{ ...bs, offset: 0 }])).rejects.toBeInstanceOf(CommitFailedError);
      await b.consumer.commit([{ ...bs, offset: 0 }]);
      await a.close();
      await expect(a.consumer.commit([{ topic, partition: 0, offset: 0 }])).rejects.toBeInstanceOf(ClosedError);
      await expect(a.consumer.poll({ maxRecords: 1, maxWaitMs: 10 })).rejects.toBeInstanceOf(ClosedError);
    },
    timeout,
  );

  test(
    "pauses and resumes partitions without losing what they hold; wakeup and maxWaitMs end a waiting poll",
    async () => {
      const t = await open();
      const topic = name("pause");
      await t.createTopics([{ name: topic, partitions: 2 }]);
      const consumer = await t.consumer({ groupId: name("g"), topics: [topic] });
      const seen: ConsumedRecord[] = [];
      const drain = async (ms: number) => {
        const until = Date.now() + ms;
        while (Date.now() < until) for (const b of await consumer.poll({ maxRecords: 100, maxWaitMs: 50 })) seen.push(...b.records);
      };
      await waitFor("assigned", async () => (await drain(50), consumer.assignment().length === 2), settle);
      consumer.pause([{ topic, partition: 0 }]);
      await send(t, Array.from({ length: 20 }, (_, i) => ({ topic, key: null, value: `${i}`, partition: i % 2 })));
      await drain(1_000);
      expect(seen.map((r) => r.partition)).not.toContain(0);
      expect(seen.filter((r) => r.partition === 1)).toHaveLength(10);
      consumer.resume([{ topic, partition: 0 }]);
      await waitFor("partition 0 after resume", async () => (await drain(50), seen.length >= 20), settle);
      expect(seen.filter((r) => r.partition === 0).map((r) => r.value)).toEqual(["0", "2", "4", "6", "8", "10", "12", "14", "16", "18"]);

      // maxWaitMs: an empty poll returns.
      const started = Date.now();
      expect(await consumer.poll({ maxRecords: 10, maxWaitMs: 100 })).toEqual([]);
      expect(Date.now() - started).toBeLessThan(5_000);
      // wakeup: a poll without maxWaitMs returns [] at once.
      const waiting = consumer.poll({ maxRecords: 10 });
      setTimeout(() => consumer.wakeup(), 50);
      expect(await waiting).toEqual([]);
      await consumer.close();
    },
    timeout,
  );

  // ---- transactions -------------------------------------------------------------------------

  test(
    "makes transactional records and offsets visible together at commit, never after abort",
    async (ctx) => {
      const t = await open();
      if (!t.capabilities.transactions) return ctx.skip();
      const input = name("txin");
      const output = name("txout");
      const group = name("g");
      await t.createTopics([
        { name: input, partitions: 1 },
        { name: output, partitions: 2 },
      ]);
      await send(t, Array.from({ length: 10 }, (_, i) => ({ topic: input, key: null, value: `in-${i}`, partition: 0 })));
      const a = await join(t, "a", group, [input]);
      await waitFor("a got 10", () => a.records.length >= 10, settle * 2);
      await a.stop();
      const producer = await t.producer({ transactionalId: name("tx") });

      const txn = await producer.transaction();
      await txn.send([
        { topic: output, key: "x", value: "committed-1", partition: 0 },
        { topic: output, key: "y", value: "committed-2", partition: 1 },
      ]);
      await txn.sendOffsets(a.consumer, [{ topic: input, partition: 0, offset: 5 }]);
      // Nothing visible before the commit.
      expect((await readAll(t, output)).map((r) => r.value)).toEqual([]);
      expect(await t.committed(group, input)).toEqual([undefined]);
      await txn.commit();
      // Kafka writes the commit markers after EndTxn returns (3.9 visibly so): a read_committed
      // reader sees the records once the markers land, so wait for them rather than race them.
      let visible: (string | null)[] = [];
      for (let i = 0; i < 50 && visible.length < 2; i++) {
        visible = (await readAll(t, output)).map((r) => r.value);
        if (visible.length < 2) await new Promise((r) => setTimeout(r, 100));
      }
      expect(visible.sort()).toEqual(["committed-1", "committed-2"]);
      expect(await t.committed(group, input)).toEqual([5]);

      const aborted = await producer.transaction();
      await aborted.send([{ topic: output, key: "x", value: "aborted", partition: 0 }]);
      await aborted.sendOffsets(a.consumer, [{ topic: input, partition: 0, offset: 8 }]);
      await aborted.abort();
      expect((await readAll(t, output)).map((r) => r.value).sort()).toEqual(["committed-1", "committed-2"]);
      expect(await t.committed(group, input)).toEqual([5]);

      // A group reading the output sees only committed records, and can commit up to the end.
      const reader = await join(t, "reader", name("readers"), [output], { autoCommit: true });
      await waitFor("reader got 2", () => reader.records.length >= 2, settle * 2);
      await new Promise((r) => setTimeout(r, 300));
      expect(reader.values().sort()).toEqual(["committed-1", "committed-2"]);
      await producer.close();
    },
    timeout,
  );

  test(
    "lets a group reading a transactional topic commit up to the log end (past commit markers)",
    async (ctx) => {
      const t = await open();
      if (!t.capabilities.transactions) return ctx.skip();
      const topic = name("marked");
      const group = name("g");
      await t.createTopics([{ name: topic, partitions: 1 }]);
      const producer = await t.producer({ transactionalId: name("tx") });
      for (let i = 0; i < 3; i++) {
        const txn = await producer.transaction();
        await txn.send([{ topic, key: null, value: `v${i}`, partition: 0 }]);
        await txn.commit();
      }
      const m = await join(t, "m", group, [topic], { autoCommit: true });
      await waitFor("3 records", () => m.records.length >= 3, settle * 2);
      await waitFor(
        "committed reaches the log end",
        async () => {
          const [marks, committed] = await Promise.all([t.watermarks(topic), t.committed(group, topic)]);
          return (committed[0] ?? -1) >= marks[0].high;
        },
        settle * 2,
      );
      await producer.close();
    },
    timeout,
  );

  test(
    "fences the older producer when a transactional id is opened again",
    async (ctx) => {
      const t = await open();
      if (!t.capabilities.transactions) return ctx.skip();
      const topic = name("fence");
      await t.createTopics([{ name: topic, partitions: 1 }]);
      const id = name("tx");
      const old = await t.producer({ transactionalId: id });
      const txn = await old.transaction();
      await txn.send([{ topic, key: null, value: "zombie", partition: 0 }]);
      const fresh = await t.producer({ transactionalId: id });
      await expect(txn.commit()).rejects.toBeInstanceOf(ProducerFencedError);
      const next = await fresh.transaction();
      await next.send([{ topic, key: null, value: "live", partition: 0 }]);
      await next.commit();
      expect((await readAll(t, topic)).map((r) => r.value)).toEqual(["live"]);
      // The fenced producer stays unusable.
      await expect((async () => {
        const again = await old.transaction();
        await again.send([{ topic, key: null, value: "zombie-2", partition: 0 }]);
        await again.commit();
      })()).rejects.toBeInstanceOf(ProducerFencedError);
      expect((await readAll(t, topic)).map((r) => r.value)).toEqual(["live"]);
      await old.close();
      await fresh.close();
    },
    timeout,
  );

  test(
    "refuses transactional offsets for a partition the consumer does not own",
    async (ctx) => {
      const t = await open();
      if (!t.capabilities.transactions) return ctx.skip();
      const topic = name("txowned");
      const other = name("txother");
      await t.createTopics([
        { name: topic, partitions: 1 },
        { name: other, partitions: 1 },
      ]);
      const a = await join(t, "a", name("g"), [topic]);
      await waitFor("a owns 1", () => a.owns().length === 1, settle);
      const producer = await t.producer({ transactionalId: name("tx") });
      const txn = await producer.transaction();
      await txn.send([{ topic: other, key: null, value: "x", partition: 0 }]);
      await expect(
        (async () => {
          await txn.sendOffsets(a.consumer, [{ topic: other, partition: 0, offset: 1 }]);
          await txn.commit();
        })(),
      ).rejects.toBeInstanceOf(CommitFailedError);
      await txn.abort();
      expect(await readAll(t, other)).toEqual([]);
      await producer.close();
    },
    timeout,
  );
}
