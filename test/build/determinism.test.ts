/**
 * Property: a build depends only on the program, not on the order its files are named in
 * or the order the compiler meets them. Random programs (the five patterns, handlers,
 * hedging, lanes) spread over several files are built twice, with the files named in
 * two random orders; every output file must be byte-identical.
 */
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { build } from "../../compiler/emit/build.js";
import type { CompilerHost } from "../../compiler/program.js";
import { syntheticProgram } from "./helpers.js";

const dir = "/virtual/project";
const hostOf = (files: ReadonlyMap<string, string>): CompilerHost => ({
  readFile: (file) => {
    const text = files.get(path.basename(file));
    return text === undefined ? { error: "no such file" } : { text };
  },
});

async function buildOrdered(files: ReadonlyMap<string, string>, order: readonly string[]) {
  return build(
    order.map((f) => path.join(dir, f)),
    { outDir: path.join(dir, "gen"), host: hostOf(files), checkHandlers: false },
  );
}

describe("determinism", () => {
  it("building twice with the inputs in shuffled order gives identical bytes", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.infiniteStream(fc.nat()),
        async (pipelines, fileCount, seed, noise) => {
          const files = syntheticProgram(pipelines, fileCount, seed);
          const names = [...files.keys()];
          const shuffle = (list: string[]) => {
            const copy = [...list];
            const it = noise[Symbol.iterator]();
            for (let i = copy.length - 1; i > 0; i--) {
              const j = (it.next().value as number) % (i + 1);
              [copy[i], copy[j]] = [copy[j], copy[i]];
            }
            return copy;
          };
          // Sometimes name only one root: the others come in through imports.
          const first = await buildOrdered(files, shuffle(names));
          const second = await buildOrdered(files, shuffle(names).slice(0, 1 + ((noise[Symbol.iterator]().next().value as number) % names.length)));
          expect(first.hasErrors, first.diagnostics.map((d) => d.message).join("\n")).toBe(false);
          expect(second.hasErrors).toBe(false);
          expect([...second.files.keys()]).toEqual([...first.files.keys()]);
          for (const [file, text] of first.files) expect(second.files.get(file), file).toBe(text);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("gives the same bytes in another process-independent run: no time, no absolute paths", async () => {
    const files = syntheticProgram(6, 2, 42);
    const result = await buildOrdered(files, [...files.keys()]);
    for (const [file, text] of result.files) {
      expect(text.includes(dir), file).toBe(false);
      expect(/\b20\d\d-\d\d-\d\d/.test(text), file).toBe(false);
    }
  });
});
