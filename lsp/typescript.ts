/**
 * Where a handler lives in its TypeScript module: the export's name, found by
 * parsing the module with the TypeScript compiler (ts-morph's copy, loaded on
 * first use). Syntax only: no program, no type-checking, so it is quick and
 * works on a module with type errors.
 */
import fs from "node:fs";
import path from "node:path";
import type { Range } from "vscode-languageserver/node.js";

type TypeScript = typeof import("ts-morph").ts;
let typescript: Promise<TypeScript> | undefined;
const loadTypeScript = (): Promise<TypeScript> => (typescript ??= import("ts-morph").then((m) => m.ts));

export interface ExportLocation {
  readonly file: string;
  /** The name to jump to: the declaration's name, or the name in `export { ... }`. */
  readonly range: Range;
  /** How to rename the export: replace `range` with this function of the new name. */
  readonly renameAs: (newName: string) => string;
}

/** The module a handler's `from "..."` names: as written, or the .ts source of a .js specifier. */
export function resolveModule(modulePath: string): string | undefined {
  const candidates = [modulePath];
  const ext = path.extname(modulePath);
  if (ext === ".js" || ext === ".mjs" || ext === ".cjs") {
    const base = modulePath.slice(0, -ext.length);
    candidates.unshift(base + (ext === ".mjs" ? ".mts" : ext === ".cjs" ? ".cts" : ".ts"), base + ".tsx");
  } else if (ext === "") {
    candidates.push(`${modulePath}.ts`, `${modulePath}.mts`, `${modulePath}.js`, path.join(modulePath, "index.ts"));
  }
  return candidates.find((c) => {
    try {
      return fs.statSync(c).isFile();
    } catch {
      return false;
    }
  });
}

/** The export named `name` in a module, or the module's first line when the export is not found. */
export async function findExport(modulePath: string, name: string): Promise<{ file: string; found: ExportLocation | undefined } | undefined> {
  const file = resolveModule(modulePath);
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  const ts = await loadTypeScript();
  const kind = file.endsWith(".tsx") ? ts.ScriptKind.TSX : /\.[cm]?js$/.test(file) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const rangeOf = (node: import("ts-morph").ts.Node): Range => {
    const start = sf.getLineAndCharacterOfPosition(node.getStart(sf));
    const end = sf.getLineAndCharacterOfPosition(node.getEnd());
    return { start: { line: start.line, character: start.character }, end: { line: end.line, character: end.character } };
  };
  const exported = (node: import("ts-morph").ts.Node) =>
    ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  const plain = (newName: string) => newName;

  for (const statement of sf.statements) {
    if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) && statement.name?.text === name && exported(statement)) {
      return { file, found: { file, range: rangeOf(statement.name), renameAs: plain } };
    }
    if (ts.isVariableStatement(statement) && exported(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        if (ts.isIdentifier(declaration.name) && declaration.name.text === name) {
          return { file, found: { file, range: rangeOf(declaration.name), renameAs: plain } };
        }
      }
    }
    if (ts.isExportDeclaration(statement) && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
      for (const element of statement.exportClause.elements) {
        if (element.name.text !== name) continue;
        // `export { impl as render }`: rename the exported name only; `export { render }`: keep the local one.
        const local = element.propertyName?.getText(sf) ?? element.name.text;
        return {
          file,
          found: { file, range: rangeOf(element.name), renameAs: element.propertyName ? plain : (newName) => `${local} as ${newName}` },
        };
      }
    }
  }
  return { file, found: undefined };
}
