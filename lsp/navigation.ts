/**
 * Go to definition, declaration, find references and rename for topics,
 * schemas, enums, handlers and pipelines. References come from the resolver's
 * table of every resolved name; they are gathered from every program the
 * server knows, so a symbol declared in an imported file is found (and
 * renamed) in the files that import it.
 */
import path from "node:path";
import { ResponseError, ErrorCodes, type Location, type Range, type TextEdit, type WorkspaceEdit } from "vscode-languageserver/node.js";
import type * as A from "../compiler/ast.js";
import type { ParsedFile } from "../compiler/build-ast.js";
import type { Program } from "../compiler/program.js";
import { keywordNames } from "../grammar/tokens.js";
import { declarationAt, sameSymbol, symbolAt, type FlowSymbol } from "./analysis.js";
import { toRange } from "./convert.js";
import { findExport, resolveModule } from "./typescript.js";

const inside = (span: { start: number; end: number }, offset: number) => span.start <= offset && offset <= span.end;

export interface NavigationHost {
  uriOf(file: string): string;
  /** Programs to search for references: every open or workspace file's. */
  allPrograms(): Program[];
}

const zero: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

function declarationLocation(program: Program, symbol: FlowSymbol, host: NavigationHost): Location | undefined {
  const source = program.sourceOf(symbol.file);
  if (source === undefined) return undefined;
  return { uri: host.uriOf(symbol.file), range: toRange(source, symbol.decl.name.span) };
}

/** The .flow declaration of the symbol under the cursor; for an import or a handler module, the file. */
export function declaration(program: Program, parsed: ParsedFile, offset: number, host: NavigationHost): Location[] {
  const hit = symbolAt(program, parsed.source.path, offset);
  if (hit) {
    const location = declarationLocation(program, hit.symbol, host);
    return location ? [location] : [];
  }
  const decl = declarationAt(parsed.document, offset);
  if (decl?.kind === "Pipeline") {
    const lane = laneDefinition(decl, offset);
    if (lane !== undefined) return [{ uri: host.uriOf(parsed.source.path), range: toRange(parsed.source, lane.span) }];
  }
  if (decl?.kind === "Import" && inside(decl.path.span, offset) && decl.path.value !== "") {
    const target = path.resolve(path.dirname(parsed.source.path), decl.path.value);
    if (program.files.has(target)) return [{ uri: host.uriOf(target), range: zero }];
  }
  return [];
}

/** Where a lane used in a lane sink is made: its name in copy(...) or split { ... } (the last stage that makes it). */
function laneDefinition(pipeline: A.PipelineDecl, offset: number): A.Identifier | undefined {
  if (pipeline.sink?.kind !== "LaneSink") return undefined;
  const route = pipeline.sink.routes.find((r) => inside(r.lane.span, offset));
  if (route === undefined) return undefined;
  let made: A.Identifier | undefined;
  for (const stage of pipeline.stages) {
    const name = stage.call.name.text;
    for (const arg of stage.call.args ?? []) {
      const id = name === "copy" || (name === "split" && arg.name?.text === "else") ? (arg.value.kind === "Name" ? arg.value.name : undefined) : name === "split" ? arg.name : undefined;
      if (id?.text === route.lane.text) made = id;
    }
  }
  return made;
}

/** Like declaration, but a handler goes to its export in the TypeScript module. */
export async function definition(program: Program, parsed: ParsedFile, offset: number, host: NavigationHost): Promise<Location[]> {
  const hit = symbolAt(program, parsed.source.path, offset);
  if (hit?.symbol.kind === "handler") {
    const ts = await findExport(hit.symbol.modulePath, hit.symbol.name).catch(() => undefined);
    if (ts !== undefined) return [{ uri: host.uriOf(ts.file), range: ts.found?.range ?? zero }];
  }
  const decl = declarationAt(parsed.document, offset);
  if (decl?.kind === "Handler" && inside(decl.module.span, offset)) {
    const handler = program.symbols.handlers.get(decl.name.text);
    const file = handler && resolveModule(handler.modulePath);
    if (file) return [{ uri: host.uriOf(file), range: zero }];
  }
  return declaration(program, parsed, offset, host);
}

interface Occurrence {
  readonly file: string;
  readonly range: Range;
  readonly isDeclaration: boolean;
}

/** Every occurrence of a symbol in the programs the server knows, declaration first, without repeats. */
function occurrences(symbol: FlowSymbol, host: NavigationHost, current: Program): Occurrence[] {
  const seen = new Set<string>();
  const out: Occurrence[] = [];
  const add = (program: Program, file: string, span: { start: number; end: number }, isDeclaration: boolean) => {
    const key = `${file}\u0000${span.start}`;
    const source = program.sourceOf(file);
    if (seen.has(key) || source === undefined) return;
    seen.add(key);
    out.push({ file, range: toRange(source, span), isDeclaration });
  };
  for (const program of [current, ...host.allPrograms()]) {
    const own = findSymbol(program, symbol);
    if (own === undefined) continue;
    add(program, own.file, own.decl.name.span, true);
    for (const ref of program.symbols.references) if (sameSymbol(ref.target, symbol)) add(program, ref.file, ref.node.span, false);
  }
  return out;
}

function findSymbol(program: Program, symbol: FlowSymbol): FlowSymbol | undefined {
  const { types, topics, handlers, pipelines } = program.symbols;
  const candidate = symbol.kind === "schema" || symbol.kind === "enum" ? types.get(symbol.name) : symbol.kind === "topic" ? topics.get(symbol.name) : symbol.kind === "handler" ? handlers.get(symbol.name) : pipelines.get(symbol.name);
  return candidate !== undefined && sameSymbol(candidate, symbol) ? candidate : undefined;
}

export function references(program: Program, parsed: ParsedFile, offset: number, includeDeclaration: boolean, host: NavigationHost): Location[] {
  const hit = symbolAt(program, parsed.source.path, offset);
  if (hit === undefined) return [];
  return occurrences(hit.symbol, host, program)
    .filter((o) => includeDeclaration || !o.isDeclaration)
    .map((o) => ({ uri: host.uriOf(o.file), range: o.range }));
}

export function prepareRename(program: Program, parsed: ParsedFile, offset: number): { range: Range; placeholder: string } | null {
  const hit = symbolAt(program, parsed.source.path, offset);
  if (hit === undefined) return null;
  return { range: toRange(parsed.source, hit.node.span), placeholder: hit.node.text };
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const keywords = new Set(keywordNames.map((k) => k.toLowerCase()));

export async function rename(program: Program, parsed: ParsedFile, offset: number, newName: string, host: NavigationHost): Promise<WorkspaceEdit | null> {
  const hit = symbolAt(program, parsed.source.path, offset);
  if (hit === undefined) return null;
  const symbol = hit.symbol;
  if (!NAME.test(newName)) throw new ResponseError(ErrorCodes.InvalidParams, `'${newName}' is not a name: use letters, digits and '_', starting with a letter or '_'`);
  if (keywords.has(newName)) throw new ResponseError(ErrorCodes.InvalidParams, `'${newName}' is a keyword`);
  if (newName === symbol.name) return { changes: {} };
  const { types, topics, handlers, pipelines } = program.symbols;
  const clash = symbol.kind === "schema" || symbol.kind === "enum" ? types.get(newName) : (topics.get(newName) ?? handlers.get(newName) ?? pipelines.get(newName));
  if (clash !== undefined) throw new ResponseError(ErrorCodes.InvalidParams, `'${newName}' is already declared (a ${clash.kind})`);

  const changes: Record<string, TextEdit[]> = {};
  for (const o of occurrences(symbol, host, program)) (changes[host.uriOf(o.file)] ??= []).push({ range: o.range, newText: newName });
  // A handler's name is its export's name: rename the export too, or the binding breaks (FLOW4002).
  if (symbol.kind === "handler") {
    const ts = await findExport(symbol.modulePath, symbol.name).catch(() => undefined);
    if (ts?.found) (changes[host.uriOf(ts.file)] ??= []).push({ range: ts.found.range, newText: ts.found.renameAs(newName) });
  }
  return { changes };
}
