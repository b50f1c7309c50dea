import { utf8Bytes, utf8Encode } from "./utf8.js";

/**
 * Kafka's murmur2 (`org.apache.kafka.common.utils.Utils.murmur2`), bit for bit: the hash behind
 * Kafka's default partitioner, so a key lands on the same partition here, in kafkajs'
 * DefaultPartitioner and in the Java client. Returns a signed 32-bit integer like Java's `int`.
 */
export function murmur2(data: Uint8Array): number {
  return murmur2Bytes(data, data.length);
}

/** murmur2 of the first `length` bytes of `data`. */
export function murmur2Bytes(data: Uint8Array, length: number): number {
  const m = 0x5bd1e995;
  let h = 0x9747b28c ^ length;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i << 2;
    let k = data[i4] | (data[i4 + 1] << 8) | (data[i4 + 2] << 16) | (data[i4 + 3] << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const tail = length & ~3;
  const remainder = length & 3;
  if (remainder === 3) h ^= data[tail + 2] << 16;
  if (remainder >= 2) h ^= data[tail + 1] << 8;
  if (remainder >= 1) {
    h ^= data[tail];
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** murmur2 of the UTF-8 bytes of `key` (what Kafka clients hash for a string key). */
export function murmur2String(key: string): number {
  const length = utf8Encode(key);
  return murmur2Bytes(utf8Bytes(), length);
}

/** Kafka's `Utils.toPositive`: clears the sign bit (not Math.abs, which breaks on MIN_VALUE). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/** The partition Kafka's default partitioner picks for a keyed record. */
export function partitionForKey(key: string, partitions: number): number {
  return toPositive(murmur2String(key)) % partitions;
}
