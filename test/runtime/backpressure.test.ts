import { describe, expect, it } from "vitest";
import { runPipeline } from "../../runtime/pipeline.js";
import { defineWorker } from "../../runtime/worker.js";
import { Headers } from "../../stdlib/headers.js";
import { copy, emit, shard } from "../../stdlib/route.js";
import { decodeMsg, embedded, type Msg } from "./helpers.js";

describe("backpressure", () => {
  it("runs an input far larger than its buffers in bounded broker memory", async () => {
    const { clock, broker } = embedded();
    const total = 30_000;
    let peakStored = 0;
    const sample = () => {
      peakStored = Math.max(peakStored, broker.storedRecords());
    };
    const route = defineWorker<Msg>({
      id: "route",
      input: { topic: "in", decode: decodeMsg },
      route: copy("route/copy", {
        a: shard("route/a", 10, (m) => m.id, emit("out", { stage: "merge" })),
        b: shard("route/b", 10, (m) => m.id, emit("out", { stage: "merge" })),
        c: shard("route/c", 10, (m) => m.id, emit("out", { stage: "merge" })),
      }),
    });
    const seen = new Set<string>();
    const summary = await runPipeline({
      workers: [route],
      transport: broker,
      clock,
      maxInFlight: 200,
      maxSourceLag: 1_000,
      sources: [
        {
          topic: "in",
          records: (function* () {
            for (let n = 0; n < total; n++) {
              if (n % 100 === 0) sample();
              yield { value: { id: `m${n}`, n } };
            }
          })(),
        },
      ],
      sinks: {
        onRecord(_topic, record) {
          seen.add(record.headers[Headers.id]);
          if (seen.size % 100 === 0) sample();
        },
      },
    });
    expect(seen.size).toBe(3 * total);
    expect(summary.sinks).toEqual([{ topic: "out", records: 3 * total }]);
    // Source lag, one flush of outputs not yet collected, and the dedupe marks; not the input.
    expect(peakStored).toBeLessThan(6_000);
    expect(broker.storedRecords()).toBeLessThan(1_000);
  });
});
