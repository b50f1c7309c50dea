import { describe } from "vitest";
import type { KafkaTransport } from "../../runtime/kafka/index.js";
import type { Transport } from "../../runtime/transport.js";
import { transportConformance } from "../transport/conformance.js";
import { disposeTransport, isolatedTransport, kafka, reportSkip } from "./helpers.js";

reportSkip("the Kafka transport conformance suite");

describe.skipIf(!kafka.available)(`transport conformance: Kafka ${kafka.version} (kafkajs)`, () => {
  transportConformance({
    open: () => isolatedTransport("conf"),
    dispose: (t: Transport) => disposeTransport(t as KafkaTransport),
    rebalanceMs: 15_000,
    timeoutMs: 120_000,
  });
});
