/**
 * Shared by the front end's tests: the corpus, golden files, and stable dumps
 * of tokens, trees and diagnostics.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import type { IToken } from "chevrotain";
import type * as A from "../../compiler/ast.js";
import { parseFile, type ParsedFile } from "../../compiler/build-ast.js";
import type { Diagnostic } from "../../compiler/diagnostics.js";
import { createProgram, nodeHost, type CompilerHost, type Program } from "../../compiler/program.js";
import { diagnosticToJson, renderDiagnostics } from "../../compiler/render.js";
import { SourceFile, type Span } from "../../compiler/source.js";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const corpusDir = path.join(root, "test/corpus");
export const goldenDir = path.join(root, "test/golden");
export const updating = process.env.UPDATE_GOLDEN === "1";

export interface CorpusFile {
  /** "valid" or "invalid" */
  readonly group: "valid" | "invalid";
  /** File name without .flow */
  readonly name: string;
  readonly path: string;
  readonly text: string;
}

export function corpus(group?: "valid" | "invalid"): CorpusFile[] {
  const groups = group ? [group] : (["valid", "invalid"] as const);
  return groups.flatMap((g) =>
    fs
      .readdirSync(path.join(corpusDir, g))
      .filter((f) => f.endsWith(".flow"))
      .sort()
      .map((f) => {
        const file = path.join(corpusDir, g, f);
        return { group: g, name: f.replace(/\.flow$/, ""), path: file, text: fs.readFileSync(file, "utf8") };
      }),
  );
}

/** Compares `actual` with the golden file, or writes it when UPDATE_GOLDEN=1. */
export function golden(relative: string, actual: string): void {
  const file = path.join(goldenDir, relative);
  if (updating) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const before = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
    if (before !== actual) fs.writeFileSync(file, actual);
    return;
  }
  if (!fs.existsSync(file)) throw new Error(`missing golden file ${path.relative(root, file)}: run UPDATE_GOLDEN=1 npx vitest run test/frontend`);
  expect(actual, `golden ${path.relative(root, file)} (UPDATE_GOLDEN=1 rewrites it)`).toBe(fs.readFileSync(file, "utf8"));
}

export const rel = (file: string) => path.relative(root, file).split(path.sep).join("/");

export function parseText(text: string, file = "/virtual/test.flow"): ParsedFile {
  return parseFile(new SourceFile(file, text));
}

/** A host that serves the given files from memory and everything else from disk. */
export function memoryHost(files: Record<string, string>): CompilerHost {
  return {
    readFile(file) {
      if (Object.hasOwn(files, file)) return { text: files[file] };
      return nodeHost.readFile(file);
    },
  };
}

/** A program made of one in-memory file (plus in-memory or on-disk imports). */
export function checkText(text: string, file = path.join(root, "test/corpus/virtual/main.flow"), extra: Record<string, string> = {}): Program {
  return createProgram([file], { host: memoryHost({ [file]: text, ...extra }) });
}

// --- dumps ---------------------------------------------------------------------

export function position(source: SourceFile, offset: number): string {
  const p = source.positionAt(offset);
  return `${p.line}:${p.column}`;
}

export function spanText(source: SourceFile, span: Span): string {
  return `${position(source, span.start)}-${position(source, span.end)}`;
}

/** One token a line: `line:col Type image`. */
export function dumpTokens(source: SourceFile, tokens: readonly IToken[]): string {
  return tokens.map((t) => `${position(source, t.startOffset)} ${t.tokenType.name} ${JSON.stringify(t.image)}`).join("\n") + "\n";
}

/** The tree as stable JSON: spans as line:col-line:col, file paths relative to the repository. */
export function dumpAst(source: SourceFile, document: A.Document): string {
  const convert = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(convert);
    if (value === null || typeof value !== "object") return value;
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (key === "span") out.span = spanText(source, v as Span);
      else if (key === "file" && typeof v === "string") out.file = rel(v);
      else out[key] = convert(v);
    }
    return out;
  };
  return JSON.stringify(convert(document), null, 1) + "\n";
}

export function renderText(program: Program): string {
  return renderDiagnostics(program.diagnostics, program.sourceOf, { cwd: root, color: false }) + "\n";
}

export function diagnosticsJson(program: Program): string {
  return JSON.stringify(program.diagnostics.map((d) => diagnosticToJson(d, program.sourceOf(d.file), root)), null, 1) + "\n";
}

/** `code@line:col` for each diagnostic of one file, in order. */
export function located(program: Program, file: string): string[] {
  const source = program.sourceOf(file);
  return program.diagnostics.filter((d) => d.file === file).map((d) => `${d.code}@${source ? position(source, d.span.start) : "?"}`);
}

/**
 * Expected diagnostics written in an invalid corpus file:
 *   `// expect: FLOW2001 FLOW2002` on the line the diagnostics start on, or
 *   `// expect line 7: FLOW1003` anywhere (for lines that cannot hold a comment).
 * Returns `code@line` strings, sorted.
 */
export function expectations(text: string): string[] {
  const out: string[] = [];
  const lines = text.split(/\r\n|\r|\n/);
  lines.forEach((line, index) => {
    for (const match of line.matchAll(/\/\/ expect(?: line (\d+))?: ((?:FLOW\d{4}\s*)+)/g)) {
      const at = match[1] !== undefined ? Number(match[1]) : index + 1;
      for (const code of match[2].trim().split(/\s+/)) out.push(`${code}@${at}`);
    }
  });
  return out.sort();
}

export function codesByLine(program: Program, file: string): string[] {
  const source = program.sourceOf(file)!;
  return program.diagnostics
    .filter((d) => d.file === file)
    .map((d) => `${d.code}@${source.positionAt(d.span.start).line}`)
    .sort();
}

/** Every span of a diagnostic lies within its file's text. */
export function spansInside(diagnostics: readonly Diagnostic[], length: number): boolean {
  return diagnostics.every((d) => 0 <= d.span.start && d.span.start <= d.span.end && d.span.end <= length);
}
