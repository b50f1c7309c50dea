import { describe, expect, it } from "vitest";
import { EmbeddedBroker } from "../../runtime/embedded/broker.js";
import type { PollOptions, Producer, Transport } from "../../runtime/transport.js";
import { execute, type Program } from "./properties.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Network latency where the race lives: writes to state topics (the dedupe marks) take
 * `markMs`, and records fetched from retry topics arrive `fetchMs` after they were stored. On
 * Kafka, a flush's requests are still in flight when another loop of the same worker crashes.
 */
function slowNetwork(broker: EmbeddedBroker, markMs: number, fetchMs: number): Transport {
  const wrap = (producer: Producer): Producer => {
    // A request on the wire is stored even if its client closes (or dies) meanwhile.
    const onTheWire = new Set<Promise<void>>();
    return {
      send(records) {
        const delay = records.some((r) => r.topic.endsWith(".state")) ? markMs : 0;
        const sent = sleep(delay).then(() => producer.send(records));
        onTheWire.add(sent);
        void sent.finally(() => onTheWire.delete(sent)).catch(() => {});
        return sent;
      },
      transaction: () => producer.transaction(),
      close: async () => {
        await Promise.allSettled(onTheWire);
        await producer.close();
      },
    };
  };
  return {
    kind: broker.kind,
    capabilities: broker.capabilities,
    createTopics: (specs) => broker.createTopics(specs),
    describeTopics: (names) => broker.describeTopics(names),
    watermarks: (topic) => broker.watermarks(topic),
    committed: (group, topic) => broker.committed(group, topic),
    read: (topic, partition, from, max) => broker.read(topic, partition, from, max),
    producer: async (options) => wrap(await broker.producer(options)),
    consumer: async (options) => {
      const consumer = await broker.consumer(options);
      return new Proxy(consumer, {
        get(target, property) {
          if (property === "poll") {
            return async (poll: PollOptions) => {
              const batches = await target.poll(poll);
              if (batches.some((b) => b.topic.includes(".retry-"))) await sleep(fetchMs);
              return batches;
            };
          }
          const value = Reflect.get(target, property, target) as unknown;
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
    },
    close: () => broker.close(),
  };
}

// Found by the Kafka property suite: one poison message in lane 0, whose handler fails it
// once (a retry record), then dead-letters it on the second attempt.
const program: Program = {
  root: { kind: "emit", to: { lane: 0 } },
  lanes: [0, 1, 2].map(() => ({
    kind: "map" as const,
    attempts: 2,
    tiers: 1,
    concurrency: 1,
    tree: { kind: "emit" as const, to: { sink: 0 } },
  })),
  sourcePartitions: 1,
  instances: [1, 1, 1, 1],
};

describe("a crash while a flush is in flight", () => {
  it("does not hand the partitions over before the flush's dedupe marks land", async () => {
    // Lane 0 crashes on its first poll, and again when it polls the retry record its flush
    // just wrote, while that flush's dedupe marks are still on their way. Leaving the group at
    // once would let the next owner read the dedupe state without them, handle the message a
    // second time and count it twice (the run fails with a ConservationError).
    const outcome = await execute({
      transport: slowNetwork(new EmbeddedBroker(), 100, 20),
      program,
      inputs: [{ n: 0, key: "k0", tag: "poison", malformed: false, copies: 1 }],
      once: false,
      crashes: [
        { worker: 1, point: "after-poll", nth: 1 },
        { worker: 1, point: "after-poll", nth: 3 },
      ],
      delivery: "at-least-once",
      seed: 0,
      ns: "race.",
      realTime: true,
    });
    expect(outcome.crashed).toHaveLength(2);
    const handler = outcome.summary.stages.find((s) => s.stage === "lane0/h")!;
    expect({ in: handler.in, retried: handler.retried, dead: handler.dead, inflight: handler.inflight }).toEqual({
      in: 1,
      retried: 1,
      dead: 1,
      inflight: 0,
    });
    expect(outcome.dead).toHaveLength(1);
  });
});
