/**
 * A broken document never crashes the server, and it keeps answering: every
 * request on every kind of broken text gets an answer, nothing fails inside
 * (the server logs any handler that throws), and the process stays up.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import fc from "fast-check";
import { ensureBuilt, positionAt, TestClient } from "./client.js";
import { createWorkspace, MAIN, type Workspace } from "./fixtures.js";

let client: TestClient;
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

const BROKEN: Record<string, string> = {
  empty: "",
  "a lone keyword": "pipeline",
  "an open pipeline": "pipeline p {",
  "a dangling pipe": "pipeline p { photos |",
  "an open call": "pipeline p { photos | map(",
  "a dangling dot": "topic photos: Photo\npipeline p { photos | filter(.",
  "a schema without a name": "schema {\n  id: string\n}",
  "binary": "\u0000\u0001\u0002pipeline\u0000",
  "an unterminated string": 'handler h(A) -> B from "./h.ts',
  "an unterminated comment": "/* pipeline p { a | b }",
  "deep nesting": "pipeline p { a | filter(" + "(".repeat(400) + ".x" + ")".repeat(400) + ") -> b }",
  "many nots": "pipeline p { a | filter(" + "not ".repeat(3000) + ".x) -> b }",
  "a very long line": "topic t: T // " + "x".repeat(30_000),
  "unbalanced braces": "}}}} schema A { a: { b: { c: [[[ } pipeline p { a | split { x: .a == , else } -> { x: } }",
  "emoji and surrogates": "😀 pipeline 😀 { 📷 | map(😀) -> 🎞 }\n\ud800 schema \udc00",
  "carriage returns": "schema A {\r\n  id: string\r}\rtopic a: A\r\npipeline p {\r a | filter(.id == \"x\") -> a }",
  "every stage wrong": "pipeline p { a | copy | filter | split(x) | shard(.x) | merge(a, b) | map | flatMap(1) retry(-1) timeout(x) concurrency(0) deadLetter(1, 2) -> }",
  "the example cut in half": MAIN.slice(0, Math.floor(MAIN.length / 2)),
};

/** Every request the server answers, at a position. */
async function everything(uri: string, position: { line: number; character: number }): Promise<void> {
  const doc = { textDocument: { uri } };
  const at = { ...doc, position };
  await client.request("textDocument/hover", at);
  await client.request("textDocument/completion", at);
  await client.request("textDocument/definition", at);
  await client.request("textDocument/declaration", at);
  await client.request("textDocument/references", { ...at, context: { includeDeclaration: true } });
  await client.request("textDocument/prepareRename", at);
  await client.request("textDocument/rename", { ...at, newName: "renamed" }).catch((e: Error) => {
    // A refusal is an answer; anything else is a failure.
    if (!/not a name|keyword|already declared/.test(e.message)) throw e;
  });
  await client.request("textDocument/codeAction", { ...doc, range: { start: position, end: position }, context: { diagnostics: [] } });
}

async function allDocumentRequests(uri: string, text: string): Promise<void> {
  await client.request("textDocument/semanticTokens/full", { textDocument: { uri } });
  await client.request("textDocument/documentSymbol", { textDocument: { uri } });
  await client.request("textDocument/formatting", { textDocument: { uri }, options: { tabSize: 2, insertSpaces: true } });
  const lines = text.split(/\r\n|\r|\n/);
  const positions = [
    { line: 0, character: 0 },
    { line: Math.floor(lines.length / 2), character: Math.floor((lines[Math.floor(lines.length / 2)]?.length ?? 0) / 2) },
    { line: lines.length - 1, character: lines[lines.length - 1].length },
    // Past the end: clients send these during fast edits.
    { line: lines.length + 5, character: 99 },
  ];
  for (const p of positions) await everything(uri, p);
}

const failures = () => client.logs.filter((l) => l.includes(" failed: ") || l.includes("uncaught") || l.includes("unhandled"));

describe("broken documents", () => {
  test.each(Object.entries(BROKEN))("%s: every request is answered and nothing fails inside", async (_name, text) => {
    const uri = await client.open(ws.main, MAIN);
    try {
      await client.diagnosticsFor(uri, 1);
      const version = await client.replaceAll(uri, MAIN, text);
      const diagnostics = await client.diagnosticsFor(uri, version);
      if (text.trim() !== "") expect(diagnostics.length).toBeGreaterThan(0);
      await allDocumentRequests(uri, text);
      expect(failures()).toEqual([]);
      // Back to a valid text: clean again.
      const repaired = await client.replaceAll(uri, text, MAIN);
      expect(await client.diagnosticsFor(uri, repaired)).toEqual([]);
    } finally {
      await client.close(uri);
    }
    expect(client.process.exitCode).toBeNull();
  });

  test("random edits to a valid file, requests at random places: always an answer", async () => {
    const uri = await client.open(ws.main, MAIN);
    let text = MAIN;
    const pieces = ["|", ".", "(", ")", "{", "}", "->", ":", ",", "map", "shard(", "copy(a, b)", "photos", "render", " ", "\n", '"', "/*", "//", "10", "5s", "..", "==", "not", "else", "😀", "\r"];
    const edit = fc.record({
      at: fc.nat(),
      remove: fc.nat({ max: 12 }),
      insert: fc.array(fc.constantFrom(...pieces), { maxLength: 4 }).map((p) => p.join("")),
      probe: fc.nat(),
    });
    try {
      await client.diagnosticsFor(uri, 1);
      await fc.assert(
        fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 4 }), async (edits) => {
          let version = 0;
          for (const e of edits) {
            const start = e.at % (text.length + 1);
            const end = Math.min(text.length, start + e.remove);
            version = await client.change(uri, [{ range: { start: positionAt(text, start), end: positionAt(text, end) }, text: e.insert }]);
            text = text.slice(0, start) + e.insert + text.slice(end);
          }
          await client.diagnosticsFor(uri, version);
          const probe = edits[0].probe % (text.length + 1);
          await everything(uri, positionAt(text, probe));
          await client.request("textDocument/semanticTokens/full", { textDocument: { uri } });
          await client.request("textDocument/documentSymbol", { textDocument: { uri } });
          expect(failures()).toEqual([]);
        }),
        { numRuns: 60, seed: 20240611 },
      );
    } finally {
      await client.close(uri);
    }
    expect(client.process.exitCode).toBeNull();
  });

  test("requests for a document that is not open get empty answers", async () => {
    const uri = ws.uri(ws.dir + "/never-opened.flow");
    const position = { line: 0, character: 0 };
    expect(await client.request("textDocument/hover", { textDocument: { uri }, position })).toBeNull();
    expect(await client.request("textDocument/completion", { textDocument: { uri }, position })).toEqual([]);
    expect(await client.request("textDocument/semanticTokens/full", { textDocument: { uri } })).toMatchObject({ data: [] });
  });
});
