import { createRequire } from "node:module";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeRecord, encodeRecord, groupMessagesPerPartition, kafkajsDecodeRecord, kafkajsRecordEncoder } from "../../runtime/kafka/client.js";

const require = createRequire(import.meta.url);
const bytes = (encoder: { buf: Buffer; offset: number }) => Buffer.from(encoder.buf.subarray(0, encoder.offset));

/** The replacements client.ts installs in kafkajs (record encoding and decoding, grouping a send per partition) give kafkajs' own results. */
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

describe("kafkajs record decoder replacement (no broker)", () => {
  const Decoder = require("kafkajs/src/protocol/decoder.js") as new (buffer: Buffer) => {
    offset: number;
    readVarIntBytes(): Buffer;
  };

  it("is the module kafkajs' record batch decoder uses", () => {
    expect(require("kafkajs/src/protocol/recordBatch/record/v0/decoder.js")).toBe(decodeRecord);
  });

  it("decodes what kafkajs encodes to kafkajs' result", () => {
    const bytesOrNull = fc.oneof(fc.constant(null), fc.string({ unit: "grapheme", maxLength: 40 }), fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)));
    const headerValue = fc.oneof(fc.string({ unit: "grapheme", maxLength: 30 }), fc.uint8Array({ maxLength: 30 }).map((a) => Buffer.from(a)));
    const headerName = fc.oneof(fc.string({ unit: "grapheme", maxLength: 12 }), fc.constantFrom("constructor", "toString", "__proto__", "flowc-id"));
    const decimal = fc.oneof(
      fc.nat(2 ** 40).map(String),
      fc.constantFrom("-1", "0", "9007199254740991", "9007199254740993", "9223372036854775000", "1764300000000"),
    );
    fc.assert(
      fc.property(
        fc.record({
          offsetDelta: fc.oneof(fc.nat(20_000), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })),
          timestampDelta: fc.oneof(fc.nat(60_000), fc.integer({ min: -(2 ** 27), max: 2 ** 27 }), fc.constantFrom(2 ** 27, -(2 ** 27) - 1, 2 ** 40, -(2 ** 40))),
          key: bytesOrNull,
          value: bytesOrNull,
          headers: fc.option(fc.dictionary(headerName, fc.oneof(headerValue, fc.array(headerValue, { minLength: 1, maxLength: 3 })), { maxKeys: 5 }), { nil: undefined }),
        }),
        fc.record({ firstOffset: decimal, firstTimestamp: decimal, maxTimestamp: decimal, timestampType: fc.constantFrom(0, 1), magicByte: fc.constant(2), isControlBatch: fc.boolean() }),
        (args, context) => {
          const encoded = kafkajsRecordEncoder(args);
          const record = new Decoder(Buffer.from(encoded.buf.subarray(0, encoded.offset))).readVarIntBytes();
          const mine = new Decoder(record);
          const theirs = new Decoder(record);
          expect(decodeRecord(mine as never, context)).toEqual(kafkajsDecodeRecord(theirs as never, context));
          expect(mine.offset).toBe(theirs.offset);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
