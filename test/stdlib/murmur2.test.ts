import { createRequire } from "node:module";
import fc from "fast-check";
import { Partitioners } from "kafkajs";
import { describe, expect, it } from "vitest";
import { murmur2, murmur2String, partitionForKey, toPositive } from "../../stdlib/murmur2.js";

const require = createRequire(import.meta.url);
// kafkajs' Java-compatible murmur2 (its DefaultPartitioner since 2.0), an independent port.
const kafkajsMurmur2 = require("kafkajs/src/producer/partitioners/default/murmur2.js") as (key: string | Buffer) => number;

describe("murmur2", () => {
  it("matches the vectors of Kafka's UtilsTest.testMurmur2", () => {
    const cases: Array<[string, number]> = [
      ["21", -973932308],
      ["foobar", -790332482],
      ["a-little-bit-long-string", -985981536],
      ["a-little-bit-longer-string", -1486304829],
      ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971],
      ["abc", 479470107],
    ];
    for (const [key, hash] of cases) expect(murmur2String(key), key).toBe(hash);
  });

  it("matches the vectors kafkajs generated with the Java client", () => {
    const cases: Record<string, number> = {
      "0": 971027396,
      "1": -1993445489,
      "128": -326012175,
      "2187": -1508407203,
      "16384": -325739742,
      "78125": -1654490814,
      "279936": 1462227128,
      "823543": -2014198330,
      "2097152": 607668903,
      "4782969": -1182699775,
      "10000000": -1830336757,
      "19487171": -1603849305,
      "35831808": -857013643,
      "62748517": -1167431028,
      "105413504": -381294639,
      "170859375": -1658323481,
      "100:48069": 1009543857,
    };
    for (const [key, hash] of Object.entries(cases)) expect(murmur2String(key), key).toBe(hash);
  });

  it("hashes bytes (empty input included) and UTF-8 strings alike", () => {
    expect(murmur2(new Uint8Array([0x61, 0x62, 0x63]))).toBe(479470107);
    expect(murmur2String("héllo wörld ✓")).toBe(murmur2(new TextEncoder().encode("héllo wörld ✓")));
    expect(murmur2(new Uint8Array(0))).toBe(kafkajsMurmur2(Buffer.alloc(0)));
  });

  it("agrees with kafkajs' implementation on arbitrary keys", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 64 }), (key) => {
        expect(murmur2String(key)).toBe(kafkajsMurmur2(Buffer.from(key, "utf8")));
      }),
      { numRuns: 2000 },
    );
  });

  it("places keys on the partition kafkajs' DefaultPartitioner picks", () => {
    const partitioner = Partitioners.DefaultPartitioner();
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 64 }), (key, count) => {
        const partitionMetadata = Array.from({ length: count }, (_, partitionId) => ({
          partitionId,
          leader: 0,
          replicas: [0],
          isr: [0],
          partitionErrorCode: 0,
        }));
        const theirs = partitioner({ topic: "t", partitionMetadata, message: { key, value: null } });
        expect(partitionForKey(key, count)).toBe(theirs);
      }),
      { numRuns: 2000 },
    );
  });

  it("toPositive clears the sign bit like Kafka's Utils.toPositive", () => {
    expect(toPositive(-1)).toBe(0x7fffffff);
    expect(toPositive(-2147483648)).toBe(0);
    expect(toPositive(5)).toBe(5);
  });
});
