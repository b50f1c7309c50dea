/**
 * Phase 7: emit. `emit(graph, options)` renders every output file of a build as
 * text: the modules are assembled with ts-morph, then formatted with prettier.
 * The result depends only on the graph and the output directory's place
 * relative to the sources: no time, no absolute paths, no file order.
 *
 * `writeBuild` writes the files (and removes generated files that are no longer
 * produced); `compareBuild` tells what differs on disk, for `flowc build --check`.
 */
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
  /** From the checked program: what each condition's names and paths mean. */
  readonly expressionTypes: ReadonlyMap<A.Expression, ExpressionInfo>;
}

/** The name of the file that marks a directory as flowc's output, listing what it generated. */
export const MANIFEST = ".flowc-build";
export const TYPES_MODULE = "types.ts";
export const ENTRY_MODULE = "index.ts";
export const TOPOLOGY_FILE = "topology.json";
export const TOPOLOGY_SCHEMA_FILE = "topology.schema.json";

export const PRETTIER_OPTIONS: prettier.Options = { parser: "typescript", printWidth: 100, trailingComma: "all", quoteProps: "consistent" };

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

  const files = new Map<string, string>();
  const pending: Promise<void>[] = [];
  for (const [file, parts] of modules) {
    const text = assemble(project, file, head, parts);
    pending.push(
      prettier.format(text, PRETTIER_OPTIONS).then((formatted) => {
        files.set(file, formatted);
      }),
    );
  }
  await Promise.all(pending);
  const json = async (value: unknown) => prettier.format(JSON.stringify(value), { parser: "json", printWidth: 100 });
  files.set(TOPOLOGY_FILE, await json(topologyOf(graph, options.outDir)));
  files.set(TOPOLOGY_SCHEMA_FILE, await json(TOPOLOGY_SCHEMA));
  files.set(MANIFEST, manifest([...files.keys()]));
  return new Map([...files].sort(([a], [b]) => compare(a, b)));
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

function manifest(files: string[]): string {
  return `# Written by flowc build: the files below are generated; flowc build removes them when they are no longer produced.\n${[...files, MANIFEST].sort(compare).join("\n")}\n`;
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
  const file = path.join(outDir, MANIFEST);
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith("#"))
    .filter((line) => !path.isAbsolute(line) && !line.split("/").includes(".."));
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
