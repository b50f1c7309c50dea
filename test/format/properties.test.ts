/**
 * Properties of fmt over generated programs: the generator's output parses,
 * formatting keeps the program (parse(format(x)) equals parse(x), spans aside,
 * comments by text), formatting is idempotent, and the output keeps the style's
 * invariants whatever the input's layout.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatFlow } from "../../compiler/format/index.js";
import { commentedProgram, program, programInTwoLayouts, relayout } from "./arbitraries.js";
import { expectSameProgram, parseClean } from "./helpers.js";

const examples = path.join(path.dirname(fileURLToPath(import.meta.url)), "../../examples");
const photos = fs.readFileSync(path.join(examples, "photos.flow"), "utf8");
const signup = fs.readFileSync(path.join(examples, "signup.flow"), "utf8");

const RUNS = 200;

async function formatsStably(text: string): Promise<void> {
  const once = await formatFlow(text);
  expectSameProgram(text, once);
  expect(await formatFlow(once)).toBe(once);
}

/** What every formatted file looks like, wherever its comments were. */
function expectCanonicalShape(text: string): void {
  expect(text.endsWith("\n") && !text.endsWith("\n\n")).toBe(true);
  expect(text.startsWith("\n")).toBe(false);
  expect(text).not.toMatch(/[ \t]+\n/);
  expect(text).not.toMatch(/\n\n\n/);
}

describe("fmt properties", () => {
  it("the generator makes valid programs", () => {
    fc.assert(
      fc.property(program, (text) => {
        parseClean(text);
      }),
      { numRuns: RUNS },
    );
  });

  it("keeps the program and is idempotent on generated programs", async () => {
    await fc.assert(fc.asyncProperty(program, formatsStably), { numRuns: RUNS });
  });

  it("keeps the program and is idempotent with comments between most tokens", async () => {
    await fc.assert(fc.asyncProperty(commentedProgram, formatsStably), { numRuns: RUNS });
  });

  it("keeps the program and is idempotent on the examples with random layout", async () => {
    await fc.assert(fc.asyncProperty(fc.oneof(relayout(photos), relayout(signup, "dense")), formatsStably), { numRuns: RUNS });
  });

  it("gives one text for every layout without line breaks", async () => {
    await fc.assert(
      fc.asyncProperty(programInTwoLayouts, async ([text, spaced]) => {
        expect(await formatFlow(text)).toBe(await formatFlow(spaced));
      }),
      { numRuns: RUNS },
    );
  });

  it("ends with one newline, has no trailing spaces and no runs of blank lines", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(program, commentedProgram, relayout(signup, "plain")), async (text) => {
        expectCanonicalShape(await formatFlow(text));
      }),
      { numRuns: RUNS },
    );
  });
});
