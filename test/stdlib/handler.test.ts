import { describe, expect, it } from "vitest";
import { conservationViolation } from "../../stdlib/accounting.js";
import { backoffDelay, flatMap, handlerProblems, map } from "../../stdlib/handler.js";

describe("backoff", () => {
  const policy = { initialMs: 100, maxMs: 1000 };
  it("doubles per retry and stops at the maximum", () => {
    const none = { ...policy, jitter: "none" as const };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(none, n, Math.random))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
  it("equal jitter stays within [delay/2, delay]", () => {
    expect(backoffDelay(policy, 3, () => 0)).toBe(200);
    expect(backoffDelay(policy, 3, () => 0.999999)).toBe(399);
  });
  it("full jitter spreads over [0, delay]", () => {
    expect(backoffDelay({ ...policy, jitter: "full" }, 2, () => 0)).toBe(0);
    expect(backoffDelay({ ...policy, jitter: "full" }, 2, () => 0.5)).toBe(100);
  });
  it("honours the multiplier", () => {
    expect(backoffDelay({ initialMs: 10, maxMs: 10_000, multiplier: 3, jitter: "none" }, 3, Math.random)).toBe(90);
  });
});

describe("handler specs", () => {
  it("map and flatMap build specs the runtime accepts", () => {
    expect(handlerProblems(map("s", (x: number) => x + 1, { retry: { attempts: 3 } }))).toEqual([]);
    expect(handlerProblems(flatMap("s", (x: number) => [x, x]))).toEqual([]);
  });
  it("report bad policies", () => {
    const bad = map("s", (x: number) => x, { retry: { attempts: 0 }, timeoutMs: -1, concurrency: 1.5 });
    expect(handlerProblems(bad)).toHaveLength(3);
  });
});

describe("conservation laws", () => {
  const zero = { in: 0, out: 0, dropped: 0, dead: 0, retried: 0, pending: 0, completed: 0, duplicates: 0 };
  it("hold for consistent counts", () => {
    expect(conservationViolation("copy", { ...zero, in: 2, out: 6 }, 3)).toBeUndefined();
    expect(conservationViolation("filter", { ...zero, in: 5, out: 3, dropped: 2 })).toBeUndefined();
    expect(conservationViolation("map", { ...zero, in: 5, out: 3, completed: 3, dead: 1, pending: 1 })).toBeUndefined();
    expect(conservationViolation("flatMap", { ...zero, in: 2, out: 7, completed: 2 })).toBeUndefined();
  });
  it("catch a lost, duplicated or misrouted message", () => {
    expect(conservationViolation("copy", { ...zero, in: 2, out: 5 }, 3)).toMatch(/3 lanes/);
    expect(conservationViolation("split", { ...zero, in: 2, out: 3 })).toMatch(/in = out \+ dead/);
    expect(conservationViolation("filter", { ...zero, in: 5, out: 3, dropped: 1 })).toBeDefined();
    expect(conservationViolation("map", { ...zero, in: 5, out: 4, completed: 4 })).toBeDefined();
    expect(conservationViolation("emit", { ...zero, in: 1, out: 2 })).toBeDefined();
  });
});
