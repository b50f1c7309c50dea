import type { ConsumedRecord, ProducerRecord, Transport } from "../transport.js";

/**
 * The ids a worker finished for one input partition, newest last, capped at `capacity`.
 * Duplicates farther apart than the window are not recognised (documented limit).
 */
export class SeenWindow {
  private readonly ids = new Set<string>();
  /** Insertion order, as a ring: the slot to overwrite next holds the oldest id. */
  private readonly ring: string[] = [];
  private next = 0;
  constructor(private readonly capacity: number) {}

  has(id: string): boolean {
    return this.ids.has(id);
  }

  add(id: string): void {
    if (this.ids.has(id)) return;
    this.ids.add(id);
    if (this.ring.length < this.capacity) {
      this.ring.push(id);
      return;
    }
    this.ids.delete(this.ring[this.next]);
    this.ring[this.next] = id;
    this.next = (this.next + 1) % this.capacity;
  }

  get size(): number {
    return this.ids.size;
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
