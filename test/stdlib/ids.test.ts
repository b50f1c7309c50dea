import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { coordinatesId, deriveMessageId, murmur3x86x128Hex } from "../../stdlib/ids.js";

const utf8 = (s: string) => new TextEncoder().encode(s);

describe("MurmurHash3_x86_128", () => {
  it("matches published vectors (seed 0x9747b28c)", () => {
    expect(murmur3x86x128Hex(utf8(""), 0x9747b28c)).toBe("a1d5bef71c6a575b1c6a575b1c6a575b");
    expect(murmur3x86x128Hex(utf8("The quick brown fox jumps over the lazy dog"), 0x9747b28c)).toBe(
      "5ed5d48a7161b84c9c3aa78e3e79b6cd",
    );
  });

  it("is 0 for empty input with seed 0", () => {
    expect(murmur3x86x128Hex(utf8(""), 0)).toBe("0".repeat(32));
  });

  it("covers every tail length without collisions on prefixes", () => {
    const text = "abcdefghijklmnopqrstuvwxyz0123456789";
    const hashes = new Set<string>();
    for (let n = 0; n <= text.length; n++) hashes.add(murmur3x86x128Hex(utf8(text.slice(0, n)), 0));
    expect(hashes.size).toBe(text.length + 1);
  });
});

describe("message ids", () => {
  it("are pinned: the derivation is part of the wire contract", () => {
    // If this changes, outputs of a redeployed worker stop matching their earlier copies.
    expect(deriveMessageId("photos/0/0", "render/copy[4k]>render/4k/shard>emit:render.4k")).toBe(
      "6da4ac01f5758a8b2d0707df7044f6f5",
    );
    expect(deriveMessageId("a", "b")).toBe(murmur3x86x128Hex(utf8("a\u0000b"), 0));
    expect(deriveMessageId("a", "b")).toMatch(/^[0-9a-f]{32}$/);
  });

  it("differ when the parent or the step differs", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), fc.string(), (p1, s1, p2, s2) => {
        fc.pre(p1 !== p2 || s1 !== s2);
        fc.pre(!p1.includes("\u0000") && !p2.includes("\u0000"));
        expect(deriveMessageId(p1, s1)).not.toBe(deriveMessageId(p2, s2));
      }),
      { numRuns: 2000 },
    );
  });

  it("name a record without an id by its coordinates", () => {
    expect(coordinatesId("photos", 3, 42)).toBe("photos/3/42");
  });
});
