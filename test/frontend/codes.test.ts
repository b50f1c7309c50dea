/**
 * One focused test per diagnostic code of the front end (FLOW1xxx-3xxx): a
 * small program that gives exactly that diagnostic, where it should be, with
 * the words a reader needs. A code added to the catalogue without a case here
 * fails the first test. FLOW4xxx (handlers against their TypeScript source)
 * are tested with the handler checker.
 */
import { describe, expect, it } from "vitest";
import { messages } from "../../compiler/diagnostics.js";
import { cases } from "./code-cases.js";
import { checkText, root } from "./helpers.js";
import path from "node:path";

/**
 * Codes reported after the front end, each tested where it is reported. A new
 * code goes either into code-cases.ts or, with the reason, here.
 */
const testedElsewhere: Record<string, string> = {
  FLOW3013: "reported by lowering (compiler/lower.ts), when a declared topic takes a name the compiler plans",
};

const frontEndCodes = Object.values(messages)
  .map((m) => m.code)
  .filter((code) => !code.startsWith("FLOW4") && !(code in testedElsewhere))
  .sort();

describe("diagnostic codes", () => {
  it("every front-end code in the catalogue has a focused case, and every case a code", () => {
    expect(Object.keys(cases).sort()).toEqual(frontEndCodes);
  });

  it("codes are unique and well formed", () => {
    const codes = Object.values(messages).map((m) => m.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^FLOW[1-4]\d{3}$/);
  });
});

describe.each(frontEndCodes)("%s", (code) => {
  it("is reported alone, at its place, with a clear message", () => {
    const c = cases[code];
    expect(c, `no case for ${code}`).toBeDefined();
    const file = path.join(root, "test/corpus/virtual/main.flow");
    const extra = Object.fromEntries(Object.entries(c.files ?? {}).map(([name, text]) => [path.join(path.dirname(file), name), text]));
    const program = checkText(c.source, file, extra);
    const found = program.diagnostics.map((d) => `${d.code}@${d.span.start} ${d.message}`);
    expect(found, "exactly one diagnostic").toEqual([expect.stringMatching(new RegExp(`^${code}@`))]);
    const d = program.diagnostics[0];
    expect(d.code).toBe(code);
    const definition = Object.values(messages).find((m) => m.code === code)!;
    expect(d.severity).toBe(definition.severity);
    const from = c.after === undefined ? 0 : c.source.indexOf(c.after) + c.after.length;
    const expectedStart = c.source.indexOf(c.at, from);
    expect(expectedStart, `'${c.at}' occurs in the source`).toBeGreaterThanOrEqual(0);
    expect(d.span.start, `${code} starts at '${c.at}'`).toBe(expectedStart);
    expect(d.message).toMatch(c.message);
    if (c.hint) expect(d.hint ?? "").toMatch(c.hint);
  });
});
