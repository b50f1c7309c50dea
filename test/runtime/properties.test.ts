import { describe } from "vitest";
import { EmbeddedBroker } from "../../runtime/embedded/broker.js";
import { routingProperties } from "./properties.js";

describe("routing properties on the embedded broker", () => {
  routingProperties(() => new EmbeddedBroker(), {
    numRuns: Number(process.env.FLOWC_PROPERTY_RUNS ?? 1000),
    seed: process.env.FLOWC_PROPERTY_SEED === undefined ? undefined : Number(process.env.FLOWC_PROPERTY_SEED),
  });
});
