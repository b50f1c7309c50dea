/**
 * The real server over stdio: initialize, open, edit, and the diagnostics it
 * publishes as you type, across imported files.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { ensureBuilt, marked, repoRoot, TestClient } from "./client.js";
import { COMMON, createWorkspace, MAIN, positionOf, type Workspace } from "./fixtures.js";

let client: TestClient;
const text = (d: { message: string | { value: string } }) => (typeof d.message === "string" ? d.message : d.message.value);
let ws: Workspace;

beforeAll(async () => {
  ensureBuilt();
  ws = createWorkspace();
  client = await TestClient.start({ workspace: ws.dir });
});

afterAll(async () => {
  const code = await client?.stop();
  ws?.remove();
  expect(code).toBe(0);
});

describe("initialize", () => {
  test("announces incremental sync and every feature", () => {
    const caps = client.initializeResult.capabilities;
    expect(caps.textDocumentSync).toMatchObject({ openClose: true, change: 2 });
    expect(caps.hoverProvider).toBe(true);
    expect(caps.completionProvider?.triggerCharacters).toEqual(expect.arrayContaining(["|", "."]));
    expect(caps.definitionProvider).toBe(true);
    expect(caps.referencesProvider).toBe(true);
    expect(caps.renameProvider).toMatchObject({ prepareProvider: true });
    expect(caps.documentSymbolProvider).toBe(true);
    expect(caps.documentFormattingProvider).toBe(true);
    expect(caps.codeActionProvider).toBeTruthy();
    expect(caps.semanticTokensProvider?.legend.tokenTypes).toEqual(expect.arrayContaining(["keyword", "function", "struct", "property", "variable", "label", "number", "comment"]));
    expect(client.initializeResult.serverInfo?.name).toBe("flowc");
  });
});

describe("the command", () => {
  const flowc = (args: string[]) => spawnSync(process.execPath, [path.join(repoRoot, "bin/flowc.js"), ...args], { encoding: "utf8", input: "" });

  test("flowc lsp --help shows the usage; an unknown option is a usage error", () => {
    const help = flowc(["lsp", "--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("usage: flowc lsp --stdio");
    const bad = flowc(["lsp", "--socket=9000"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("not supported: flowc lsp speaks over stdio");
    expect(flowc(["lsp", "--diagnostics-delay", "soon"]).stderr).toContain("--diagnostics-delay takes milliseconds");
  });

  test("the server ends when the client closes its stdin", async () => {
    const child = spawn(process.execPath, [path.join(repoRoot, "bin/flowc.js"), "lsp", "--stdio", "--clientProcessId=1"], { stdio: ["pipe", "pipe", "pipe"] });
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    child.stdin.end();
    const timer = setTimeout(() => child.kill(), 10_000);
    // No shutdown request came first: exit code 1, as the protocol says.
    expect(await exited).toBe(1);
    clearTimeout(timer);
  });
});

describe("diagnostics as you type", () => {
  test("a valid file publishes no diagnostics, for its version", async () => {
    const uri = await client.open(ws.main, MAIN);
    const published = await client.waitForDiagnostics(uri, (p) => p.version === 1);
    expect(published.diagnostics).toEqual([]);
    await client.close(uri);
  });

  test("an incremental edit is checked, with the CLI's code, range, hint and suggestion", async () => {
    const uri = await client.open(ws.main, MAIN);
    await client.diagnosticsFor(uri, 1);
    // Replace "shard" in "| shard(10" with "shrad", as a keystroke-sized edit.
    const start = positionOf(MAIN, "shard(10");
    const version = await client.change(uri, [{ range: { start, end: { line: start.line, character: start.character + 5 } }, text: "shrad" }]);
    const diagnostics = await client.diagnosticsFor(uri, version);
    expect(diagnostics).toHaveLength(1);
    const [d] = diagnostics;
    expect(d).toMatchObject({ code: "FLOW2001", severity: 1, source: "flowc", range: { start, end: { line: start.line, character: start.character + 5 } } });
    expect(text(d)).toContain("unknown stage 'shrad'");
    expect(text(d)).toContain("did you mean 'shard'?");
    expect(d.data).toMatchObject({ suggestion: "shard" });

    // Typing the fix clears it.
    const fixed = await client.change(uri, [{ range: { start, end: { line: start.line, character: start.character + 5 } }, text: "shard" }]);
    expect(await client.diagnosticsFor(uri, fixed)).toEqual([]);
    await client.close(uri);
  });

  test("several quick edits are all applied, and the last version is what gets checked", async () => {
    const uri = await client.open(ws.main, MAIN);
    await client.diagnosticsFor(uri, 1);
    const at = positionOf(MAIN, "-> renditions", 0, 3);
    let version = 0;
    // Type "xyz" after "renditions" one character at a time, without waiting.
    for (const [i, ch] of ["x", "y", "z"].entries()) {
      const position = { line: at.line, character: at.character + "renditions".length + i };
      version = await client.change(uri, [{ range: { start: position, end: position }, text: ch }]);
    }
    const diagnostics = await client.diagnosticsFor(uri, version);
    expect(diagnostics.filter((d) => d.severity === 1).map((d) => text(d).split("\n")[0])).toEqual(["unknown topic 'renditionsxyz'"]);
    // The topic it no longer writes is now unused: a warning, tagged as unnecessary.
    expect(diagnostics.find((d) => d.code === "FLOW3002")).toMatchObject({ severity: 2, tags: [1] });
    await client.close(uri);
  });

  test("a file that is not open but imported gets its own diagnostics", async () => {
    const broken = createWorkspace({ "common.flow": COMMON.replace("width: int", "width: imt") });
    try {
      const uri = await client.open(broken.main, MAIN);
      await client.diagnosticsFor(uri, 1);
      const common = await client.waitForDiagnostics(broken.uri(broken.common), (p) => p.diagnostics.length > 0);
      expect(common.diagnostics.map((d) => d.code)).toEqual(["FLOW2003"]);
      expect(common.diagnostics[0].data).toMatchObject({ suggestion: "int" });
      await client.close(uri);
      // Closing the only file that imported it clears them.
      await client.waitForDiagnostics(broken.uri(broken.common), (p) => p.diagnostics.length === 0);
    } finally {
      broken.remove();
    }
  });

  test("an edit to an imported file re-publishes the files that import it", async () => {
    const mainUri = await client.open(ws.main, MAIN);
    const commonUri = await client.open(ws.common, COMMON);
    await client.diagnosticsFor(mainUri, 1);
    await client.diagnosticsFor(commonUri, 1);
    // Rename the topic in common.flow: main.flow's source no longer resolves.
    const at = positionOf(COMMON, "topic photos", 0, 6);
    await client.change(commonUri, [{ range: { start: at, end: { line: at.line, character: at.character + 6 } }, text: "images" }]);
    const main = await client.waitForDiagnostics(mainUri, (p) => p.diagnostics.some((d) => d.code === "FLOW2002"), 15_000, false);
    expect(text(main.diagnostics[0])).toContain("unknown topic 'photos'");
    expect(main.diagnostics[0].range.start).toEqual(positionOf(MAIN, "photos\n"));
    // And back.
    await client.change(commonUri, [{ range: { start: at, end: { line: at.line, character: at.character + 6 } }, text: "photos" }]);
    await client.waitForDiagnostics(mainUri, (p) => p.diagnostics.length === 0, 15_000, false);
    await client.close(commonUri);
    await client.close(mainUri);
  });

  test("a file saved on disk by another program is re-read when the client reports it", async () => {
    const other = createWorkspace();
    try {
      const uri = await client.open(other.main, MAIN);
      await client.diagnosticsFor(uri, 1);
      fs.writeFileSync(other.common, COMMON.replace("schema Rendition", "schema Rendering"));
      await client.connection.sendNotification("workspace/didChangeWatchedFiles", { changes: [{ uri: other.uri(other.common), type: 2 }] });
      const published = await client.waitForDiagnostics(uri, (p) => p.diagnostics.some((d) => d.code === "FLOW2003"), 15_000, false);
      expect(published.diagnostics.map((d) => text(d).split("\n")[0])).toContain("unknown type 'Rendition'");
      await client.close(uri);
    } finally {
      other.remove();
    }
  });

  test("an unsaved buffer (untitled URI) is checked too", async () => {
    const uri = "untitled:Untitled-1";
    const buffer = marked("topic a: Missing\n").text;
    await client.connection.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "flow", version: 1, text: buffer } });
    const published = await client.waitForDiagnostics(uri, (p) => p.version === 1);
    expect(published.diagnostics.map((d) => d.code)).toContain("FLOW2003");
    await client.close(uri);
  });

  // Handler checks are the build's (compiler/handlers.ts); they run where this build has them.
  const haveHandlerChecks = fs.existsSync(path.join(repoRoot, "compiler/handlers.ts")) && fs.existsSync(path.join(repoRoot, "compiler/emit/build.ts"));
  test.skipIf(!haveHandlerChecks)("handlers are checked against their TypeScript module after the edits stop, as flowc build does", async () => {
    const main = MAIN.replace('handler render(Photo) -> Rendition from "./handlers.ts"', 'handler render(Photo) -> Rendition from "./handlers.ts"\nhandler annotate(Rendition) -> Rendition from "./handlers.ts"');
    const handlers = createWorkspace({ "main.flow": main });
    try {
      const uri = await client.open(handlers.main, main);
      // TypeScript's checker in a worker: seconds, more on a busy machine.
      const published = await client.waitForDiagnostics(uri, (p) => p.diagnostics.some((d) => d.code === "FLOW4002"), 60_000);
      const missing = published.diagnostics.find((d) => d.code === "FLOW4002")!;
      expect(text(missing)).toContain("does not export a function 'annotate'");
      expect(missing.range.start).toEqual(positionOf(main, "annotate"));
      // Export it: the client reports the saved TypeScript file, and the diagnostic goes.
      fs.appendFileSync(handlers.handlers, "\nexport function annotate(r: { photoId: string; url: string }) {\n  return r;\n}\n");
      await client.connection.sendNotification("workspace/didChangeWatchedFiles", { changes: [{ uri: handlers.uri(handlers.handlers), type: 2 }] });
      await client.waitForDiagnostics(uri, (p) => !p.diagnostics.some((d) => String(d.code).startsWith("FLOW4")), 60_000, false);
      await client.close(uri);
    } finally {
      handlers.remove();
    }
  }, 150_000);
});
