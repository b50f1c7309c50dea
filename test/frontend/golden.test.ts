/**
 * Golden outputs of every phase for every corpus file: tokens, the tree, and
 * the diagnostics (rendered text for invalid files, JSON for all).
 * `UPDATE_GOLDEN=1 npx vitest run test/frontend` rewrites them; review the diff.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createProgram } from "../../compiler/program.js";
import { codesByLine, corpus, diagnosticsJson, dumpAst, dumpTokens, expectations, golden, goldenDir, renderText } from "./helpers.js";

const files = corpus();

describe("corpus", () => {
  it("has valid and invalid programs", () => {
    expect(files.filter((f) => f.group === "valid").length).toBeGreaterThanOrEqual(10);
    expect(files.filter((f) => f.group === "invalid").length).toBeGreaterThanOrEqual(10);
  });

  it("has no stale golden files", () => {
    const expected = new Set(files.map((f) => `${f.group}/${f.name}`));
    const stale: string[] = [];
    for (const group of ["valid", "invalid"]) {
      const dir = path.join(goldenDir, group);
      if (!fs.existsSync(dir)) continue;
      // Only this test's own kinds of file: other phases may keep goldens beside them.
      for (const f of fs.readdirSync(dir)) {
        const match = /^(.*)\.(tokens\.txt|ast\.json|diagnostics\.txt|diagnostics\.json)$/.exec(f);
        if (match && !expected.has(`${group}/${match[1]}`)) stale.push(`${group}/${f}`);
      }
    }
    if (process.env.UPDATE_GOLDEN === "1") for (const f of stale) fs.rmSync(path.join(goldenDir, f));
    else expect(stale).toEqual([]);
  });
});

describe.each(files)("$group/$name", (file) => {
  const program = createProgram([file.path]);
  const parsed = program.files.get(file.path)!;
  const source = parsed.source;

  it("tokens", () => {
    golden(`${file.group}/${file.name}.tokens.txt`, dumpTokens(source, parsed.tokens));
  });

  it("ast", () => {
    golden(`${file.group}/${file.name}.ast.json`, dumpAst(source, parsed.document));
  });

  it("diagnostics (json)", () => {
    golden(`${file.group}/${file.name}.diagnostics.json`, diagnosticsJson(program));
  });

  if (file.group === "valid") {
    it("checks clean: no errors and no warnings", () => {
      expect(program.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
    });
  } else {
    it("diagnostics (rendered)", () => {
      golden(`${file.group}/${file.name}.diagnostics.txt`, renderText(program));
    });

    it("gives exactly the diagnostics documented in the file", () => {
      const documented = expectations(file.text);
      expect(documented.length, "an invalid corpus file documents its diagnostics with // expect: comments").toBeGreaterThan(0);
      expect(codesByLine(program, file.path)).toEqual(documented);
    });
  }
});
