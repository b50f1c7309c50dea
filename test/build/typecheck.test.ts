/**
 * Every golden build type-checks with the TypeScript compiler in strict mode (NodeNext)
 * against the runtime API in this checkout (`flowc/runtime` and `flowc/stdlib` resolved to
 * runtime/index.ts and stdlib/index.ts), together with the user's handler modules. And the
 * handler check (FLOW4001-4003) passes for every program.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { build } from "../../compiler/emit/build.js";
import { buildCases, filesUnder, rel, typecheck } from "./helpers.js";
import path from "node:path";

const cases = buildCases();
const files = cases.flatMap((c) => filesUnder(c.outDir).filter((f) => f.endsWith(".ts")).map((f) => path.join(c.outDir, f)));
let diagnostics: Map<string, string[]> = new Map();
// One TypeScript program over every golden build: seconds, more on a busy machine, so in a hook.
beforeAll(() => {
  diagnostics = typecheck(files);
});
const diagnosticsOf = (outDir: string, handlerFiles: readonly string[]) => {
  return [...diagnostics].filter(([file]) => file.startsWith(outDir) || handlerFiles.some((h) => file === h)).flatMap(([, list]) => list);
};

describe("generated code type-checks against the runtime", () => {
  for (const c of cases) {
    it(c.name, async () => {
      const result = await build([c.file], { outDir: c.outDir, checkHandlers: false });
      const handlers = [...result.program.symbols.handlers.values()].map((h) => h.modulePath);
      expect(filesUnder(c.outDir).length, `${rel(c.outDir)} is empty: run UPDATE_GOLDEN=1 npx vitest run test/build`).toBeGreaterThan(0);
      expect(diagnosticsOf(c.outDir, handlers)).toEqual([]);
    });
  }
});

describe("handler checks pass for every program", () => {
  for (const c of cases) {
    it(c.name, async () => {
      const result = await build([c.file], { outDir: c.outDir });
      expect(result.diagnostics.filter((d) => d.code.startsWith("FLOW4")).map((d) => d.message)).toEqual([]);
    });
  }
});
