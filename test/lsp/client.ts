/**
 * A small LSP client for the tests and the benchmark: spawns the real server
 * (`node bin/flowc.js lsp --stdio`) and talks to it over stdio with
 * vscode-jsonrpc, as an editor would.
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  DidChangeTextDocumentNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  PublishDiagnosticsNotification,
  RegistrationRequest,
  SemanticTokensRefreshRequest,
  ShutdownRequest,
  ShowMessageNotification,
  LogMessageNotification,
  type Diagnostic,
  type InitializeResult,
  type Position,
  type PublishDiagnosticsParams,
  type Range,
  type TextDocumentContentChangeEvent,
} from "vscode-languageserver-protocol";
// The protocol package brings its own vscode-jsonrpc: use its connection, so request types match.
import { createProtocolConnection, StreamMessageReader, StreamMessageWriter, type ProtocolConnection } from "vscode-languageserver-protocol/node";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Builds dist/ when a source the server is built from is newer than its output. */
export function ensureBuilt(): void {
  const newest = (dir: string): number => {
    let latest = 0;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) latest = Math.max(latest, newest(full));
      else if (entry.name.endsWith(".ts")) latest = Math.max(latest, fs.statSync(full).mtimeMs);
    }
    return latest;
  };
  const built = path.join(repoRoot, "dist/cli/commands/lsp.js");
  const sources = Math.max(...["lsp", "compiler", "grammar", "cli"].map((d) => newest(path.join(repoRoot, d))));
  if (fs.existsSync(built) && fs.statSync(built).mtimeMs >= sources && fs.statSync(path.join(repoRoot, "dist/lsp/server.js")).mtimeMs >= sources) return;
  // Builds from parallel test files must not race: one builds, the others wait for it.
  const lock = path.join(os.tmpdir(), "flowc-lsp-test-build.lock");
  const started = Date.now();
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      // A lock left by a run that was killed is stale after five minutes.
      const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 300_000) fs.rmSync(lock, { recursive: true, force: true });
      if (Date.now() - started > 240_000) break;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
    }
  }
  try {
    if (fs.existsSync(built) && fs.statSync(built).mtimeMs >= sources) return;
    try {
      execFileSync(process.execPath, [path.join(repoRoot, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], { cwd: repoRoot, stdio: "pipe" });
    } catch (error) {
      // Type errors elsewhere in the tree still emit JavaScript; only a missing server is fatal.
      if (!fs.existsSync(built)) throw error;
    }
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/** The protocol position of an offset: lines end at \n, \r\n or a lone \r. */
export function positionAt(text: string, offset: number): Position {
  let line = 0;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) {
      line++;
      lineStart = i + 1;
    } else if (c === 13 && i + 1 < offset) {
      // \r\n: the line ends after the \n.
      line++;
      i++;
      lineStart = i + 1;
    }
  }
  return { line, character: Math.min(offset, text.length) - lineStart };
}

/** Text with cursor markers: `<|>` (named `cursor`) or `<|name|>`. */
export function marked(text: string): { text: string; at: Record<string, Position>; offsets: Record<string, number> } {
  const at: Record<string, Position> = {};
  const offsets: Record<string, number> = {};
  let out = "";
  let rest = text;
  const marker = /<\|([A-Za-z0-9_]*)\|?>/;
  for (;;) {
    const m = marker.exec(rest);
    if (m === null) break;
    out += rest.slice(0, m.index);
    const name = m[1] === "" ? "cursor" : m[1];
    offsets[name] = out.length;
    const lines = out.split("\n");
    at[name] = { line: lines.length - 1, character: lines[lines.length - 1].length };
    rest = rest.slice(m.index + m[0].length);
  }
  out += rest;
  return { text: out, at, offsets };
}

export interface ClientOptions {
  readonly workspace?: string;
  readonly args?: readonly string[];
  readonly initializationOptions?: unknown;
}

export class TestClient {
  readonly connection: ProtocolConnection;
  readonly process: ChildProcess;
  readonly diagnostics = new Map<string, PublishDiagnosticsParams>();
  readonly logs: string[] = [];
  readonly messages: string[] = [];
  stderr = "";
  private waiters: { uri: string; check: (p: PublishDiagnosticsParams) => boolean; resolve: (p: PublishDiagnosticsParams) => void }[] = [];
  private versions = new Map<string, number>();
  exited: Promise<number | null>;

  private constructor(child: ChildProcess) {
    this.process = child;
    this.exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
    child.stderr!.on("data", (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    this.connection.onNotification(PublishDiagnosticsNotification.type, (params) => {
      this.diagnostics.set(params.uri, params);
      this.waiters = this.waiters.filter((w) => {
        if (w.uri !== params.uri || !w.check(params)) return true;
        w.resolve(params);
        return false;
      });
    });
    this.connection.onNotification(LogMessageNotification.type, (p: { message: string }) => {
      this.logs.push(p.message);
    });
    this.connection.onNotification(ShowMessageNotification.type, (p: { message: string }) => {
      this.messages.push(p.message);
    });
    this.connection.onRequest(RegistrationRequest.type, (): void => undefined);
    this.connection.onRequest(SemanticTokensRefreshRequest.type, (): void => undefined);
    this.connection.listen();
  }

  static async start(options: ClientOptions = {}): Promise<TestClient> {
    const child = spawn(process.execPath, [path.join(repoRoot, "bin/flowc.js"), "lsp", "--stdio", ...(options.args ?? [])], {
      cwd: repoRoot,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const client = new TestClient(child);
    const workspace = options.workspace;
    const init: InitializeResult = await client.connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: workspace ? pathToFileURL(workspace).href : null,
      workspaceFolders: workspace ? [{ uri: pathToFileURL(workspace).href, name: path.basename(workspace) }] : null,
      capabilities: {
        textDocument: {
          synchronization: { dynamicRegistration: false },
          publishDiagnostics: { relatedInformation: true, versionSupport: true, dataSupport: true },
          semanticTokens: {
            requests: { full: { delta: true } },
            tokenTypes: [],
            tokenModifiers: [],
            formats: ["relative"],
          },
          rename: { prepareSupport: true },
          hover: { contentFormat: ["markdown", "plaintext"] },
          completion: { completionItem: { snippetSupport: true } },
        },
        workspace: { didChangeWatchedFiles: { dynamicRegistration: true } },
      },
      initializationOptions: options.initializationOptions,
    });
    client.initializeResult = init;
    await client.connection.sendNotification(InitializedNotification.type, {});
    return client;
  }

  initializeResult!: InitializeResult;

  async open(file: string, text: string): Promise<string> {
    const uri = pathToFileURL(file).href;
    this.versions.set(uri, 1);
    // What was published for an earlier document of the same URI is not this one's.
    this.diagnostics.delete(uri);
    await this.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: "flow", version: 1, text } });
    return uri;
  }

  async change(uri: string, changes: TextDocumentContentChangeEvent[]): Promise<number> {
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    await this.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: changes });
    return version;
  }

  /** Replaces the whole text through an incremental change covering the old text. */
  async replaceAll(uri: string, oldText: string, text: string): Promise<number> {
    const range: Range = { start: { line: 0, character: 0 }, end: positionAt(oldText, oldText.length) };
    return this.change(uri, [{ range, text }]);
  }

  async close(uri: string): Promise<void> {
    await this.connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
  }

  /** The next diagnostics published for a URI that satisfy the check (or the current ones if they already do). */
  waitForDiagnostics(uri: string, check: (p: PublishDiagnosticsParams) => boolean = () => true, timeoutMs = 15_000, includeCurrent = true): Promise<PublishDiagnosticsParams> {
    const current = this.diagnostics.get(uri);
    if (includeCurrent && current && check(current)) return Promise.resolve(current);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching diagnostics for ${uri} within ${timeoutMs} ms; last: ${JSON.stringify(this.diagnostics.get(uri)?.diagnostics.map((d) => d.message))}\nstderr: ${this.stderr}\nlogs: ${this.logs.join("\n")}`)), timeoutMs);
      this.waiters.push({
        uri,
        check,
        resolve: (p) => {
          clearTimeout(timer);
          resolve(p);
        },
      });
    });
  }

  /** Diagnostics for a document version: those published after the edit that made it. */
  diagnosticsFor(uri: string, version: number): Promise<Diagnostic[]> {
    return this.waitForDiagnostics(uri, (p) => p.version === version).then((p) => p.diagnostics);
  }

  request<R>(method: string, params: unknown): Promise<R> {
    return this.connection.sendRequest(method, params) as Promise<R>;
  }

  async stop(): Promise<number | null> {
    try {
      await Promise.race([this.connection.sendRequest(ShutdownRequest.type), new Promise((r) => setTimeout(r, 2000))]);
      await this.connection.sendNotification(ExitNotification.type);
    } catch {
      // Already gone.
    }
    const timer = setTimeout(() => this.process.kill(), 3000);
    const code = await this.exited;
    clearTimeout(timer);
    this.connection.dispose();
    return code;
  }
}
