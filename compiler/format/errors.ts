/** Why the formatter refuses a file. Callers switch on the class, not the message. */
import type { Diagnostic } from "../diagnostics.js";
import { renderDiagnostics } from "../render.js";
import type { SourceFile } from "../source.js";

/**
 * The file has syntax errors. A broken file is never reformatted: the tree is
 * partial, and printing it would drop whatever the parser skipped.
 */
export class FlowSyntaxError extends Error {
  override readonly name = "FlowSyntaxError";
  readonly source: SourceFile;
  readonly diagnostics: readonly Diagnostic[];

  constructor(source: SourceFile, diagnostics: readonly Diagnostic[]) {
    // The message carries the rendered diagnostics, so an editor that shows
    // only the message (prettier's integrations do) still says what is wrong.
    super(`cannot format ${source.path}: it has syntax errors\n\n${renderDiagnostics(diagnostics, () => source)}`);
    this.source = source;
    this.diagnostics = diagnostics;
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
