/**
 * Time, injected. Backoff due times, handler timeouts and retry holds all go through a Clock,
 * so tests run them on a VirtualClock and never sleep for real.
 */
export interface Clock {
  now(): number;
  /** Calls `callback` after `delayMs`; returns a function that cancels it. */
  schedule(delayMs: number, callback: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  schedule(delayMs, callback) {
    const timer = setTimeout(callback, Math.max(0, delayMs));
    return () => clearTimeout(timer);
  },
};

interface Timer {
  readonly due: number;
  readonly seq: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/**
 * A clock that moves only when told to. `runPipeline` advances it to the next timer whenever
 * the pipeline has nothing else to do, which turns a 30 s backoff into an instant jump while
 * keeping every ordering the real clock would give. Meant for tests: a handler that waits on
 * real I/O would look idle and see time jump.
 */
export class VirtualClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: Timer[] = [];

  constructor(start = 1_700_000_000_000) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  schedule(delayMs: number, callback: () => void): () => void {
    const timer: Timer = { due: this.current + Math.max(0, delayMs), seq: this.seq++, callback, cancelled: false };
    // Timers are few (one per held retry partition and per running handler with a timeout):
    // a sorted array beats a heap at these sizes and keeps ties in scheduling order.
    let i = this.timers.length;
    while (i > 0 && this.timers[i - 1].due > timer.due) i--;
    this.timers.splice(i, 0, timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /** Live timers. */
  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void {
    this.advanceTo(this.current + ms);
  }

  advanceTo(time: number): void {
    for (;;) {
      const next = this.timers[0];
      if (next === undefined || next.due > time) break;
      this.timers.shift();
      if (next.cancelled) continue;
      this.current = Math.max(this.current, next.due);
      next.callback();
    }
    this.current = Math.max(this.current, time);
  }

  /** Jumps to the earliest live timer and fires it (and any due at the same instant).
   *  Returns false when no timer is pending. */
  advanceToNextTimer(): boolean {
    while (this.timers.length > 0 && this.timers[0].cancelled) this.timers.shift();
    const next = this.timers[0];
    if (next === undefined) return false;
    this.advanceTo(next.due);
    return true;
  }
}
