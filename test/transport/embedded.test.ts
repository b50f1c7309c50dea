import { describe } from "vitest";
import { EmbeddedBroker } from "../../runtime/embedded/broker.js";
import { transportConformance } from "./conformance.js";

describe("transport conformance: embedded broker (defaults)", () => {
  transportConformance({
    open: () => new EmbeddedBroker(),
    rebalanceMs: 2_000,
    timeoutMs: 20_000,
    // truncateCommitted (the default) deletes records once every group that ever read the
    // topic committed past them; Kafka keeps them until retention, so a later group sees them.
    knownDifferences: ["a new group reads from the start of the log, whatever other groups committed"],
  });
});

describe("transport conformance: embedded broker (truncateCommitted: false)", () => {
  transportConformance({ open: () => new EmbeddedBroker({ truncateCommitted: false }), rebalanceMs: 2_000, timeoutMs: 20_000 });
});
