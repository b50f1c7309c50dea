/**
 * The flowc language server. It shares the compiler's services with the CLI
 * (createProgram over a host that serves open documents first, one parse
 * cache for the server's life): no second parser, the same diagnostics and
 * codes as `flowc check`.
 *
 * Every handler is guarded: an exception while answering is logged and
 * answered with an empty result, so a broken document, or a bug, never takes
 * the server down.
 */
import {
  CodeActionKind,
  MessageType,
  ResponseError,
  ShowMessageNotification,
  DidChangeWatchedFilesNotification,
  TextDocuments,
  TextDocumentSyncKind,
  type CodeAction,
  type CompletionItem,
  type Connection,
  type DocumentSymbol,
  type Hover,
  type InitializeParams,
  type InitializeResult,
  type Location,
  type SemanticTokens,
  type SemanticTokensDelta,
  type TextEdit,
  type WorkspaceEdit,
} from "vscode-languageserver/node.js";
import { TextDocument } from "vscode-languageserver-textdocument";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ParsedFile } from "../compiler/build-ast.js";
import type { Diagnostic } from "../compiler/diagnostics.js";
import type { Program } from "../compiler/program.js";
import type { SourceFile } from "../compiler/source.js";
import { codeActions } from "./code-actions.js";
import { complete, TRIGGER_CHARACTERS } from "./completion.js";
import { toLspDiagnostic, toOffset } from "./convert.js";
import { formatDocument } from "./format.js";
import { HandlerChecks } from "./handler-checks.js";
import { hover } from "./hover.js";
import { declaration, definition, prepareRename, references, rename } from "./navigation.js";
import { diffTokens, encodeTokens, legend, semanticTokens } from "./semantic-tokens.js";
import { documentSymbols } from "./symbols.js";
import { Workspace } from "./workspace.js";

export interface ServerOptions {
  /**
   * Milliseconds to wait after an edit before publishing diagnostics; edits
   * that arrive meanwhile are folded into one analysis. 0 (the default) still
   * folds the edits already queued.
   */
  readonly diagnosticsDelay?: number;
}

interface DocumentContext {
  readonly uri: string;
  readonly file: string;
  readonly program: Program;
  readonly parsed: ParsedFile;
  readonly source: SourceFile;
}

export function startServer(connection: Connection, options: ServerOptions = {}): void {
  const documents = new TextDocuments(TextDocument);
  const workspace = new Workspace();
  let delay = options.diagnosticsDelay ?? 0;
  let refreshSemanticTokens = false;
  /** What was last published per file, to skip repeats and to clear files no longer analysed. */
  const published = new Map<string, string>();
  /** When each open file last changed: the most recently edited one has its diagnostics published first. */
  const recency = new Map<string, number>();
  let clock = 0;
  const semanticResults = new Map<string, { resultId: string; data: number[] }>();
  let resultCounter = 0;
  let formatterMissingShown = false;

  const log = (message: string) => {
    try {
      connection.console.error(message);
    } catch {
      // The connection may be gone; nothing else to do.
    }
  };
  const describe = (error: unknown) => (error instanceof Error ? (error.stack ?? error.message) : String(error));

  function guard<P extends unknown[], R>(name: string, fallback: R, fn: (...args: P) => R | Promise<R>): (...args: P) => Promise<R> {
    return async (...args: P) => {
      try {
        return await fn(...args);
      } catch (error) {
        // Errors meant for the client (a rejected rename) go to the client.
        if (error instanceof ResponseError) throw error;
        log(`flowc lsp: ${name} failed: ${describe(error)}`);
        return fallback;
      }
    };
  }

  const contextOf = (uri: string): DocumentContext | undefined => {
    const file = workspace.uris.pathOf(uri);
    if (!workspace.isOpen(file)) return undefined;
    const { program } = workspace.programFor(file);
    const parsed = program.files.get(file) ?? workspace.parsed(file);
    if (parsed === undefined) return undefined;
    return { uri, file, program, parsed, source: parsed.source };
  };

  // --- diagnostics ------------------------------------------------------------
  const handlerChecks = new HandlerChecks(() => schedule(), log);
  let scheduled: NodeJS.Timeout | NodeJS.Immediate | undefined;
  const schedule = () => {
    if (scheduled !== undefined) return;
    const run = () => {
      scheduled = undefined;
      try {
        publishDiagnostics();
      } catch (error) {
        log(`flowc lsp: diagnostics failed: ${describe(error)}`);
      }
    };
    scheduled = delay > 0 ? setTimeout(run, delay) : setImmediate(run);
  };

  const diagnosticKey = (d: Diagnostic) => `${d.span.start}\u0000${d.span.end}\u0000${d.code}\u0000${d.message}`;

  function publishDiagnostics(): void {
    const open = workspace.openDocuments().sort((a, b) => (recency.get(b.file) ?? 0) - (recency.get(a.file) ?? 0));
    const perFile = new Map<string, { list: Diagnostic[]; keys: Set<string>; program: Program }>();
    const rebuiltFiles = new Set<string>();
    let otherRootsRebuilt = false;
    const mostRecent = open[0]?.file;
    const flush = (file: string) => {
      const entry = perFile.get(file)!;
      const list = entry.list.sort((a, b) => a.span.start - b.span.start || a.code.localeCompare(b.code));
      const doc = workspace.documentOf(file);
      const key = `${doc?.document.version ?? ""}\u0001${list.map(diagnosticKey).join("\u0001")}`;
      if (published.get(file) === key && !(doc && rebuiltFiles.has(file))) return;
      published.set(file, key);
      const source = entry.program.sourceOf(file);
      const uri = workspace.uris.uriOf(file);
      const sourceOf = (f: string) => entry.program.sourceOf(f);
      void connection.sendDiagnostics({
        uri,
        ...(doc ? { version: doc.document.version } : {}),
        diagnostics: list.map((d) => toLspDiagnostic(d, source, (f) => workspace.uris.uriOf(f), sourceOf)),
      });
    };
    for (const doc of open) {
      const { program, rebuilt } = workspace.programFor(doc.file);
      if (rebuilt) {
        for (const f of program.files.keys()) rebuiltFiles.add(f);
        if (doc.file !== mostRecent) otherRootsRebuilt = true;
        handlerChecks.schedule(program);
      }
      for (const f of program.files.keys()) if (!perFile.has(f)) perFile.set(f, { list: [], keys: new Set(), program });
      for (const d of [...program.diagnostics, ...handlerChecks.diagnosticsFor(program)]) {
        const entry = perFile.get(d.file);
        if (entry === undefined) continue;
        const key = diagnosticKey(d);
        if (entry.keys.has(key)) continue;
        entry.keys.add(key);
        entry.list.push(d);
      }
      // The root's diagnostics go out as soon as its program is checked.
      if (doc.file === mostRecent) flush(doc.file);
    }
    for (const file of perFile.keys()) if (file !== mostRecent) flush(file);
    for (const file of [...published.keys()]) {
      if (!perFile.has(file)) {
        published.delete(file);
        void connection.sendDiagnostics({ uri: workspace.uris.uriOf(file), diagnostics: [] });
      }
    }
    if (otherRootsRebuilt && refreshSemanticTokens) void connection.languages.semanticTokens.refresh();
  }

  // --- lifecycle ----------------------------------------------------------------
  connection.onInitialize((params: InitializeParams): InitializeResult => {
    const init = (params.initializationOptions ?? {}) as { diagnosticsDelay?: unknown };
    if (typeof init.diagnosticsDelay === "number" && init.diagnosticsDelay >= 0) delay = init.diagnosticsDelay;
    refreshSemanticTokens = params.capabilities.workspace?.semanticTokens?.refreshSupport === true;
    const folders = (params.workspaceFolders ?? []).map((f) => f.uri).concat(params.workspaceFolders ? [] : params.rootUri ? [params.rootUri] : []);
    workspace.setFolders(folders.filter((u) => u.startsWith("file:")).map((u) => fileURLToPath(u)));
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
        hoverProvider: true,
        completionProvider: { triggerCharacters: TRIGGER_CHARACTERS, resolveProvider: false },
        definitionProvider: true,
        declarationProvider: true,
        referencesProvider: true,
        renameProvider: { prepareProvider: true },
        documentSymbolProvider: true,
        documentFormattingProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
        semanticTokensProvider: { legend, full: { delta: true }, range: false },
        workspace: { workspaceFolders: { supported: true } },
      },
      serverInfo: { name: "flowc", version: serverVersion() },
    };
  });

  connection.onInitialized(
    guard("initialized", undefined, async (): Promise<void> => {
      // Files changed on disk (an imported file edited elsewhere, a branch switch) re-check the programs that read them.
      // TypeScript modules too: a handler's signature changing there changes its diagnostics.
      await connection.client
        .register(DidChangeWatchedFilesNotification.type, { watchers: [{ globPattern: "**/*.flow" }, { globPattern: "**/*.{ts,mts,cts}" }] })
        .catch(() => undefined);
    }),
  );

  documents.onDidOpen(
    guard("didOpen", undefined, (event) => {
      const doc = workspace.opened(event.document);
      recency.set(doc.file, ++clock);
      schedule();
    }),
  );
  documents.onDidChangeContent(
    guard("didChange", undefined, (event) => {
      const doc = workspace.changed(event.document);
      recency.set(doc.file, ++clock);
      schedule();
    }),
  );
  documents.onDidClose(
    guard("didClose", undefined, (event) => {
      const file = workspace.closed(event.document.uri);
      recency.delete(file);
      semanticResults.delete(event.document.uri);
      schedule();
    }),
  );
  connection.onDidChangeWatchedFiles(
    guard("didChangeWatchedFiles", undefined, (params) => {
      const files = params.changes.filter((c) => c.uri.startsWith("file:")).map((c) => workspace.uris.pathOf(c.uri));
      workspace.diskChanged(files.filter((f) => f.endsWith(".flow")));
      if (files.some((f) => !f.endsWith(".flow"))) for (const program of workspace.openPrograms()) handlerChecks.schedule(program);
      schedule();
    }),
  );

  // --- features ---------------------------------------------------------------------
  connection.onHover(
    guard("hover", null as Hover | null, (params) => {
      const ctx = contextOf(params.textDocument.uri);
      return ctx ? hover(ctx.program, ctx.parsed, toOffset(ctx.source, params.position)) : null;
    }),
  );

  connection.onCompletion(
    guard("completion", [] as CompletionItem[], (params) => {
      const ctx = contextOf(params.textDocument.uri);
      return ctx ? complete(ctx.program, ctx.parsed, toOffset(ctx.source, params.position)) : [];
    }),
  );

  const navigationHost = {
    uriOf: (file: string) => workspace.uris.uriOf(file),
    allPrograms: () => workspace.allPrograms(),
  };

  connection.onDefinition(
    guard("definition", [] as Location[], async (params) => {
      const ctx = contextOf(params.textDocument.uri);
      return ctx ? await definition(ctx.program, ctx.parsed, toOffset(ctx.source, params.position), navigationHost) : [];
    }),
  );
  connection.onDeclaration(
    guard("declaration", [] as Location[], (params) => {
      const ctx = contextOf(params.textDocument.uri);
      return ctx ? declaration(ctx.program, ctx.parsed, toOffset(ctx.source, params.position), navigationHost) : [];
    }),
  );
  connection.onReferences(
    guard("references", [] as Location[], (params) => {
      const ctx = contextOf(params.textDocument.uri);
      return ctx ? references(ctx.program, ctx.parsed, toOffset(ctx.source, params.position), params.context.includeDeclaration, navigationHost) : [];
    }),
  );
  connection.onPrepareRename(
    guard("prepareRename", null, (params) => {
      const ctx = contextOf(params.textDocument.uri);
      return ctx ? prepareRename(ctx.program, ctx.parsed, toOffset(ctx.source, params.position)) : null;
    }),
  );
  connection.onRenameRequest(
    guard("rename", null as WorkspaceEdit | null, async (params) => {
      const ctx = contextOf(params.textDocument.uri);
      return ctx ? await rename(ctx.program, ctx.parsed, toOffset(ctx.source, params.position), params.newName, navigationHost) : null;
    }),
  );

  connection.onDocumentSymbol(
    guard("documentSymbol", [] as DocumentSymbol[], (params) => {
      const ctx = contextOf(params.textDocument.uri);
      return ctx ? documentSymbols(ctx.parsed) : [];
    }),
  );

  connection.onDocumentFormatting(
    guard("formatting", [] as TextEdit[], async (params) => {
      const ctx = contextOf(params.textDocument.uri);
      if (ctx === undefined) return [];
      const result = await formatDocument(ctx.source.text, ctx.file);
      if ("missing" in result) {
        // Said once: format-on-save would say it on every save.
        if (!formatterMissingShown) void connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Warning, message: `flowc: ${result.missing}` });
        formatterMissingShown = true;
        return [];
      }
      if ("error" in result) {
        // A file with syntax errors is left as it is; the diagnostics already say why.
        connection.console.info(`flowc: ${result.error}`);
        return [];
      }
      return result.edits;
    }),
  );

  connection.onCodeAction(
    guard("codeAction", [] as CodeAction[], (params) => {
      const ctx = contextOf(params.textDocument.uri);
      if (ctx === undefined) return [];
      const toLsp = (d: Diagnostic) => toLspDiagnostic(d, ctx.source, (f) => workspace.uris.uriOf(f), (f) => ctx.program.sourceOf(f));
      return codeActions(ctx.uri, ctx.program, ctx.parsed, params.range, toLsp);
    }),
  );

  const tokensFor = (uri: string): number[] => {
    const ctx = contextOf(uri);
    return ctx ? encodeTokens(semanticTokens(ctx.parsed, ctx.program)) : [];
  };
  connection.languages.semanticTokens.on(
    guard("semanticTokens", { data: [] } as SemanticTokens, (params) => {
      const data = tokensFor(params.textDocument.uri);
      const resultId = String(++resultCounter);
      semanticResults.set(params.textDocument.uri, { resultId, data });
      return { resultId, data };
    }),
  );
  connection.languages.semanticTokens.onDelta(
    guard("semanticTokensDelta", { data: [] } as SemanticTokens | SemanticTokensDelta, (params) => {
      const uri = params.textDocument.uri;
      const data = tokensFor(uri);
      const previous = semanticResults.get(uri);
      const resultId = String(++resultCounter);
      semanticResults.set(uri, { resultId, data });
      if (previous === undefined || previous.resultId !== params.previousResultId) return { resultId, data };
      return { resultId, edits: diffTokens(previous.data, data) };
    }),
  );

  connection.onShutdown(() => {
    handlerChecks.dispose();
    if (scheduled !== undefined) {
      clearTimeout(scheduled as NodeJS.Timeout);
      clearImmediate(scheduled as NodeJS.Immediate);
    }
  });

  documents.listen(connection);
  connection.listen();
}

/** The package's version: package.json is one folder up from lsp/, two from dist/lsp/. */
function serverVersion(): string {
  for (const relative of ["../package.json", "../../package.json"]) {
    try {
      const manifest = JSON.parse(readFileSync(fileURLToPath(new URL(relative, import.meta.url)), "utf8")) as { name?: string; version?: string };
      if (manifest.name === "flowc" && manifest.version) return manifest.version;
    } catch {
      // Try the next place.
    }
  }
  return "0.0.0";
}
