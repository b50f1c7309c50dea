import type { ConsumedRecord } from "../transport.js";

/**
 * One partition's log: consecutive offsets from `low` to `high`. Deleting a prefix is O(1)
 * amortised (a head index, compacted now and then), so truncating committed records as a
 * 10M-message run advances costs nothing per message.
 */
export class PartitionLog {
  private records: ConsumedRecord[] = [];
  private head = 0;
  private start = 0;

  get low(): number {
    return this.start;
  }

  get high(): number {
    return this.start + (this.records.length - this.head);
  }

  get size(): number {
    return this.records.length - this.head;
  }

  append(
    topic: string,
    partition: number,
    key: string | null,
    value: string | null,
    headers: ConsumedRecord["headers"],
    timestamp: number,
  ): number {
    const offset = this.high;
    // One literal with a fixed shape: this runs once per record.
    this.records.push({ topic, partition, offset, key, value, headers, timestamp });
    return offset;
  }

  /** Up to `max` records from `from` (clamped to the log start). */
  read(from: number, max: number): ConsumedRecord[] {
    const first = Math.max(from, this.start);
    const begin = this.head + (first - this.start);
    const end = Math.min(this.records.length, begin + max);
    return begin >= end ? [] : this.records.slice(begin, end);
  }

  /** Deletes every record with an offset below `offset`. */
  truncateBefore(offset: number): void {
    const drop = Math.min(offset, this.high) - this.start;
    if (drop <= 0) return;
    // Release references so the records can be collected before the array is compacted.
    for (let i = this.head; i < this.head + drop; i++) (this.records as unknown[])[i] = undefined;
    this.head += drop;
    this.start += drop;
    if (this.head > 1024 && this.head * 2 > this.records.length) {
      this.records = this.records.slice(this.head);
      this.head = 0;
    }
  }
}
