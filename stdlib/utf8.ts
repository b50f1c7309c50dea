/**
 * UTF-8 encoding into a reused scratch buffer. The hashes below run once or more per message,
 * so allocating a fresh Uint8Array (or even a subarray view) each time would dominate their
 * cost: the encoders return the byte count and the bytes sit at the start of `utf8Bytes`.
 */
const encoder = new TextEncoder();
let scratch = new Uint8Array(256);

/** The scratch buffer the encoders below write into (replaced when it grows). */
export function utf8Bytes(): Uint8Array {
  return scratch;
}

function reserve(units: number): Uint8Array {
  // A UTF-16 code unit never needs more than 3 UTF-8 bytes.
  const worstCase = units * 3;
  if (worstCase > scratch.length) scratch = new Uint8Array(Math.max(worstCase, scratch.length * 2));
  return scratch;
}

/** Encodes `text` as UTF-8 at the start of `utf8Bytes()` and returns the byte count. */
export function utf8Encode(text: string): number {
  const s = reserve(text.length);
  // Ids, stage paths and keys are almost always ASCII: copying code units beats the call
  // into the encoder for strings this short.
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) return encoder.encodeInto(text, s).written;
    s[i] = c;
  }
  return n;
}

/** Encodes `text` as UTF-8 and returns a view valid only until the next call. */
export function utf8Scratch(text: string): Uint8Array {
  const n = utf8Encode(text);
  return scratch.subarray(0, n);
}

/**
 * Encodes `a + "\u0000" + b + c` at the start of `utf8Bytes()` without building the
 * concatenated string (a rope whose characters are slow to read one by one); returns the byte
 * count.
 */
export function utf8EncodeJoined(a: string, b: string, c: string): number {
  const la = a.length;
  const lb = b.length;
  const lc = c.length;
  const s = reserve(la + 1 + lb + lc);
  let j = 0;
  for (let i = 0; i < la; i++) {
    const ch = a.charCodeAt(i);
    if (ch > 0x7f) return utf8Encode(a + "\u0000" + b + c);
    s[j++] = ch;
  }
  s[j++] = 0;
  for (let i = 0; i < lb; i++) {
    const ch = b.charCodeAt(i);
    if (ch > 0x7f) return utf8Encode(a + "\u0000" + b + c);
    s[j++] = ch;
  }
  for (let i = 0; i < lc; i++) {
    const ch = c.charCodeAt(i);
    if (ch > 0x7f) return utf8Encode(a + "\u0000" + b + c);
    s[j++] = ch;
  }
  return j;
}
