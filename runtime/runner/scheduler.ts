/**
 * Per-key queues with work stealing: an idle slot takes the head of the longest queue whose
 * key is not already being worked on. Items of one key run one at a time, in arrival order
 * (per-key order), while different keys of the same partition run concurrently.
 *
 * Queues are bucketed by length so picking the longest is O(1) amortised; within a length,
 * the key that reached it first goes first.
 */
class Queue<T> {
  private items: T[] = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(item: T): void {
    this.items.push(item);
  }
  shift(): T {
    const item = this.items[this.head];
    (this.items as unknown[])[this.head] = undefined;
    this.head++;
    if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
  drain(): T[] {
    const rest = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return rest;
  }
}

export class KeyedScheduler<T> {
  private readonly queues = new Map<string, Queue<T>>();
  /** buckets[n]: keys with n queued items that are not busy. */
  private readonly buckets: Array<Set<string>> = [new Set()];
  private readonly busy = new Set<string>();
  private longest = 0;
  private count = 0;

  /** Queued items (not counting those being worked on). */
  get size(): number {
    return this.count;
  }

  private bucket(n: number): Set<string> {
    while (this.buckets.length <= n) this.buckets.push(new Set());
    return this.buckets[n];
  }

  push(key: string, item: T): void {
    let queue = this.queues.get(key);
    if (queue === undefined) {
      queue = new Queue<T>();
      this.queues.set(key, queue);
    }
    const before = queue.length;
    queue.push(item);
    this.count++;
    if (!this.busy.has(key)) {
      if (before > 0) this.buckets[before].delete(key);
      this.bucket(before + 1).add(key);
      if (before + 1 > this.longest) this.longest = before + 1;
    }
  }

  /** Takes the head of the longest idle queue and marks its key busy. */
  take(): { key: string; item: T } | undefined {
    while (this.longest > 0 && this.buckets[this.longest].size === 0) this.longest--;
    if (this.longest === 0) return undefined;
    const bucket = this.buckets[this.longest];
    const key = bucket.values().next().value as string;
    bucket.delete(key);
    const queue = this.queues.get(key)!;
    const item = queue.shift();
    this.count--;
    this.busy.add(key);
    return { key, item };
  }

  /** The key's current item is finished: its next item may run. */
  release(key: string): void {
    if (!this.busy.delete(key)) return;
    const queue = this.queues.get(key);
    if (queue === undefined) return;
    if (queue.length === 0) {
      this.queues.delete(key);
      return;
    }
    this.bucket(queue.length).add(key);
    if (queue.length > this.longest) this.longest = queue.length;
  }

  /** Removes and returns every queued item matching `predicate` (partition revoked, stop). */
  removeWhere(predicate: (item: T) => boolean): T[] {
    const removed: T[] = [];
    for (const [key, queue] of [...this.queues]) {
      const items = queue.drain();
      const kept = items.filter((item) => !predicate(item));
      for (const item of items) if (predicate(item)) removed.push(item);
      if (!this.busy.has(key)) this.buckets[items.length]?.delete(key);
      if (kept.length === 0 && !this.busy.has(key)) {
        this.queues.delete(key);
        continue;
      }
      for (const item of kept) queue.push(item);
      if (!this.busy.has(key) && kept.length > 0) {
        this.bucket(kept.length).add(key);
        if (kept.length > this.longest) this.longest = kept.length;
      }
    }
    this.count -= removed.length;
    return removed;
  }
}
