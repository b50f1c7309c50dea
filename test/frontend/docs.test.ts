/**
 * docs/diagnostics.md lists every code of the catalogue, with its severity, a
 * trigger, an example and a fix, and is what scripts/diagnostics-doc.mjs makes.
 */
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { messages } from "../../compiler/diagnostics.js";
// @ts-expect-error: a plain script without type declarations
import { docPath, renderDoc } from "../../scripts/diagnostics-doc.mjs";

const doc = fs.readFileSync(docPath as string, "utf8");

describe("docs/diagnostics.md", () => {
  it.each(Object.values(messages).map((m) => [m.code, m.severity] as const))("documents %s (%s)", (code, severity) => {
    const section = doc.split(/^### /m).find((s) => s.startsWith(`${code}\n`));
    expect(section, `a section for ${code}`).toBeDefined();
    expect(section).toContain(`**${severity}**`);
    expect(section).toMatch(/\*\*When:\*\* \S/);
    expect(section).toMatch(/\*\*Fix:\*\* \S/);
    expect(section).not.toContain("not documented yet");
    if (!code.startsWith("FLOW4") && code !== "FLOW3013") expect(section, "with the real output of an example").toMatch(new RegExp(`- ${severity} ${code}: `));
  });

  it("is up to date with the catalogue and the compiler's output (node --import tsx scripts/diagnostics-doc.mjs)", () => {
    expect((renderDoc as () => string)()).toBe(doc);
  });
});
