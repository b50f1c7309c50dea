/**
 * Shared by the build tests: the programs (examples and the valid corpus), their
 * golden output directories, a type-checker for generated code against the
 * runtime's sources, and a generator of synthetic programs.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const goldenRoot = path.join(root, "test/build/golden");
export const updating = process.env.UPDATE_GOLDEN === "1";
export const rel = (file: string) => path.relative(root, file).split(path.sep).join("/");

export interface BuildCase {
  /** examples/photos or corpus/kitchen-sink */
  readonly name: string;
  readonly file: string;
  /** The golden directory, which is also the build's output directory. */
  readonly outDir: string;
}

export function buildCases(): BuildCase[] {
  const list = (dir: string, group: string) =>
    fs
      .readdirSync(path.join(root, dir))
      .filter((f) => f.endsWith(".flow"))
      .sort()
      .map((f) => {
        const name = `${group}/${f.replace(/\.flow$/, "")}`;
        return { name, file: path.join(root, dir, f), outDir: path.join(goldenRoot, name) };
      });
  return [...list("examples", "examples"), ...list("test/corpus/valid", "corpus")];
}

/** Every file under a directory, relative, sorted. */
export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.push(path.relative(dir, full).split(path.sep).join("/"));
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * Type-checks TypeScript files in strict mode (NodeNext) with `flowc/runtime` and
 * `flowc/stdlib` resolved to the runtime's sources: the generated code against the
 * runtime API as it is in this checkout. Returns formatted diagnostics per file.
 */
export function typecheck(files: readonly string[]): Map<string, string[]> {
  const program = ts.createProgram([...files], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    skipLibCheck: true,
    types: ["node"],
    typeRoots: [path.join(root, "node_modules/@types")],
    baseUrl: root,
    paths: { "flowc/runtime": ["runtime/index.ts"], "flowc/stdlib": ["stdlib/index.ts"] },
  });
  const byFile = new Map<string, string[]>();
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const file = d.file?.fileName ?? "(global)";
    const position = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
    const text = `${rel(file)}${position ? `:${position.line + 1}:${position.character + 1}` : ""} ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`;
    byFile.set(file, [...(byFile.get(file) ?? []), text]);
  }
  return byFile;
}

export { random, syntheticProgram } from "./synthetic.mjs";
