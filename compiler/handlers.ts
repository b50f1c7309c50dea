/**
 * Handler checking: every `handler` declaration is resolved in its TypeScript
 * module with ts-morph, and its signature is checked against the declared
 * schemas by the TypeScript checker itself. A small probe module, placed in the
 * output directory beside the generated types.ts (both in memory only), imports
 * each handler and assigns:
 *
 *   const argument: Parameters<typeof render>[0] = value as Photo;        // takes a Photo?
 *   const result: Rendition = awaited as Awaited<ReturnType<typeof render>>;  // returns a Rendition (or a Promise of one)?
 *
 * Whatever TypeScript reports on those lines becomes FLOW4003 at the `.flow`
 * line, naming the handler's TypeScript location. A missing module is FLOW4001,
 * a missing export FLOW4002.
 */
import fs from "node:fs";
import path from "node:path";
import { FileSystemRefreshResult, Node, Project, ts, type SourceFile } from "ts-morph";
import { createDiagnostic, suggest, type Diagnostic } from "./diagnostics.js";
import { displayPath } from "./program.js";
import type { HandlerSymbol } from "./resolve.js";
import { compare } from "./lower.js";

export interface HandlerCheckOptions {
  /** Where the build writes; the probe and types.ts are placed here, in memory. */
  readonly outDir: string;
  /** The text of the generated types.ts. */
  readonly typesText: string;
  /** TypeScript names for flow types, as in types.ts. */
  readonly tsType: (type: NonNullable<HandlerSymbol["output"]>) => string;
  /** Names a type needs from types.ts. */
  readonly typeImports: (type: NonNullable<HandlerSymbol["output"]>) => string[];
  readonly cwd?: string;
}

const PROBE = "__flowc_handler_check__.ts";

type Check = "argument" | "result" | "arity" | "context";

/** The probe's preamble. When flowc/stdlib does not resolve, HandlerContext is any and the context check passes. */
const PREAMBLE = [
  `import type { HandlerContext } from "flowc/stdlib";`,
  `type ContextOf<F> = F extends (input: any, context: infer C, ...rest: any[]) => unknown ? C : unknown;`,
  `declare const context: HandlerContext;`,
];

/** Candidates for a module path as written: `./x.ts`, `./x.js` (NodeNext style) or `./x`. */
export function handlerModuleCandidates(modulePath: string): string[] {
  const ext = path.extname(modulePath);
  const base = ext === "" ? modulePath : modulePath.slice(0, -ext.length);
  const byExt: Record<string, string[]> = {
    ".ts": [".ts"],
    ".tsx": [".tsx"],
    ".mts": [".mts"],
    ".js": [".ts", ".tsx", ".js"],
    ".mjs": [".mts", ".mjs"],
    ".jsx": [".tsx", ".jsx"],
  };
  if (ext === "") return [".ts", ".tsx", ".mts", "/index.ts"].map((e) => base + e);
  return (byExt[ext] ?? [ext]).map((e) => base + e);
}

/**
 * One ts-morph project for every check in a process (a watch loop, the language server):
 * TypeScript then reuses what it parsed. Files are refreshed from disk before each check.
 */
let project: Project | undefined;
const virtualFiles = new Set<string>();

function sharedProject(): Project {
  if (project === undefined) {
    project = new Project({
      compilerOptions: {
        strict: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        skipLibCheck: true,
        noEmit: true,
        allowImportingTsExtensions: true,
        types: [],
      },
      skipAddingFilesFromTsConfig: true,
      skipFileDependencyResolution: true,
    });
    return project;
  }
  for (const file of project.getSourceFiles()) {
    if (virtualFiles.has(file.getFilePath())) continue;
    if (file.refreshFromFileSystemSync() === FileSystemRefreshResult.Deleted) project.removeSourceFile(file);
  }
  return project;
}

export function checkHandlers(handlers: readonly HandlerSymbol[], options: HandlerCheckOptions): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const sorted = [...handlers].sort((a, b) => compare(a.name, b.name));
  if (sorted.length === 0) return diagnostics;
  const cwd = options.cwd ?? process.cwd();
  const project = sharedProject();
  const outDir = options.outDir;
  const typesFile = project.createSourceFile(path.join(outDir, "types.ts"), options.typesText, { overwrite: true });
  virtualFiles.add(typesFile.getFilePath());

  const location = (file: SourceFile, node: Node) => {
    const { line, column } = file.getLineAndColumnAtPos(node.getStart());
    return `${displayPath(file.getFilePath(), cwd)}:${line}:${column}`;
  };

  interface Probe {
    readonly handler: HandlerSymbol;
    readonly alias: string;
    readonly location: string;
    readonly declaredType: string;
  }
  const probes: Probe[] = [];
  const lines: string[] = [];
  const lineOwner: { line: number; probe: Probe; check: Check }[] = [];
  const typeNames = new Set<string>();
  const push = (text: string, owner?: { probe: Probe; check: Check }) => {
    lines.push(text);
    if (owner) lineOwner.push({ line: lines.length, ...owner });
  };

  for (const handler of sorted) {
    const found = handlerModuleCandidates(handler.modulePath).find((candidate) => fs.existsSync(candidate) && fs.statSync(candidate).isFile());
    if (found === undefined) {
      diagnostics.push(createDiagnostic("handlerModuleNotFound", handler.file, handler.decl.module.span, { module: handler.module, resolved: displayPath(handler.modulePath, cwd) }));
      continue;
    }
    const file = project.getSourceFile(found) ?? project.addSourceFileAtPath(found);
    const exported = file.getExportedDeclarations();
    const declarations = exported.get(handler.name) ?? [];
    const callable = declarations.find((d) => d.getType().getCallSignatures().length > 0);
    if (callable === undefined) {
      const functions = [...exported].filter(([, decls]) => decls.some((d) => d.getType().getCallSignatures().length > 0)).map(([name]) => name);
      const nonFunction = declarations[0];
      diagnostics.push(
        createDiagnostic("handlerExportMissing", handler.file, handler.decl.name.span, {
          handler: handler.name,
          module: handler.module,
          ...(nonFunction !== undefined ? {} : suggest(handler.name, functions)),
        }),
      );
      continue;
    }
    const alias = `handler${probes.length}`;
    const probe: Probe = { handler, alias, location: location(file, callable), declaredType: options.tsType(handler.input) };
    probes.push(probe);
    for (const name of options.typeImports(handler.input)) typeNames.add(name);
    if (handler.output !== undefined) for (const name of options.typeImports(handler.output)) typeNames.add(name);

    const specifier = relativeSpecifier(outDir, found);
    push(`import { ${handler.name} as ${alias} } from ${JSON.stringify(specifier)};`);
    push(`declare const ${alias}Input: ${probe.declaredType};`);
    push(`export const ${alias}Argument: Parameters<typeof ${alias}>[0] = ${alias}Input;`, { probe, check: "argument" });
    push(`declare const ${alias}Arity: Parameters<typeof ${alias}>["length"];`);
    push(`export const ${alias}ArityOk: 0 | 1 | 2 = ${alias}Arity;`, { probe, check: "arity" });
    push(`export const ${alias}Context: ContextOf<typeof ${alias}> = context;`, { probe, check: "context" });
    if (handler.output !== undefined) {
      push(`declare const ${alias}Output: Awaited<ReturnType<typeof ${alias}>>;`);
      push(`export const ${alias}Result: ${options.tsType(handler.output)} = ${alias}Output;`, { probe, check: "result" });
    }
  }
  if (probes.length === 0) return diagnostics;
  const text = [...PREAMBLE, `import type { ${[...typeNames].sort(compare).join(", ") || "Decoded"} } from "./types.js";`, ...lines].join("\n");
  const offset = PREAMBLE.length + 1;
  const probeFile = project.createSourceFile(path.join(outDir, PROBE), text, { overwrite: true });
  virtualFiles.add(probeFile.getFilePath());

  const reported = new Set<string>();
  for (const diagnostic of probeFile.getPreEmitDiagnostics()) {
    if (diagnostic.getSourceFile()?.getFilePath() !== probeFile.getFilePath()) continue;
    const line = (diagnostic.getLineNumber() ?? 0) - offset;
    const owner = lineOwner.find((o) => o.line === line);
    if (owner === undefined) continue;
    const key = `${owner.probe.alias}:${owner.check}`;
    if (reported.has(key)) continue;
    reported.add(key);
    const detail = flatten(diagnostic.compilerObject.messageText);
    const { handler } = owner.probe;
    const problem =
      owner.check === "argument"
        ? `cannot take ${article(owner.probe.declaredType)} as its argument, as its declaration says: ${detail}`
        : owner.check === "result"
          ? `must return ${options.tsType(handler.output!)} (or a Promise of it), as its declaration says: ${detail}`
          : owner.check === "arity"
            ? "takes more than a message and a context: a handler is called as (message, context)"
            : `cannot take the handler context as its second argument: ${detail}`;
    const hint = owner.check === "argument" && hasCode(diagnostic.compilerObject.messageText, READONLY_TO_MUTABLE) ? READONLY_HINT : undefined;
    diagnostics.push(
      createDiagnostic("handlerSignatureMismatch", handler.file, handler.decl.span, { handler: handler.name, problem, location: owner.probe.location, ...(hint !== undefined ? { hint } : {}) }),
    );
  }
  return diagnostics;
}

/** TS4104: "The type 'readonly X[]' is 'readonly' and cannot be assigned to the mutable type 'X[]'". */
const READONLY_TO_MUTABLE = 4104;

/**
 * The generated types are readonly on purpose: a decoded message is the handler's to read, not
 * to change. TypeScript refuses a handler whose parameter declares a mutable array; say why
 * and what to write instead.
 */
const READONLY_HINT = "flowc's message types are readonly (a decoded message is not the handler's to change): declare the parameter's arrays readonly, `readonly T[]`";

function hasCode(message: string | ts.DiagnosticMessageChain, code: number): boolean {
  if (typeof message === "string") return false;
  return message.code === code || (message.next ?? []).some((next) => hasCode(next, code));
}

/** The innermost, most specific line of a TypeScript message chain, with the outermost for context. */
function flatten(message: string | ts.DiagnosticMessageChain): string {
  const lines = ts.flattenDiagnosticMessageText(message, "\n").split("\n").map((l) => l.trim()).filter(Boolean);
  // import("/abs/path/types").Order reads as Order.
  const tidy = (line: string) => line.replace(/import\("[^"]*"\)\./g, "");
  if (lines.length <= 1) return tidy(lines[0] ?? "");
  return tidy(`${lines[0]} ${lines[lines.length - 1]}`);
}

const article = (name: string) => (/^[A-Z][a-z]/.test(name) ? `${/^[AEIOU]/.test(name) ? "an" : "a"} ${name}` : name);

function relativeSpecifier(fromDir: string, file: string): string {
  let relative = path.relative(fromDir, file).split(path.sep).join("/");
  if (!relative.startsWith(".")) relative = `./${relative}`;
  return relative.replace(/\.ts$/, ".js").replace(/\.tsx$/, ".js").replace(/\.mts$/, ".mjs");
}
