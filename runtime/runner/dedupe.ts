import type { ConsumedRecord, ProducerRecord, Transport } from "../transport.js";

// The fingerprint of the id being looked up: three 32-bit hashes of its UTF-16 code units,
// kept in a typed array (module-level number variables would box every write).
const fp = new Int32Array(3);

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Sets fp to a 96-bit fingerprint of `id` (murmur3-style mixing, three seeds). */
function fingerprint(id: string): void {
  let a = 0x9747b28c ^ id.length;
  let b = 0x1b873593 ^ id.length;
  let c = 0x6b43a9b5 ^ id.length;
  for (let i = 0; i < id.length; i++) {
    const k = id.charCodeAt(i);
    a = (Math.imul((a << 13) | (a >>> 19), 5) + (Math.imul(k, 0xcc9e2d51) ^ 0xe6546b64)) | 0;
    b = (Math.imul((b << 15) | (b >>> 17), 5) + (Math.imul(k, 0x85ebca6b) ^ 0x561ccd1b)) | 0;
    c = (Math.imul((c << 17) | (c >>> 15), 5) + (Math.imul(k, 0xc2b2ae35) ^ 0x0bcaa747)) | 0;
  }
  const x = fmix(a);
  const y = fmix(b ^ x);
  fp[0] = x;
  fp[1] = y;
  fp[2] = fmix(c ^ y);
}

/**
 * The ids a worker finished for one input partition, newest last, capped at `capacity`.
 * Duplicates farther apart than the window are not recognised (documented limit).
 *
 * Every message of a worker and of a sink looks its id up here, so the window keeps no
 * strings: a Set of thousands of ids per partition made each lookup a few cache misses and
 * kept every id alive into the old generation. It keeps a 96-bit fingerprint per id instead,
 * in a ring (insertion order) indexed by an open-addressing table, all in typed arrays. Two
 * different ids share a fingerprint with probability about 2^-96 per pair, far below the
 * 2^-128 of the derived ids themselves colliding times the window; nothing else can make
 * the window mistake a new id for a seen one.
 */
export class SeenWindow {
  /** Fingerprints by ring slot (3 words each). The slot to overwrite next holds the oldest. */
  private readonly prints: Int32Array;
  /**
   * Linear probing over pairs (ring slot + 1 or 0 for empty, first fingerprint word), at most
   * half full: a probe reads one cache line, not the ring.
   */
  private readonly table: Int32Array;
  private readonly mask: number;
  private readonly capacity: number;
  private count = 0;
  private next = 0;

  constructor(capacity: number) {
    this.capacity = Math.max(0, Math.floor(capacity));
    let size = 8;
    while (size < this.capacity * 2) size *= 2;
    this.table = new Int32Array(size * 2);
    this.mask = size - 1;
    this.prints = new Int32Array(Math.max(1, this.capacity) * 3);
  }

  /** The table index holding the current fingerprint, or -(the empty index it would go to) - 1. */
  private find(): number {
    const { table, prints, mask } = this;
    const f0 = fp[0];
    const f1 = fp[1];
    const f2 = fp[2];
    for (let i = f0 & mask; ; i = (i + 1) & mask) {
      const s = table[i * 2];
      if (s === 0) return -i - 1;
      if (table[i * 2 + 1] === f0) {
        const p = (s - 1) * 3;
        if (prints[p + 1] === f1 && prints[p + 2] === f2) return i;
      }
    }
  }

  has(id: string): boolean {
    if (this.capacity === 0) return false;
    fingerprint(id);
    return this.find() >= 0;
  }

  add(id: string): void {
    this.addIfNew(id);
  }

  /** Remembers `id` and returns true, or returns false when it is already remembered. */
  addIfNew(id: string): boolean {
    if (this.capacity === 0) return true;
    fingerprint(id);
    const found = this.find();
    if (found >= 0) return false;
    const { table, prints, mask } = this;
    let slot: number;
    let at = -found - 1;
    if (this.count < this.capacity) {
      slot = this.count++;
    } else {
      // Forget the oldest id: its slot is reused for this one.
      slot = this.next;
      this.next = slot + 1 === this.capacity ? 0 : slot + 1;
      this.remove(slot);
      // The deletion may have moved entries: find the empty place again.
      at = fp[0] & mask;
      while (table[at * 2] !== 0) at = (at + 1) & mask;
    }
    const p = slot * 3;
    prints[p] = fp[0];
    prints[p + 1] = fp[1];
    prints[p + 2] = fp[2];
    table[at * 2] = slot + 1;
    table[at * 2 + 1] = fp[0];
    return true;
  }

  /** Deletes ring slot `slot` from the table (backward-shift deletion keeps probes short). */
  private remove(slot: number): void {
    const { table, mask } = this;
    let i = this.prints[slot * 3] & mask;
    while (table[i * 2] !== slot + 1) i = (i + 1) & mask;
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const s = table[j * 2];
      if (s === 0) break;
      const home = table[j * 2 + 1] & mask;
      // The entry at j may move back to the hole at i unless its home lies in (i, j].
      const stays = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!stays) {
        table[i * 2] = s;
        table[i * 2 + 1] = table[j * 2 + 1];
        i = j;
      }
    }
    table[i * 2] = 0;
  }

  get size(): number {
    return this.count;
  }
}

/** A dedupe mark: the ids settled for one input partition in one flush. */
interface MarkBody {
  readonly t: string;
  readonly p: number;
  readonly ids: readonly string[];
}

/**
 * Dedupe state lives in the broker, in the worker's state topic: each flush appends one mark
 * record per input partition listing the ids it settled, to the state partition of the same
 * number. It is written with the outputs (in the same transaction in exactly-once mode, right
 * after them otherwise) and before the offsets, so a worker that crashes and the member that
 * takes its partitions over both see every id whose outputs are out.
 */
export function markRecord(stateTopic: string, topic: string, partition: number, ids: readonly string[]): ProducerRecord {
  const body: MarkBody = { t: topic, p: partition, ids };
  return { topic: stateTopic, partition, key: null, value: JSON.stringify(body) };
}

function parseMark(record: ConsumedRecord): MarkBody | undefined {
  if (record.value === null) return undefined;
  try {
    const body = JSON.parse(record.value) as MarkBody;
    return typeof body?.t === "string" && Array.isArray(body.ids) ? body : undefined;
  } catch {
    return undefined;
  }
}

/** Rebuilds the window for `topic`/`partition` from the newest marks in the state topic. */
export async function restoreSeen(
  transport: Transport,
  stateTopic: string,
  topic: string,
  partition: number,
  capacity: number,
): Promise<SeenWindow> {
  const window = new SeenWindow(capacity);
  const marks = (await transport.watermarks(stateTopic))[partition];
  if (marks === undefined) return window;
  const newestFirst: Array<readonly string[]> = [];
  let collected = 0;
  let end = marks.high;
  const chunk = 256;
  while (end > marks.low && collected < capacity) {
    const from = Math.max(marks.low, end - chunk);
    const records = await transport.read(stateTopic, partition, from, end - from);
    for (let i = records.length - 1; i >= 0; i--) {
      const body = parseMark(records[i]);
      if (body === undefined || body.t !== topic || body.p !== partition) continue;
      newestFirst.push(body.ids);
      collected += body.ids.length;
    }
    end = from;
  }
  for (let i = newestFirst.length - 1; i >= 0; i--) for (const id of newestFirst[i]) window.add(id);
  return window;
}
