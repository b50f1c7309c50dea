import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../runtime/clock.js";
import { SeenWindow } from "../../runtime/runner/dedupe.js";
import { OffsetTracker } from "../../runtime/runner/offsets.js";
import { KeyedScheduler } from "../../runtime/runner/scheduler.js";

describe("VirtualClock", () => {
  it("fires timers in due order (ties in scheduling order) and skips cancelled ones", () => {
    const clock = new VirtualClock(0);
    const fired: string[] = [];
    clock.schedule(30, () => fired.push("c"));
    clock.schedule(10, () => fired.push("a"));
    const cancel = clock.schedule(20, () => fired.push("never"));
    clock.schedule(10, () => fired.push("b"));
    cancel();
    expect(clock.pending).toBe(3);
    expect(clock.advanceToNextTimer()).toBe(true);
    expect(fired).toEqual(["a", "b"]);
    expect(clock.now()).toBe(10);
    clock.advance(100);
    expect(fired).toEqual(["a", "b", "c"]);
    expect(clock.now()).toBe(110);
    expect(clock.advanceToNextTimer()).toBe(false);
  });
});

describe("OffsetTracker", () => {
  it("commits only a finished prefix, whatever order records finish in", () => {
    const t = new OffsetTracker();
    expect(t.committable()).toBeUndefined();
    const [a, b, c] = [t.track(5), t.track(6), t.track(9)];
    c.done = true;
    expect(t.committable()).toBe(5);
    a.done = true;
    expect(t.committable()).toBe(6);
    b.done = true;
    expect(t.committable()).toBe(10);
    // Transaction markers at 10 and 11: the position moves on without records.
    t.endAt(12);
    expect(t.committable()).toBe(12);
    const d = t.track(12);
    t.endAt(14);
    expect(t.committable()).toBe(12);
    d.done = true;
    expect(t.committable()).toBe(14);
  });
});

describe("SeenWindow", () => {
  it("forgets the oldest ids beyond its capacity", () => {
    const w = new SeenWindow(3);
    for (const id of ["a", "b", "c", "a", "d"]) w.add(id);
    expect(["a", "b", "c", "d"].map((id) => w.has(id))).toEqual([false, true, true, true]);
    expect(w.size).toBe(3);
  });

  it("agrees with a reference window over many random ids, with duplicates and evictions", () => {
    let seed = 7;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (const capacity of [1, 2, 5, 64, 1000]) {
      const w = new SeenWindow(capacity);
      const ids = new Set<string>();
      const ring: string[] = [];
      for (let n = 0; n < 20_000; n++) {
        const id = random() < 0.1 ? `é${Math.floor(random() * 3 * capacity)}` : `id-${Math.floor(random() * 3 * capacity)}`;
        const isNew = !ids.has(id);
        if (isNew) {
          ids.add(id);
          ring.push(id);
          if (ring.length > capacity) ids.delete(ring.shift()!);
        }
        expect(w.addIfNew(id)).toBe(isNew);
        if (n % 97 === 0) {
          const probe = `id-${Math.floor(random() * 3 * capacity)}`;
          expect(w.has(probe)).toBe(ids.has(probe));
        }
      }
      expect(w.size).toBe(ids.size);
    }
  });
});

describe("KeyedScheduler.removeWhere", () => {
  it("drops queued items (of revoked partitions) and keeps the rest schedulable", () => {
    const s = new KeyedScheduler<{ p: number; v: string }>();
    s.push("k1", { p: 0, v: "a" });
    s.push("k1", { p: 0, v: "b" });
    s.push("k2", { p: 1, v: "c" });
    s.push("k2", { p: 1, v: "d" });
    const busy = s.take()!;
    expect(busy.item.v).toBe("a");
    expect(s.removeWhere((i) => i.p === 0).map((i) => i.v)).toEqual(["b"]);
    expect(s.size).toBe(2);
    s.release("k1");
    expect(s.take()!.item.v).toBe("c");
    expect(s.take()).toBeUndefined();
    s.release("k2");
    expect(s.take()!.item.v).toBe("d");
  });
});
