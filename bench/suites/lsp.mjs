// The language server over stdio, as an editor drives it: the time from an
// edit (didChange) to its diagnostics (publishDiagnostics) in a 2,000-line
// file, and the time to compute that file's semantic tokens. The baseline is
// the round trip of a trivial request (hover on an empty line of a one-line
// file) in the same run, so the figures read as "this much more than talking
// to the server at all".
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { createProtocolConnection, StreamMessageReader, StreamMessageWriter } from "vscode-languageserver-protocol/node";

const LINES = 2_000;
const SAMPLES = 31;

/** A valid program of about `lines` lines: schemas, enums, topics, handlers and pipelines of every stage. */
export function generateFlow(lines = LINES) {
  const out = ["// A generated program for the language server benchmark.", ""];
  for (let i = 0; out.length < lines; i++) {
    out.push(
      `enum Tier${i} { free, pro, team }`,
      "",
      `schema Order${i} {`,
      "  id: string",
      "  customer: string",
      "  tier: Tier" + i,
      "  amount: float",
      "  items: [string]",
      "  address: { city: string, zip?: string }",
      "}",
      "",
      `schema Receipt${i} { orderId: string, total: float }`,
      "",
      `topic orders${i}: Order${i} (partitions: 8, key: .id)`,
      `topic receipts${i}: Receipt${i} (partitions: 8, key: .orderId)`,
      `topic rejected${i}: Order${i}`,
      "",
      `handler bill${i}(Order${i}) -> Receipt${i} from "./handlers/billing.ts"`,
      "",
      `// Bill every order worth billing, paid tiers on their own lane.`,
      `pipeline billing${i} {`,
      `  orders${i}`,
      `    | filter(.amount > 0 and .address.city != "", dropped: rejected${i})`,
      "    | split {",
      "        paid: .tier in [pro, team]",
      "        else: free",
      "      }",
      "    | shard(8, by: .customer)",
      `    | map(bill${i}) retry(3, backoff: 100ms..10s) timeout(5s)`,
      "    | merge",
      `    -> receipts${i}`,
      "}",
      "",
    );
  }
  return out.join("\n");
}

function startServer(root) {
  const child = spawn(process.execPath, [path.join(root, "bin/flowc.js"), "lsp", "--stdio"], { cwd: root, stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (c) => (stderr += c));
  const connection = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  const waiters = [];
  connection.onNotification("textDocument/publishDiagnostics", (params) => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i].uri === params.uri && waiters[i].version === params.version) {
        waiters[i].resolve(params);
        waiters.splice(i, 1);
      }
    }
  });
  connection.onRequest("client/registerCapability", () => null);
  connection.onNotification("window/logMessage", () => undefined);
  connection.listen();
  const diagnosticsFor = (uri, version) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no diagnostics for version ${version}; stderr: ${stderr}`)), 30_000);
      waiters.push({ uri, version, resolve: (p) => (clearTimeout(timer), resolve(p)) });
    });
  return { child, connection, diagnosticsFor };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const now = () => Number(process.hrtime.bigint()) / 1e6;

export default async function lsp(ctx) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flowc-bench-lsp-"));
  const { child, connection, diagnosticsFor } = startServer(ctx.root);
  try {
    await connection.sendRequest("initialize", { processId: process.pid, rootUri: null, capabilities: {} });
    await connection.sendNotification("initialized", {});

    // The trivial request: hover on the empty first line of a tiny file.
    const tinyUri = pathToFileURL(path.join(dir, "tiny.flow")).href;
    await connection.sendNotification("textDocument/didOpen", { textDocument: { uri: tinyUri, languageId: "flow", version: 1, text: "\nschema A { a: int }\n" } });
    await diagnosticsFor(tinyUri, 1);

    const text = generateFlow();
    const lineCount = text.split("\n").length;
    const uri = pathToFileURL(path.join(dir, "big.flow")).href;
    const opened = diagnosticsFor(uri, 1);
    const openStart = now();
    await connection.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "flow", version: 1, text } });
    const first = await opened;
    const openMs = now() - openStart;
    if (first.diagnostics.length > 0) throw new Error(`the generated file has diagnostics: ${first.diagnostics[0].message}`);
    ctx.log(`${lineCount} lines; first analysis ${openMs.toFixed(1)} ms`);

    // An edit in the middle of the file: a letter typed into a handler's name in a map stage, then removed.
    const lines = text.split("\n");
    const mapLine = lines.findIndex((l, i) => i > lineCount / 2 && l.includes("| map(bill"));
    const at = { line: mapLine, character: lines[mapLine].indexOf(")") };
    let version = 1;
    const editSamples = [];
    const tokenSamples = [];
    const trivialSamples = [];
    let tokenCount = 0;
    for (let i = 0; i < SAMPLES + 3; i++) {
      const typing = i % 2 === 0;
      version++;
      const published = diagnosticsFor(uri, version);
      const start = now();
      await connection.sendNotification("textDocument/didChange", {
        textDocument: { uri, version },
        contentChanges: [typing ? { range: { start: at, end: at }, text: "x" } : { range: { start: at, end: { line: at.line, character: at.character + 1 } }, text: "" }],
      });
      const result = await published;
      const editMs = now() - start;
      if (typing !== result.diagnostics.length > 0) throw new Error(`unexpected diagnostics after edit ${i}: ${JSON.stringify(result.diagnostics.map((d) => d.message))}`);

      const tokensStart = now();
      const tokens = await connection.sendRequest("textDocument/semanticTokens/full", { textDocument: { uri } });
      const tokensMs = now() - tokensStart;
      tokenCount = tokens.data.length / 5;

      const trivialStart = now();
      await connection.sendRequest("textDocument/hover", { textDocument: { uri: tinyUri }, position: { line: 0, character: 0 } });
      const trivialMs = now() - trivialStart;
      // The first few warm the JIT up.
      if (i >= 3) {
        editSamples.push(editMs);
        tokenSamples.push(tokensMs);
        trivialSamples.push(trivialMs);
      }
    }
    const trivial = median(trivialSamples);
    const baseline = { name: "trivial request round trip", value: trivial };
    const edit = median(editSamples);
    const tokens = median(tokenSamples);
    ctx.log(`edit -> diagnostics median ${edit.toFixed(1)} ms (p90 ${[...editSamples].sort((a, b) => a - b)[Math.floor(editSamples.length * 0.9)].toFixed(1)}); semantic tokens ${tokens.toFixed(1)} ms for ${tokenCount} tokens; trivial ${trivial.toFixed(2)} ms`);
    return [
      { group: "lsp", name: `diagnostics after an edit, ${lineCount}-line file`, value: edit, unit: "ms", baseline, better: "lower", note: `aim < 50 ms; median of ${SAMPLES} edits, over stdio` },
      { group: "lsp", name: `semantic tokens, ${lineCount}-line file`, value: tokens, unit: "ms", baseline, better: "lower", note: `aim < 20 ms; ${tokenCount} tokens` },
      { group: "lsp", name: `first analysis on open, ${lineCount}-line file`, value: openMs, unit: "ms", baseline, better: "lower", note: "cold: one sample" },
    ];
  } finally {
    try {
      await Promise.race([connection.sendRequest("shutdown"), new Promise((r) => setTimeout(r, 2000))]);
      await connection.sendNotification("exit");
    } catch {
      // Already gone.
    }
    setTimeout(() => child.kill(), 2000).unref();
    connection.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
