/**
 * Diagnostics for people: `file:line:col - error FLOW2001: message`, the source
 * line with a caret underline, and a hint.
 *
 *   examples/photos.flow:3:31 - error FLOW2001: unknown stage 'shrad'
 *     3 | photos | copy(4k, 1080p, gif) | shrad(10) | merge
 *       |                                 ^^^^^
 *     hint: did you mean 'shard'?
 */
import type { Diagnostic } from "./diagnostics.js";
import { displayPath } from "./program.js";
import type { SourceFile } from "./source.js";

export interface RenderOptions {
  readonly color?: boolean;
  readonly cwd?: string;
}

const paint = (on: boolean, code: number, text: string) => (on ? `\u001b[${code}m${text}\u001b[0m` : text);

/**
 * Tabs become spaces so the caret line stays under the right characters; other
 * control characters (say, in a binary file) become U+FFFD, one for one, so
 * they neither reach the terminal nor move the caret.
 */
const expandTabs = (text: string) => text.replace(/\t/g, "  ").replace(/[\u0000-\u001f\u007f-\u009f]/g, "\ufffd");

export function renderDiagnostic(d: Diagnostic, source: SourceFile | undefined, options: RenderOptions = {}): string {
  const color = options.color ?? false;
  const file = displayPath(d.file, options.cwd);
  const severity = d.severity === "error" ? paint(color, 31, "error") : paint(color, 33, "warning");
  if (source === undefined) return `${file} - ${severity} ${d.code}: ${d.message}${d.hint ? `\n  hint: ${d.hint}` : ""}`;
  const start = source.positionAt(d.span.start);
  const end = source.positionAt(Math.max(d.span.start, d.span.end));
  const lines = [`${file}:${start.line}:${start.column} - ${severity} ${paint(color, 90, d.code)}: ${d.message}`];
  const lineText = source.lineText(start.line);
  const gutter = String(start.line).length;
  // Long lines are cut around the caret so the excerpt stays readable.
  const window = 160;
  let from = 0;
  if (lineText.length > window && start.column > window / 2) from = start.column - 1 - window / 2;
  const shown = lineText.slice(from, from + window);
  const prefix = expandTabs(lineText.slice(from, start.column - 1));
  const width = end.line === start.line ? Math.max(1, end.column - start.column) : Math.max(1, lineText.length - (start.column - 1));
  const underlined = expandTabs(lineText.slice(start.column - 1, start.column - 1 + width)).length || 1;
  lines.push(`  ${paint(color, 90, `${String(start.line)} |`)} ${from > 0 ? "..." : ""}${expandTabs(shown)}`);
  lines.push(`  ${" ".repeat(gutter)} ${paint(color, 90, "|")} ${from > 0 ? "   " : ""}${" ".repeat(prefix.length)}${paint(color, d.severity === "error" ? 31 : 33, "^".repeat(Math.min(underlined, window)))}`);
  if (d.hint) lines.push(`  ${paint(color, 36, "hint")}: ${d.hint}`);
  return lines.join("\n");
}

export function renderDiagnostics(list: readonly Diagnostic[], sourceOf: (file: string) => SourceFile | undefined, options: RenderOptions = {}): string {
  return list.map((d) => renderDiagnostic(d, sourceOf(d.file), options)).join("\n\n");
}

export function summarize(list: readonly Diagnostic[]): string {
  const errors = list.filter((d) => d.severity === "error").length;
  const warnings = list.length - errors;
  const part = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  return `${part(errors, "error")}, ${part(warnings, "warning")}`;
}

/** The JSON shape of `--json`: stable, with 1-based positions. */
export function diagnosticToJson(d: Diagnostic, source: SourceFile | undefined, cwd?: string) {
  const start = source?.positionAt(d.span.start);
  const end = source?.positionAt(d.span.end);
  return {
    file: displayPath(d.file, cwd),
    code: d.code,
    severity: d.severity,
    message: d.message,
    ...(d.hint ? { hint: d.hint } : {}),
    ...(start && end ? { start, end } : {}),
    offset: d.span,
  };
}
