/**
 * Document formatting with the same formatter as `flowc fmt` (compiler/format).
 * The result is sent as one edit covering only the lines that changed, so the
 * editor keeps the cursor and folds where they were.
 */
import type { TextEdit } from "vscode-languageserver/node.js";
import { SourceFile } from "../compiler/source.js";
import { toRange } from "./convert.js";

type FormatFlow = (text: string, options?: { filepath?: string }) => Promise<string> | string;

let formatter: Promise<FormatFlow | undefined> | undefined;

/** The formatter, loaded on first use; undefined when this build has none. */
export function loadFormatter(): Promise<FormatFlow | undefined> {
  // A computed specifier: the formatter is its own module, loaded only when asked for.
  const specifier = "../compiler/format/index.js";
  formatter ??= import(specifier).then(
    (m: { formatFlow?: FormatFlow }) => (typeof m.formatFlow === "function" ? m.formatFlow : undefined),
    () => undefined,
  );
  return formatter;
}

export type FormatResult = { readonly edits: TextEdit[] } | { readonly error: string } | { readonly missing: string };

export async function formatDocument(text: string, filepath?: string): Promise<FormatResult> {
  const format = await loadFormatter();
  if (format === undefined) return { missing: "the formatter is not available in this build of flowc" };
  let formatted: string;
  try {
    formatted = await format(text, filepath !== undefined ? { filepath } : {});
  } catch (error) {
    // The formatter refuses text with syntax errors; the diagnostics already say where.
    return { error: `not formatted: ${(error as Error).message.split("\n")[0]}` };
  }
  return { edits: minimalEdit(text, formatted) };
}

/** One edit replacing the differing middle, cut at whole lines. */
export function minimalEdit(before: string, after: string): TextEdit[] {
  if (before === after) return [];
  let start = 0;
  const max = Math.min(before.length, after.length);
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  // Back to the start of the line, so the edit is whole lines.
  while (start > 0 && before[start - 1] !== "\n") start--;
  let endBefore = before.length;
  let endAfter = after.length;
  while (endBefore > start && endAfter > start && before.charCodeAt(endBefore - 1) === after.charCodeAt(endAfter - 1)) {
    endBefore--;
    endAfter--;
  }
  // Forward to the end of the line (just after its newline).
  while (endBefore < before.length && before[endBefore - 1] !== "\n") {
    endBefore++;
    endAfter++;
  }
  const source = new SourceFile("", before);
  return [{ range: toRange(source, { start, end: endBefore }), newText: after.slice(start, endAfter) }];
}
