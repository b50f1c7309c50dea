/**
 * Golden outputs: each fixtures/<name>.flow formats to fixtures/<name>.expected.flow,
 * and the examples are already in canonical form. `UPDATE_GOLDEN=1 npx vitest run
 * test/format` rewrites the expected files (review the diff).
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { formatFlow } from "../../compiler/format/index.js";
import { expectSameProgram } from "./helpers.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.join(here, "fixtures");
const examples = path.join(here, "../../examples");

const inputs = fs
  .readdirSync(fixtures)
  .filter((f) => f.endsWith(".flow") && !f.endsWith(".expected.flow"))
  .sort();

describe("golden fixtures", () => {
  it("has fixtures", () => expect(inputs.length).toBeGreaterThanOrEqual(5));

  for (const input of inputs) {
    it(input, async () => {
      const text = fs.readFileSync(path.join(fixtures, input), "utf8");
      const expectedFile = path.join(fixtures, input.replace(/\.flow$/, ".expected.flow"));
      const formatted = await formatFlow(text, { filepath: input });
      if (process.env.UPDATE_GOLDEN) fs.writeFileSync(expectedFile, formatted);
      expect(formatted).toBe(fs.readFileSync(expectedFile, "utf8"));
      expectSameProgram(text, formatted);
      // The expected output is itself canonical.
      expect(await formatFlow(formatted, { filepath: input })).toBe(formatted);
    });
  }
});

describe("examples are canonical", () => {
  const files = fs.readdirSync(examples).filter((f) => f.endsWith(".flow"));
  it("finds the examples", () => expect(files).toEqual(expect.arrayContaining(["photos.flow", "signup.flow"])));
  for (const file of files) {
    it(`examples/${file} is unchanged by fmt (run \`flowc fmt examples/${file}\` if this fails)`, async () => {
      const text = fs.readFileSync(path.join(examples, file), "utf8");
      expect(await formatFlow(text, { filepath: file })).toBe(text);
    });
  }
});
