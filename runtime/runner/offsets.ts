/** One consumed record's place in its partition's commit order. */
export interface OffsetEntry {
  readonly offset: number;
  /** Its outputs are flushed (or it needed none). */
  done: boolean;
}

/**
 * Tracks which records of a partition are finished, so the committed offset only ever
 * covers a finished prefix even though records finish out of order (different keys run
 * concurrently, retries wait).
 */
export class OffsetTracker {
  private entries: OffsetEntry[] = [];
  private head = 0;
  private last = -1;

  track(offset: number): OffsetEntry {
    const entry: OffsetEntry = { offset, done: false };
    this.entries.push(entry);
    this.last = offset;
    return entry;
  }

  /** The partition's position moved to `next` without records for the offsets in between
   *  (transaction markers): once everything tracked is done, commit `next`. */
  endAt(next: number): void {
    if (next - 1 > this.last) this.last = next - 1;
  }

  /** The offset to commit (first unfinished, or one past the last record), or undefined when
   *  nothing was consumed yet. */
  committable(): number | undefined {
    while (this.head < this.entries.length && this.entries[this.head].done) this.head++;
    if (this.head > 256 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    if (this.head < this.entries.length) return this.entries[this.head].offset;
    return this.last < 0 ? undefined : this.last + 1;
  }
}
