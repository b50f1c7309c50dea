import { afterAll, describe } from "vitest";
import type { KafkaTransport } from "../../runtime/kafka/index.js";
import { routingProperties } from "../runtime/properties.js";
import { disposeTransport, isolatedTransport, kafka, reportSkip } from "./helpers.js";

reportSkip("the routing properties on Kafka");

/**
 * The runtime's routing properties (test/runtime/properties.ts) on the real broker: random
 * pipelines, inputs with duplicates, poison and flaky messages, crashes at every flush step,
 * both delivery modes. Each case gets its own topic and group namespace; the previous case's
 * topics are deleted when the next one starts.
 */
describe.skipIf(!kafka.available)(`routing properties on Kafka ${kafka.version}`, () => {
  const live: KafkaTransport[] = [];
  const dispose = async (transports: KafkaTransport[]) => {
    await Promise.all(transports.map((t) => disposeTransport(t).catch(() => {})));
  };
  afterAll(() => dispose(live.splice(0)));
  routingProperties(
    async () => {
      // A case is over when the next transport is asked for: clean up all but the newest.
      await dispose(live.splice(0, Math.max(0, live.length - 1)));
      const t = isolatedTransport("prop");
      live.push(t);
      return t;
    },
    {
      numRuns: Number(process.env.FLOWC_KAFKA_PROPERTY_RUNS ?? 50),
      realTime: true,
      timeoutMs: 30 * 60_000,
      seed: process.env.FLOWC_PROPERTY_SEED === undefined ? undefined : Number(process.env.FLOWC_PROPERTY_SEED),
    },
  );
});
