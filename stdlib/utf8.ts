/**
 * UTF-8 encoding into a reused scratch buffer. The hashes below run once or more per message,
 * so allocating a fresh Uint8Array each time would dominate their cost.
 */
const encoder = new TextEncoder();
let scratch = new Uint8Array(256);

/** Encodes `text` as UTF-8 and returns a view valid only until the next call. */
export function utf8Scratch(text: string): Uint8Array {
  // A UTF-16 code unit never needs more than 3 UTF-8 bytes.
  const worstCase = text.length * 3;
  if (worstCase > scratch.length) {
    scratch = new Uint8Array(Math.max(worstCase, scratch.length * 2));
  }
  // Ids, stage paths and keys are almost always ASCII: copying code units beats the call
  // into the encoder for strings this short.
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) {
      const { written } = encoder.encodeInto(text, scratch);
      return scratch.subarray(0, written);
    }
    scratch[i] = c;
  }
  return scratch.subarray(0, n);
}

/**
 * The UTF-8 bytes of `a + "\u0000" + b + c` in the scratch buffer, without building the
 * concatenated string (a rope whose characters are slow to read one by one). Valid only until
 * the next call.
 */
export function utf8ScratchJoined(a: string, b: string, c: string): Uint8Array {
  const la = a.length;
  const lb = b.length;
  const n = la + 1 + lb + c.length;
  if (n * 3 > scratch.length) scratch = new Uint8Array(Math.max(n * 3, scratch.length * 2));
  const s = scratch;
  let j = 0;
  for (let i = 0; i < la; i++) {
    const ch = a.charCodeAt(i);
    if (ch > 0x7f) return utf8Scratch(a + "\u0000" + b + c);
    s[j++] = ch;
  }
  s[j++] = 0;
  for (let i = 0; i < lb; i++) {
    const ch = b.charCodeAt(i);
    if (ch > 0x7f) return utf8Scratch(a + "\u0000" + b + c);
    s[j++] = ch;
  }
  for (let i = 0; i < c.length; i++) {
    const ch = c.charCodeAt(i);
    if (ch > 0x7f) return utf8Scratch(a + "\u0000" + b + c);
    s[j++] = ch;
  }
  return s.subarray(0, j);
}
