/** Shared helpers for the formatter tests. */
import { parseFile } from "../../compiler/build-ast.js";
import { syntaxDifference } from "../../compiler/format/index.js";
import { SourceFile } from "../../compiler/source.js";

export function parseClean(text: string, file = "test.flow") {
  const parsed = parseFile(new SourceFile(file, text));
  const errors = parsed.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) throw new Error(`does not parse: ${errors.map((d) => d.message).join("; ")}\n${text}`);
  return parsed.document;
}

/** Throws unless both texts parse, and to the same program (spans aside, comments by text). */
export function expectSameProgram(before: string, after: string): void {
  const difference = syntaxDifference(parseClean(before), parseClean(after));
  if (difference !== undefined) throw new Error(`${difference}\n--- before\n${before}\n--- after\n${after}`);
}
