/** A file with syntax errors is refused, never reformatted. */
import { describe, expect, it } from "vitest";
import * as prettier from "prettier";
import { FlowSyntaxError, formatFlow, prettierPlugin } from "../../compiler/format/index.js";

describe("syntax errors", () => {
  it("throws FlowSyntaxError with the diagnostics, spans in the given text", async () => {
    const text = "topic ok: A\n\nschema S {\n  a: int\n";
    const error = await formatFlow(text, { filepath: "broken.flow" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlowSyntaxError);
    const { diagnostics, source } = error as FlowSyntaxError;
    expect(diagnostics.length).toBeGreaterThan(0);
    expect(diagnostics.every((d) => d.severity === "error" && d.code.startsWith("FLOW1"))).toBe(true);
    expect(source.text).toBe(text);
    expect(diagnostics[0].span.start).toBeLessThanOrEqual(text.length);
    expect((error as Error).message).toContain("broken.flow:4:9 - error FLOW1002");
  });

  it("refuses every kind of lexical and syntax error", async () => {
    for (const text of ["topic a: A @", 'import "open', "/* open", "pipeline p { a | }", "stray", "topic a: A\u0000"]) {
      await expect(formatFlow(text), text).rejects.toBeInstanceOf(FlowSyntaxError);
    }
  });

  it("refuses through prettier too, with a location so prettier's CLI shows a code frame, not a stack", async () => {
    const error = await prettier.format("topic a: A\nschema {", { parser: "flowc", plugins: [prettierPlugin], filepath: "bad.flow" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlowSyntaxError);
    expect((error as FlowSyntaxError).loc?.start).toEqual({ line: 2, column: 8 });
    expect((error as Error).message).toContain("bad.flow:2:8 - error FLOW1002: expected a name, found '{'");
  });
});
