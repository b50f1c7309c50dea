/** Why the formatter refuses a file. Callers switch on the class, not the message. */
import type { Diagnostic } from "../diagnostics.js";
import { renderDiagnostic, renderDiagnostics } from "../render.js";
import type { SourceFile } from "../source.js";

/**
 * The file has syntax errors. A broken file is never reformatted: the tree is
 * partial, and printing it would drop whatever the parser skipped.
 */
export class FlowSyntaxError extends Error {
  override readonly name = "FlowSyntaxError";
  readonly source: SourceFile;
  readonly diagnostics: readonly Diagnostic[];
  /**
   * Where the first error is, in prettier's terms (1-based lines and columns).
   * Set when the error is raised inside prettier: its CLI then prints the
   * message and a code frame instead of a stack trace.
   */
  readonly loc?: { start: { line: number; column: number }; end: { line: number; column: number } };

  constructor(source: SourceFile, diagnostics: readonly Diagnostic[], options: { forPrettier?: boolean } = {}) {
    // The message carries the diagnostics, so an editor that shows only the
    // message (prettier's integrations do) still says what is wrong. Inside
    // prettier, which adds a code frame of the first error, one line each.
    const rendered = options.forPrettier
      ? diagnostics.map((d) => renderDiagnostic(d, source).split("\n")[0]).join("\n")
      : renderDiagnostics(diagnostics, () => source);
    super(`cannot format ${source.path}: it has syntax errors\n\n${rendered}`);
    this.source = source;
    this.diagnostics = diagnostics;
    if (options.forPrettier && diagnostics.length > 0) {
      const { span } = diagnostics[0];
      this.loc = { start: source.positionAt(span.start), end: source.positionAt(Math.max(span.end, span.start + 1)) };
    }
  }
}

/**
 * The formatted text would not read back as the same program. This is a bug in
 * the formatter; raising it keeps the bug from reaching the user's file.
 */
export class FormatVerificationError extends Error {
  override readonly name = "FormatVerificationError";
  readonly file: string;
  readonly formatted: string;

  constructor(file: string, reason: string, formatted: string) {
    super(`formatting ${file} would change its meaning (${reason}); the file was left as it is`);
    this.file = file;
    this.formatted = formatted;
  }
}
