import { createRequire } from "node:module";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeRecord, groupMessagesPerPartition, kafkajsRecordEncoder } from "../../runtime/kafka/client.js";

const require = createRequire(import.meta.url);
const bytes = (encoder: { buf: Buffer; offset: number }) => Buffer.from(encoder.buf.subarray(0, encoder.offset));

/** The replacements client.ts installs in kafkajs' producer path give kafkajs' own results. */
describe("kafkajs producer encoding replacements (no broker)", () => {
  it("are the modules kafkajs' produce request uses", () => {
    expect(require("kafkajs/src/protocol/recordBatch/record/v0/index.js")).toBe(encodeRecord);
    expect(require("kafkajs/src/producer/groupMessagesPerPartition.js")).toBe(groupMessagesPerPartition);
  });

  const field = fc.oneof(
    fc.constant(null),
    fc.string({ maxLength: 40 }),
    fc.string({ unit: "grapheme", maxLength: 40 }),
    fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
    fc.string({ minLength: 100, maxLength: 20_000 }),
  );
  const headerValue = fc.oneof(fc.string({ unit: "grapheme", maxLength: 60 }), fc.uint8Array({ maxLength: 50 }).map((a) => Buffer.from(a)));

  it("encode a record to the same bytes as kafkajs' encoder", () => {
    fc.assert(
      fc.property(
        fc.record({
          offsetDelta: fc.oneof(fc.nat(20_000), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })),
          timestampDelta: fc.oneof(fc.nat(60_000), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.constant(2 ** 40)),
          key: field,
          value: field,
          headers: fc.option(fc.dictionary(fc.string({ unit: "grapheme", maxLength: 20 }), headerValue, { maxKeys: 5 }), { nil: undefined }),
        }),
        (args) => {
          expect(bytes(encodeRecord(args))).toEqual(bytes(kafkajsRecordEncoder(args)));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("group messages per partition as kafkajs does", () => {
    // kafkajs/src/producer/groupMessagesPerPartition.js, transcribed.
    const kafkajsGroup = ({ topic, partitionMetadata, messages, partitioner }: Parameters<typeof groupMessagesPerPartition<number>>[0]) =>
      partitionMetadata.length === 0 ? {} : messages.reduce<Record<number, number[]>>((result, message) => {
        const partition = partitioner({ topic, partitionMetadata, message });
        const current = result[partition] || [];
        return Object.assign(result, { [partition]: [...current, message] });
      }, {});
    fc.assert(
      fc.property(fc.array(fc.nat(1000), { maxLength: 300 }), fc.integer({ min: 0, max: 12 }), (messages, partitions) => {
        const args = {
          topic: "t",
          partitionMetadata: Array.from({ length: partitions }, (_, i) => ({ partitionId: i })),
          messages,
          partitioner: ({ message }: { message: number }) => message % Math.max(1, partitions),
        };
        expect(groupMessagesPerPartition(args)).toEqual(kafkajsGroup(args));
      }),
    );
  });
});
