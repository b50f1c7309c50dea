/**
 * Phase 7: emit. `emit(graph, options)` renders every output file of a build as
 * text: the modules are assembled with ts-morph, then formatted with prettier.
 * The result depends only on the graph and the output directory's place
 * relative to the sources: no time, no absolute paths, no file order.
 *
 * `writeBuild` writes the files (and removes generated files that are no longer
 * produced); `compareBuild` tells what differs on disk, for `flowc build --check`.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import * as prettier from "prettier";
import { IndentationText, Project, QuoteKind, type ImportDeclarationStructure, type OptionalKind } from "ts-morph";
import type * as A from "../ast.js";
import type { ExpressionInfo } from "../check.js";
import { GraphIndex, type StageGraph } from "../ir.js";
import { compare } from "../lower.js";
import { emitEntry } from "./entry.js";
import { TOPOLOGY_SCHEMA, topologyOf } from "./topology.js";
import { TypesEmitter } from "./types.js";
import { emitWorker, header, type ModuleParts } from "./worker.js";

export interface EmitOptions {
  /** Absolute path of the output directory: every path in the output is relative to it. */
  readonly outDir: string;
  /**
   * Reuse formatted modules of the previous build in outDir whose unformatted text is
   * unchanged (and whose file nobody edited since): prettier runs only on what changed.
   * The result is the same bytes either way. Default true.
   */
  readonly incremental?: boolean;
  /** From the checked program: what each condition's names and paths mean. */
  readonly expressionTypes: ReadonlyMap<A.Expression, ExpressionInfo>;
}

/** The name of the file that marks a directory as flowc's output, listing what it generated. */
export const MANIFEST = ".flowc-build";
export const TYPES_MODULE = "types.ts";
export const ENTRY_MODULE = "index.ts";
export const TOPOLOGY_FILE = "topology.json";
export const TOPOLOGY_SCHEMA_FILE = "topology.schema.json";

export const PRETTIER_OPTIONS: prettier.Options = { parser: "babel-ts", printWidth: 100, trailingComma: "all", quoteProps: "consistent" };

/** Every output file, relative path -> text, sorted by path. */
export async function emit(graph: StageGraph, options: EmitOptions): Promise<Map<string, string>> {
  const index = new GraphIndex(graph);
  const types = new TypesEmitter(graph);
  const project = new Project({
    useInMemoryFileSystem: true,
    manipulationSettings: { quoteKind: QuoteKind.Double, indentationText: IndentationText.TwoSpaces },
    compilerOptions: { noLib: true },
  });
  const head = header(graph.files, options.outDir);
  const modules = new Map<string, ModuleParts>();
  const workerCtx = { index, types, expressionTypes: options.expressionTypes, outDir: options.outDir, typesModule: TYPES_MODULE };
  for (const worker of graph.workers) modules.set(worker.module, emitWorker(worker, workerCtx));
  modules.set(ENTRY_MODULE, emitEntry(graph));
  // types.ts last: the workers decide which decoders exist.
  modules.set(TYPES_MODULE, { imports: new Map(), statements: types.statements() });

  const unformatted = [...modules].map(([file, parts]) => [file, assemble(project, file, head, parts)] as const);
  const previous = options.incremental === false ? new Map<string, { source: string; text: string }>() : reusable(options.outDir);
  const reused = new Map<string, string>();
  const sources = new Map<string, string>();
  const toFormat: (readonly [string, string])[] = [];
  for (const [file, text] of unformatted) {
    const source = digest(text);
    sources.set(file, source);
    const before = previous.get(file);
    if (before !== undefined && before.source === source) reused.set(file, before.text);
    else toFormat.push([file, text]);
  }
  const files = await formatModules(toFormat);
  for (const [file, text] of reused) files.set(file, text);
  files.set(TOPOLOGY_FILE, formatJson(topologyOf(graph, options.outDir)));
  files.set(TOPOLOGY_SCHEMA_FILE, formatJson(TOPOLOGY_SCHEMA));
  files.set(MANIFEST, manifest(files, sources));
  return new Map([...files].sort(([a], [b]) => compare(a, b)));
}

/**
 * Formats modules with prettier. Prettier's cost is mostly per call, so the modules go
 * through it as one text, cut at marker comments; the result is the same as formatting
 * each alone (top-level statements are formatted independently), and a test holds it to
 * that. Should the cut not give back every module, each is formatted alone.
 */
async function formatModules(modules: readonly (readonly [string, string])[]): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  // Batches of a few dozen: one call per module costs more, one call for all holds too much at once.
  for (let start = 0; start < modules.length; start += FORMAT_BATCH) {
    const batch = modules.slice(start, start + FORMAT_BATCH);
    const marker = (file: string) => `// ::flowc-module ${file}::`;
    const joined = batch.map(([file, text]) => `${marker(file)}\n${text}`).join("\n");
    const formatted = await prettier.format(joined, PRETTIER_OPTIONS);
    const parts = formatted.split(/^\/\/ ::flowc-module (.+)::\n/m);
    const got = new Map<string, string>();
    for (let i = 1; i + 1 < parts.length; i += 2) got.set(parts[i], parts[i + 1].replace(/\n+$/, "\n"));
    const complete = got.size === batch.length && batch.every(([file]) => got.has(file));
    for (const [file, text] of complete ? got : await formatEach(batch)) files.set(file, text);
  }
  return files;
}

const FORMAT_BATCH = 32;

/**
 * JSON as people write it: one member per line, and arrays or objects that fit in 100
 * columns on one line. Stable: the same value always prints the same.
 */
export function formatJson(value: unknown): string {
  const print = (v: unknown, indent: string, room: number): string => {
    if (v === null || typeof v !== "object") return JSON.stringify(v);
    const entries: [string | undefined, unknown][] = Array.isArray(v) ? v.map((x) => [undefined, x]) : Object.entries(v).filter(([, x]) => x !== undefined);
    const [open, close] = Array.isArray(v) ? ["[", "]"] : ["{", "}"];
    if (entries.length === 0) return `${open}${close}`;
    const key = (k: string | undefined) => (k === undefined ? "" : `${JSON.stringify(k)}: `);
    const flat = `${open}${Array.isArray(v) ? "" : " "}${entries.map(([k, x]) => `${key(k)}${JSON.stringify(x)}`).join(", ")}${Array.isArray(v) ? "" : " "}${close}`;
    if (flat.length <= room && !flat.includes("\n")) return flat;
    const inner = `${indent}  `;
    return `${open}\n${entries.map(([k, x]) => `${inner}${key(k)}${print(x, inner, 100 - inner.length - key(k).length - 1)}`).join(",\n")}\n${indent}${close}`;
  };
  return `${print(value, "", 100)}\n`;
}

export async function formatEach(modules: readonly (readonly [string, string])[]): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const [file, text] of modules) files.set(file, await prettier.format(text, PRETTIER_OPTIONS));
  return files;
}

/** One module through ts-morph: the header, sorted imports, then the statements. */
function assemble(project: Project, file: string, head: string, parts: ModuleParts): string {
  const source = project.createSourceFile(`/out/${file}`, "", { overwrite: true });
  const specifiers = [...parts.imports.keys()].sort((a, b) => importRank(a) - importRank(b) || compare(a, b));
  const imports: OptionalKind<ImportDeclarationStructure>[] = specifiers.map((specifier) => {
    const names = [...parts.imports.get(specifier)!];
    const allTypes = names.every((n) => n.startsWith("type "));
    const sorted = names.map((n) => (allTypes ? n.slice(5) : n)).sort((a, b) => byName(a.replace(/^type /, ""), b.replace(/^type /, "")));
    return {
      moduleSpecifier: specifier,
      isTypeOnly: allTypes,
      namedImports: sorted.map((n) => (n.startsWith("type ") ? { name: n.slice(5), isTypeOnly: true } : { name: n })),
    };
  });
  source.addImportDeclarations(imports);
  const text = `${head}\n${source.getFullText()}\n${parts.statements.join("\n\n")}\n`;
  project.removeSourceFile(source);
  return text;
}

/** Case-insensitive, then exact: \`decodePhoto, Photo\`. */
const byName = (a: string, b: string) => compare(a.toLowerCase(), b.toLowerCase()) || compare(a, b);

/** node: built-ins, then packages, then relative modules. */
const importRank = (specifier: string) => (specifier.startsWith("node:") ? 0 : specifier.startsWith(".") ? 2 : 1);

/** Bumped when the emitter's formatting changes in a way prettier's version does not show. */
const FORMAT_KEY = `flowc-emit-1 prettier-${prettier.version} ${JSON.stringify(PRETTIER_OPTIONS)}`;

/** A short content hash (sha256, 16 hex digits), keyed by the formatter. */
function digest(text: string): string {
  return createHash("sha256").update(FORMAT_KEY).update("\u0000").update(text).digest("hex").slice(0, 16);
}

/**
 * The manifest: every generated file, with (for modules) the hash of its text before
 * formatting and of the file as written, so the next build can reuse it.
 */
function manifest(files: ReadonlyMap<string, string>, sources: ReadonlyMap<string, string>): string {
  const lines = [...files.keys(), MANIFEST].sort(compare).map((file) => {
    const source = sources.get(file);
    return source !== undefined ? `${file} ${source} ${digest(files.get(file)!)}` : file;
  });
  return `# Written by flowc build: the files below are generated; flowc build removes them when they are no longer produced.\n${lines.join("\n")}\n`;
}

function manifestEntries(outDir: string): { file: string; source?: string; written?: string }[] {
  const file = path.join(outDir, MANIFEST);
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const [name, source, written] = line.split(" ");
      return { file: name, ...(source !== undefined && written !== undefined ? { source, written } : {}) };
    })
    .filter((entry) => !path.isAbsolute(entry.file) && !entry.file.split("/").includes(".."));
}

/** Modules of the previous build that are on disk exactly as it wrote them. */
function reusable(outDir: string): Map<string, { source: string; text: string }> {
  const out = new Map<string, { source: string; text: string }>();
  for (const entry of manifestEntries(outDir)) {
    if (entry.source === undefined || entry.written === undefined) continue;
    const target = path.join(outDir, entry.file);
    if (!fs.existsSync(target)) continue;
    const text = fs.readFileSync(target, "utf8");
    if (digest(text) === entry.written) out.set(entry.file, { source: entry.source, text });
  }
  return out;
}

export interface BuildDifference {
  readonly stale: string[];
  readonly missing: string[];
  readonly extra: string[];
}

/** What differs between the emitted files and the output directory. */
export function compareBuild(outDir: string, files: ReadonlyMap<string, string>): BuildDifference {
  const stale: string[] = [];
  const missing: string[] = [];
  for (const [file, text] of files) {
    const target = path.join(outDir, file);
    if (!fs.existsSync(target)) missing.push(file);
    else if (fs.readFileSync(target, "utf8") !== text) stale.push(file);
  }
  const extra = previouslyGenerated(outDir).filter((f) => !files.has(f) && fs.existsSync(path.join(outDir, f)));
  return { stale, missing, extra };
}

/** The files a previous build wrote, from its manifest. */
function previouslyGenerated(outDir: string): string[] {
  return manifestEntries(outDir).map((entry) => entry.file);
}

export interface WriteResult {
  readonly written: string[];
  readonly unchanged: string[];
  readonly removed: string[];
}

/**
 * Writes the files. Files whose content is unchanged are not touched (so watchers
 * and make stay quiet); files a previous build generated and this one does not are
 * removed. Nothing else in the directory is touched.
 */
export function writeBuild(outDir: string, files: ReadonlyMap<string, string>): WriteResult {
  const before = previouslyGenerated(outDir);
  const written: string[] = [];
  const unchanged: string[] = [];
  for (const [file, text] of files) {
    const target = path.join(outDir, file);
    if (fs.existsSync(target) && fs.readFileSync(target, "utf8") === text) {
      unchanged.push(file);
      continue;
    }
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, text);
    written.push(file);
  }
  const removed: string[] = [];
  for (const file of before) {
    if (files.has(file)) continue;
    const target = path.join(outDir, file);
    if (!fs.existsSync(target)) continue;
    fs.rmSync(target);
    removed.push(file);
    // Remove directories the build emptied.
    let dir = path.dirname(target);
    while (dir.startsWith(outDir) && dir !== outDir && fs.readdirSync(dir).length === 0) {
      fs.rmdirSync(dir);
      dir = path.dirname(dir);
    }
  }
  return { written, unchanged, removed };
}
