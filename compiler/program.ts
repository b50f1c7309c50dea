/**
 * The program: every file reachable from the roots through imports, run through
 * the phases in order (parse -> resolve -> check). The CLI and the language
 * server both build one; the server passes a host that serves open documents
 * and a cache that keeps parsed files whose text did not change.
 */
import fs from "node:fs";
import path from "node:path";
import type * as A from "./ast.js";
import { parseFile, type ParsedFile } from "./build-ast.js";
import { check, type CheckResult } from "./check.js";
import { DiagnosticBag, sortDiagnostics, type Diagnostic } from "./diagnostics.js";
import { resolve, type SymbolTable } from "./resolve.js";
import { SourceFile } from "./source.js";

export interface CompilerHost {
  /** The text of a file, or an error message saying why it cannot be read. */
  readFile(file: string): { text: string } | { error: string };
}

/** Above this size a file is refused rather than read (a .flow file is small). */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export const nodeHost: CompilerHost = {
  readFile(file) {
    try {
      const stat = fs.statSync(file);
      if (stat.isDirectory()) return { error: "it is a directory" };
      if (stat.size > MAX_FILE_BYTES) return { error: `it is ${Math.round(stat.size / 1024 / 1024)} MB, larger than the limit of 16 MB` };
      const bytes = fs.readFileSync(file);
      // Random bytes decoded leniently become thousands of 'unexpected character' errors: say what it is instead.
      try {
        return { text: utf8.decode(bytes) };
      } catch {
        return { error: "it is not UTF-8 text (is it a binary file?)" };
      }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return { error: "no such file" };
      if (code === "EACCES") return { error: "permission denied" };
      return { error: (error as Error).message };
    }
  },
};

/** Parsed files keyed by path, reused while their text is unchanged. */
export class ParseCache {
  private readonly files = new Map<string, ParsedFile>();

  get(file: string, text: string): ParsedFile {
    const cached = this.files.get(file);
    if (cached !== undefined && cached.source.text === text) return cached;
    const parsed = parseFile(new SourceFile(file, text));
    this.files.set(file, parsed);
    return parsed;
  }

  delete(file: string): void {
    this.files.delete(file);
  }
}

export interface Program {
  /** Absolute paths of the root files, as given. */
  readonly roots: readonly string[];
  /** Every loaded file, roots first, then imports in the order found. */
  readonly files: ReadonlyMap<string, ParsedFile>;
  readonly symbols: SymbolTable;
  readonly checked: CheckResult;
  /** All diagnostics, sorted by file and position. */
  readonly diagnostics: readonly Diagnostic[];
  /** Files that could not be read: path -> reason. */
  readonly unreadable: ReadonlyMap<string, string>;
  readonly hasErrors: boolean;
  sourceOf(file: string): SourceFile | undefined;
}

export interface ProgramOptions {
  readonly host?: CompilerHost;
  readonly cache?: ParseCache;
}

export function createProgram(rootFiles: readonly string[], options: ProgramOptions = {}): Program {
  const host = options.host ?? nodeHost;
  const cache = options.cache ?? new ParseCache();
  const bag = new DiagnosticBag();
  const files = new Map<string, ParsedFile>();
  const unreadable = new Map<string, string>();
  const roots = rootFiles.map((f) => path.resolve(f));

  // Roots are sorted so the program does not depend on the order files were named in.
  const queue: { file: string; from?: { file: string; node: A.ImportDecl } }[] = [...new Set(roots)].sort().map((file) => ({ file }));
  while (queue.length > 0) {
    const { file, from } = queue.shift()!;
    if (files.has(file) || unreadable.has(file)) continue;
    const read = host.readFile(file);
    if ("error" in read) {
      unreadable.set(file, read.error);
      if (from) bag.report("importNotFound", from.file, from.node.path.span, { path: from.node.path.value, reason: read.error });
      continue;
    }
    const parsed = cache.get(file, read.text);
    files.set(file, parsed);
    for (const d of parsed.diagnostics) bag.add(d);
    for (const decl of parsed.document.declarations) {
      if (decl.kind !== "Import" || decl.path.value === "") continue;
      if (!decl.path.value.endsWith(".flow")) {
        bag.report("importNotFound", file, decl.path.span, { path: decl.path.value, reason: "not a .flow file" });
        continue;
      }
      queue.push({ file: path.resolve(path.dirname(file), decl.path.value), from: { file, node: decl } });
    }
  }

  const sourceOf = (file: string) => files.get(file)?.source;
  const describeLocation = (file: string, offset: number) => {
    const source = sourceOf(file);
    const position = source?.positionAt(offset);
    return position ? `${displayPath(file)}:${position.line}:${position.column}` : displayPath(file);
  };
  const documents = [...files.values()].map((f) => f.document).sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const symbols = resolve(documents, bag, describeLocation);
  const checked = check(symbols, bag);
  const diagnostics = withoutFollowOns(sortDiagnostics(bag.items), files);
  return {
    roots,
    files,
    symbols,
    checked,
    diagnostics,
    unreadable,
    hasErrors: diagnostics.some((d) => d.severity === "error"),
    sourceOf,
  };
}

/** Checks that only repeat a syntax error: the stream the parser could not read seems to lose messages. */
const LOSS_CODES = new Set(["FLOW3007", "FLOW3008", "FLOW3009", "FLOW3010"]);

/**
 * Drops what a syntax error makes the checker say on top of it: loss findings
 * inside a declaration that did not parse (a pipeline cut short 'has no sink'),
 * and 'unused topic' warnings while any declaration could not be read (the
 * pipeline that uses the topic may be the broken one). They come back, if still
 * true, once the syntax is fixed.
 */
function withoutFollowOns(list: Diagnostic[], files: ReadonlyMap<string, ParsedFile>): Diagnostic[] {
  const syntax = list.filter((d) => d.code.startsWith("FLOW1"));
  if (syntax.length === 0) return list;
  // A declaration's text runs to the start of the next one: recovery may have skipped its end.
  const broken = (d: Diagnostic) => {
    const declarations = files.get(d.file)?.document.declarations ?? [];
    const index = declarations.findLastIndex((decl) => decl.span.start <= d.span.start);
    if (index < 0) return false;
    const start = declarations[index].span.start;
    const end = declarations[index + 1]?.span.start ?? Infinity;
    return syntax.some((s) => s.file === d.file && start <= s.span.start && s.span.start < end);
  };
  return list.filter((d) => d.code !== "FLOW3002" && !(LOSS_CODES.has(d.code) && broken(d)));
}

/** Paths as people want to read them: relative to the working directory when inside it. */
export function displayPath(file: string, cwd: string = process.cwd()): string {
  const relative = path.relative(cwd, file);
  return relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative.split(path.sep).join("/") : file;
}
