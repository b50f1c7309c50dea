import { utf8Bytes, utf8EncodeJoined } from "./utf8.js";

/**
 * Deterministic message ids.
 *
 * A source message's id is its `flowc-id` header, or `topic/partition/offset` when it has none.
 * Every output's id is derived from its input's id and the route it took:
 *
 *   id = hex(MurmurHash3_x86_128(utf8(parentId + "\u0000" + step), seed 0))
 *
 * where `step` names the stage path inside the worker (handler stage, lane, flatMap index,
 * route nodes and their lanes, the emit leaf). Reprocessing the same input therefore yields the
 * same output ids, which is what lets every consumer suppress duplicates. The formula is part
 * of the on-the-wire contract: changing it would make a redeployed worker's outputs look new.
 */
export function deriveMessageId(parentId: string, step: string): string {
  const length = utf8EncodeJoined(parentId, step, "");
  return murmur3Hex(utf8Bytes(), length, 0);
}

/** `deriveMessageId(parentId, stepPrefix + step)` without concatenating the step. */
export function deriveMessageIdJoined(parentId: string, stepPrefix: string, step: string): string {
  const length = utf8EncodeJoined(parentId, stepPrefix, step);
  return murmur3Hex(utf8Bytes(), length, 0);
}

/** The id of a record that carries no `flowc-id` header. */
export function coordinatesId(topic: string, partition: number, offset: number): string {
  return `${topic}/${partition}/${offset}`;
}

// Hex digits as char codes. The id is made by one String.fromCharCode call, so it is a flat
// string (concatenating 16 pieces makes a rope that every lookup of the id would have to
// flatten first), without the round trip through a Buffer.
const HEX = Array.from("0123456789abcdef", (c) => c.charCodeAt(0));
const fromCharCode = String.fromCharCode;

/** The hex of four 32-bit words, each written little-endian (the reference's byte order). */
function hexWords(a: number, b: number, c: number, d: number): string {
  const x = HEX;
  return fromCharCode(
    x[(a >>> 4) & 15], x[a & 15], x[(a >>> 12) & 15], x[(a >>> 8) & 15],
    x[(a >>> 20) & 15], x[(a >>> 16) & 15], x[(a >>> 28) & 15], x[(a >>> 24) & 15],
    x[(b >>> 4) & 15], x[b & 15], x[(b >>> 12) & 15], x[(b >>> 8) & 15],
    x[(b >>> 20) & 15], x[(b >>> 16) & 15], x[(b >>> 28) & 15], x[(b >>> 24) & 15],
    x[(c >>> 4) & 15], x[c & 15], x[(c >>> 12) & 15], x[(c >>> 8) & 15],
    x[(c >>> 20) & 15], x[(c >>> 16) & 15], x[(c >>> 28) & 15], x[(c >>> 24) & 15],
    x[(d >>> 4) & 15], x[d & 15], x[(d >>> 12) & 15], x[(d >>> 8) & 15],
    x[(d >>> 20) & 15], x[(d >>> 16) & 15], x[(d >>> 28) & 15], x[(d >>> 24) & 15],
  );
}

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

function readWord(data: Uint8Array, i: number): number {
  return data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
}

/**
 * MurmurHash3_x86_128 (Austin Appleby's reference), returned as the hex of its 16 output bytes
 * in the reference implementation's order (each 32-bit word little-endian).
 */
export function murmur3x86x128Hex(data: Uint8Array, seed: number): string {
  return murmur3Hex(data, data.length, seed);
}

/** murmur3x86x128Hex of the first `length` bytes of `data`. */
function murmur3Hex(data: Uint8Array, length: number, seed: number): string {
  const c1 = 0x239b961b;
  const c2 = 0xab0e9789;
  const c3 = 0x38b34ae5;
  const c4 = 0xa1e38b93;
  let h1 = seed | 0;
  let h2 = seed | 0;
  let h3 = seed | 0;
  let h4 = seed | 0;
  const blocks = length >>> 4;
  for (let b = 0; b < blocks; b++) {
    const i = b << 4;
    let k1 = readWord(data, i);
    let k2 = readWord(data, i + 4);
    let k3 = readWord(data, i + 8);
    let k4 = readWord(data, i + 12);

    k1 = Math.imul(rotl(Math.imul(k1, c1), 15), c2);
    h1 ^= k1;
    h1 = (Math.imul(rotl(h1, 19) + h2, 5) + 0x561ccd1b) | 0;

    k2 = Math.imul(rotl(Math.imul(k2, c2), 16), c3);
    h2 ^= k2;
    h2 = (Math.imul(rotl(h2, 17) + h3, 5) + 0x0bcaa747) | 0;

    k3 = Math.imul(rotl(Math.imul(k3, c3), 17), c4);
    h3 ^= k3;
    h3 = (Math.imul(rotl(h3, 15) + h4, 5) + 0x96cd1c35) | 0;

    k4 = Math.imul(rotl(Math.imul(k4, c4), 18), c1);
    h4 ^= k4;
    h4 = (Math.imul(rotl(h4, 13) + h1, 5) + 0x32ac3b17) | 0;
  }

  const tail = blocks << 4;
  let k1 = 0;
  let k2 = 0;
  let k3 = 0;
  let k4 = 0;
  const remainder = length & 15;
  if (remainder >= 13) {
    if (remainder >= 15) k4 ^= data[tail + 14] << 16;
    if (remainder >= 14) k4 ^= data[tail + 13] << 8;
    k4 ^= data[tail + 12];
    h4 ^= Math.imul(rotl(Math.imul(k4, c4), 18), c1);
  }
  if (remainder >= 9) {
    if (remainder >= 12) k3 ^= data[tail + 11] << 24;
    if (remainder >= 11) k3 ^= data[tail + 10] << 16;
    if (remainder >= 10) k3 ^= data[tail + 9] << 8;
    k3 ^= data[tail + 8];
    h3 ^= Math.imul(rotl(Math.imul(k3, c3), 17), c4);
  }
  if (remainder >= 5) {
    if (remainder >= 8) k2 ^= data[tail + 7] << 24;
    if (remainder >= 7) k2 ^= data[tail + 6] << 16;
    if (remainder >= 6) k2 ^= data[tail + 5] << 8;
    k2 ^= data[tail + 4];
    h2 ^= Math.imul(rotl(Math.imul(k2, c2), 16), c3);
  }
  if (remainder >= 1) {
    if (remainder >= 4) k1 ^= data[tail + 3] << 24;
    if (remainder >= 3) k1 ^= data[tail + 2] << 16;
    if (remainder >= 2) k1 ^= data[tail + 1] << 8;
    k1 ^= data[tail];
    h1 ^= Math.imul(rotl(Math.imul(k1, c1), 15), c2);
  }

  h1 ^= length;
  h2 ^= length;
  h3 ^= length;
  h4 ^= length;
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h1 = fmix32(h1);
  h2 = fmix32(h2);
  h3 = fmix32(h3);
  h4 = fmix32(h4);
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  return hexWords(h1, h2, h3, h4);
}
