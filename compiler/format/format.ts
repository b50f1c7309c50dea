/** `formatFlow`: the one entry point the CLI and the language server call. */
import type { Options } from "prettier";
import { parseFile } from "../build-ast.js";
import { SourceFile } from "../source.js";
import { syntaxDifference } from "./equivalence.js";
import { FlowSyntaxError, FormatVerificationError } from "./errors.js";
import plugin, { offerParsed, PARSER_NAME } from "./plugin.js";

export interface FormatOptions {
  /** The file's path, for diagnostics. */
  readonly filepath?: string;
  /** Default 100. */
  readonly printWidth?: number;
  /** Default 2. */
  readonly tabWidth?: number;
  readonly useTabs?: boolean;
  /** Default "lf". */
  readonly endOfLine?: Options["endOfLine"];
}

/**
 * Formats the text of a .flow file. Throws FlowSyntaxError (with diagnostics
 * whose spans point into `text`) when the file has syntax errors, and
 * FormatVerificationError if the result would not parse back to the same
 * program, so a formatter bug can never damage a file.
 */
export async function formatFlow(text: string, options: FormatOptions = {}): Promise<string> {
  const file = options.filepath ?? "<input>";
  const before = parseFile(new SourceFile(file, text));
  const errors = before.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) throw new FlowSyntaxError(before.source, errors);

  // Loaded on first use: commands that never format don't pay for prettier.
  const prettier = await import("prettier");
  offerParsed(before);
  const formatted = await prettier.format(text, {
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
    filepath: file,
    parser: PARSER_NAME,
    plugins: [plugin],
  });

  const after = parseFile(new SourceFile(file, formatted));
  const broken = after.diagnostics.find((d) => d.severity === "error");
  if (broken !== undefined) throw new FormatVerificationError(file, `the result does not parse: ${broken.message}`, formatted);
  const difference = syntaxDifference(before.document, after.document);
  if (difference !== undefined) throw new FormatVerificationError(file, difference, formatted);
  return formatted;
}

/** True when the text is already formatted. */
export async function isFormatted(text: string, options: FormatOptions = {}): Promise<boolean> {
  return (await formatFlow(text, options)) === text;
}
