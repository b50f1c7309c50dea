/**
 * Editor features over the real server: semantic tokens, hover, completion,
 * definition, references, rename, document symbols, formatting and code
 * actions. Cursor positions are marked in the fixture text with <|> or <|name|>.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import fs from "node:fs";
import path from "node:path";
import type { CodeAction, CompletionItem, DocumentSymbol, Hover, Location, SemanticTokens, SemanticTokensDelta, TextEdit, WorkspaceEdit } from "vscode-languageserver-protocol";
import { decodeTokens } from "../../lsp/semantic-tokens.js";
import { ensureBuilt, marked, repoRoot, TestClient } from "./client.js";
import { COMMON, createWorkspace, MAIN, positionOf, type Workspace } from "./fixtures.js";

let client: TestClient;
let ws: Workspace;

beforeAll(async () => {
  ensureBuilt();
  ws = createWorkspace();
  client = await TestClient.start({ workspace: ws.dir });
});

afterAll(async () => {
  await client?.stop();
  ws?.remove();
});

/** Opens `text` as main.flow (or another file) with its markers removed; closes it after the body. */
async function withDocument<T>(text: string, body: (doc: { uri: string; text: string; at: ReturnType<typeof marked>["at"] }) => Promise<T>, file = ws.main): Promise<T> {
  const m = marked(text);
  const uri = await client.open(file, m.text);
  try {
    await client.diagnosticsFor(uri, 1);
    return await body({ uri, text: m.text, at: m.at });
  } finally {
    await client.close(uri);
  }
}

const hoverText = async (uri: string, position: { line: number; character: number }) => {
  const hover = await client.request<Hover | null>("textDocument/hover", { textDocument: { uri }, position });
  const contents = hover?.contents;
  return typeof contents === "object" && contents !== null && "value" in contents ? contents.value : "";
};

const completions = async (uri: string, position: { line: number; character: number }) => {
  const result = await client.request<CompletionItem[] | { items: CompletionItem[] } | null>("textDocument/completion", { textDocument: { uri }, position });
  const items = Array.isArray(result) ? result : (result?.items ?? []);
  return items.sort((a, b) => (a.sortText ?? a.label).localeCompare(b.sortText ?? b.label));
};

describe("semantic tokens", () => {
  test("classify keywords, stages, schemas, topics, fields, handlers, lanes, numbers, durations and comments", async () => {
    await withDocument(MAIN, async ({ uri, text }) => {
      const result = await client.request<SemanticTokens>("textDocument/semanticTokens/full", { textDocument: { uri } });
      const lines = text.split("\n");
      const tokens = decodeTokens(result.data).map((t) => ({ text: lines[t.line].slice(t.character, t.character + t.length), type: t.type, modifiers: t.modifiers }));
      const kind = (word: string, nth = 0) => {
        const found = tokens.filter((t) => t.text === word)[nth];
        return found ? [found.type, ...found.modifiers].join(".") : undefined;
      };
      expect(kind("import")).toBe("keyword");
      expect(kind("pipeline")).toBe("keyword");
      expect(kind("from")).toBe("keyword");
      expect(kind("renditions")).toBe("variable.declaration");
      expect(kind("renditions", 1)).toBe("variable");
      expect(kind("photos")).toBe("variable");
      expect(kind("Rendition")).toBe("struct");
      expect(kind("Photo")).toBe("struct");
      expect(kind("render")).toBe("function.declaration");
      expect(kind("render", 1)).toBe("function");
      expect(kind("renderPhotos")).toBe("namespace.declaration");
      expect(kind("copy")).toBe("function.defaultLibrary");
      expect(kind("shard")).toBe("function.defaultLibrary");
      expect(kind("retry")).toBe("function.defaultLibrary");
      expect(kind("4k")).toBe("label");
      expect(kind("gif")).toBe("label");
      expect(kind("id")).toBe("property");
      expect(kind("photoId")).toBe("property");
      expect(kind("partitions")).toBe("parameter");
      expect(kind("by")).toBe("parameter");
      expect(kind("10")).toBe("number");
      expect(kind("100ms")).toBe("number");
      expect(kind("30s")).toBe("number");
      expect(kind('"./handlers.ts"')).toBe("string");
      expect(kind('"./common.flow"')).toBe("string");
      // A block comment over two lines is two tokens, one per line.
      expect(tokens.filter((t) => t.type === "comment").map((t) => t.text)).toEqual(["/* Every photo in three formats,", "   merged back into one topic. */"]);
      expect(kind("|")).toBe("operator");
    });
  });

  test("enums, members, primitives and nested fields in a schema", async () => {
    await withDocument(COMMON, async ({ uri, text }) => {
      const result = await client.request<SemanticTokens>("textDocument/semanticTokens/full", { textDocument: { uri } });
      const lines = text.split("\n");
      const tokens = decodeTokens(result.data).map((t) => ({ text: lines[t.line].slice(t.character, t.character + t.length), kind: [t.type, ...t.modifiers].join(".") }));
      const kind = (word: string, nth = 0) => tokens.filter((t) => t.text === word)[nth]?.kind;
      expect(kind("Format")).toBe("enum.declaration");
      expect(kind("Format", 1)).toBe("enum");
      expect(kind("4k")).toBe("enumMember.declaration");
      expect(kind("string")).toBe("type.defaultLibrary");
      expect(kind("camera")).toBe("property.declaration");
      expect(kind("iso")).toBe("property.declaration");
      expect(kind("public")).toBe("property.declaration");
      expect(kind("// Shared declarations, imported by main.flow.")).toBe("comment");
    }, ws.common);
  });

  test("a delta request after an edit returns edits that rebuild the full result", async () => {
    await withDocument(MAIN, async ({ uri, text }) => {
      const first = await client.request<SemanticTokens>("textDocument/semanticTokens/full", { textDocument: { uri } });
      const at = positionOf(text, "| merge");
      const version = await client.change(uri, [{ range: { start: at, end: at }, text: "| filter(.public)\n    " }]);
      await client.diagnosticsFor(uri, version);
      const delta = await client.request<SemanticTokensDelta>("textDocument/semanticTokens/full/delta", { textDocument: { uri }, previousResultId: first.resultId });
      const full = await client.request<SemanticTokens>("textDocument/semanticTokens/full", { textDocument: { uri } });
      expect(delta.edits).toBeDefined();
      const rebuilt = [...first.data];
      for (const edit of [...delta.edits].reverse()) rebuilt.splice(edit.start, edit.deleteCount, ...(edit.data ?? []));
      expect(rebuilt).toEqual(full.data);
    });
  });
});

describe("hover", () => {
  test("a stage shows the stream after it: message type, lanes and shards", async () => {
    const text = MAIN.replace("| shard(10", "| sh<|>ard(10");
    await withDocument(text, async ({ uri, at }) => {
      const value = await hoverText(uri, at.cursor);
      expect(value).toContain("shard(10, by: .id)");
      expect(value).toContain("**stream out:** Photo · lanes 4k, 1080p, gif · 10 shards");
      expect(value).toContain("**stream in:** Photo · lanes 4k, 1080p, gif");
      expect(value).toContain("| 1080p | `Photo` | 10 |");
      expect(value).toContain("exactly one of `count` shards");
    });
  });

  test("map shows the handler's output type flowing on, merge folds the lanes", async () => {
    const text = MAIN.replace("| map(render)", "| m<|map|>ap(render)").replace("| merge", "| mer<|merge|>ge");
    await withDocument(text, async ({ uri, at }) => {
      expect(await hoverText(uri, at.map)).toContain("**stream out:** Rendition · lanes 4k, 1080p, gif · 10 shards");
      const merge = await hoverText(uri, at.merge);
      expect(merge).toContain("**stream out:** Rendition · 10 shards");
      expect(merge).toContain("Folds all lanes back into one stream");
    });
  });

  test("between stages and at the sink: the stream there", async () => {
    const text = MAIN.replace("    | copy", "    <|pipe|>| copy").replace("-> renditions", "-<|arrow|>> renditions");
    await withDocument(text, async ({ uri, at }) => {
      expect(await hoverText(uri, at.pipe)).toContain("**stream here:** Photo");
      expect(await hoverText(uri, at.arrow)).toContain("**stream at the sink:** Rendition · 10 shards");
    });
  });

  test("symbols: a topic, a schema, a handler, and a field path", async () => {
    const text = MAIN.replace("  photos\n", "  pho<|topic|>tos\n")
      .replace("handler render(Photo)", "handler render(Pho<|schema|>to)")
      .replace("map(render)", "map(ren<|handler|>der)")
      .replace("by: .id", "by: .i<|field|>d");
    await withDocument(text, async ({ uri, at }) => {
      const topic = await hoverText(uri, at.topic);
      expect(topic).toContain("topic photos: Photo (partitions: 10, key: .id)");
      expect(topic).toContain("read by `renderPhotos`");
      expect(topic).toContain("**stream in:** Photo");
      const schema = await hoverText(uri, at.schema);
      expect(schema).toContain("schema Photo {\n  id: string");
      expect(schema).toContain("meta: { camera: string, iso?: int }");
      const handler = await hoverText(uri, at.handler);
      expect(handler).toContain('handler render(Photo) -> Rendition from "./handlers.ts"');
      expect(handler).toContain("**stream out:** Rendition");
      expect(await hoverText(uri, at.field)).toContain("Photo.id: string");
    });
  });

  test("lanes where they are made and where they are routed; fields where they are declared", async () => {
    const text = MAIN.replace("copy(4k, 1080p, gif)", "copy(4k, 10<|lane|>80p, gif)").replace("    | merge\n    -> renditions", "    -> { 4k: renditions, 1080p: renditions, g<|route|>if: renditions }");
    await withDocument(text, async ({ uri, at }) => {
      const lane = await hoverText(uri, at.lane);
      expect(lane).toContain("**lane** `1080p`");
      expect(lane).toContain("Photo · lanes 1080p");
      const route = await hoverText(uri, at.route);
      expect(route).toContain("**lane** `gif` → `renditions`");
      expect(route).toContain("Rendition · lanes gif · 10 shards");
    });
    await withDocument(COMMON.replace("  meta: {", "  me<|>ta: {"), async ({ uri, at }) => {
      expect(await hoverText(uri, at.cursor)).toContain("Photo.meta: { camera: string, iso?: int }");
    }, ws.common);
  });

  test("policies and keywords have documentation", async () => {
    const text = MAIN.replace("retry(5", "ret<|retry|>ry(5").replace("pipeline renderPhotos", "pipe<|kw|>line renderPhotos");
    await withDocument(text, async ({ uri, at }) => {
      expect(await hoverText(uri, at.retry)).toContain("exponential backoff");
      expect(await hoverText(uri, at.kw)).toContain("pipeline name { source | stage ... -> sink }");
    });
  });
});

describe("completion", () => {
  test("stages after |", async () => {
    const text = MAIN.replace("    | merge\n", "    | <|>\n    | merge\n");
    await withDocument(text, async ({ uri, at }) => {
      const items = await completions(uri, at.cursor);
      expect(items.map((i) => i.label)).toEqual(["copy", "filter", "split", "shard", "merge", "map", "flatMap"]);
      expect(items.find((i) => i.label === "shard")).toMatchObject({ insertTextFormat: 2, detail: "shard(<count>, by: .field)" });
    });
  });

  test("fields after . use the stream type at that point, nested records too", async () => {
    const text = MAIN.replace("    | merge\n", "    | filter(.<|first|>)\n    | merge\n");
    await withDocument(text, async ({ uri, at }) => {
      // After map(render) the stream carries Rendition, not Photo.
      expect((await completions(uri, at.first)).map((i) => i.label)).toEqual(["photoId", "url"]);
    });
    const before = MAIN.replace("    | copy", "    | filter(.meta.<|nested|>)\n    | copy");
    await withDocument(before, async ({ uri, at }) => {
      const items = await completions(uri, at.nested);
      expect(items.map((i) => i.label).sort()).toEqual(["camera", "iso"]);
      expect(items.find((i) => i.label === "iso")?.detail).toBe("iso?: int");
    });
  });

  test("fields while typing a name after the dot, in a half-written stage", async () => {
    const text = MAIN.replace("    | copy", "    | filter(.wi<|>\n    | copy");
    await withDocument(text, async ({ uri, at }) => {
      const labels = (await completions(uri, at.cursor)).map((i) => i.label);
      expect(labels).toContain("width");
      expect(labels).toContain("meta");
    });
  });

  test("handlers in map(, the ones that take the stream's type first", async () => {
    const text = MAIN.replace('handler render(Photo) -> Rendition from "./handlers.ts"', 'handler render(Photo) -> Rendition from "./handlers.ts"\nhandler annotate(Rendition) -> Rendition from "./handlers.ts"').replace("map(render)", "map(<|>)");
    await withDocument(text, async ({ uri, at }) => {
      const items = await completions(uri, at.cursor);
      expect(items.map((i) => i.label)).toEqual(["render", "annotate"]);
      expect(items[0].detail).toBe('handler render(Photo) -> Rendition from "./handlers.ts"');
    });
  });

  test("topics after -> (matching type first) and as sources", async () => {
    const sink = MAIN.replace("-> renditions", "-> <|>");
    await withDocument(sink, async ({ uri, at }) => {
      const labels = (await completions(uri, at.cursor)).map((i) => i.label);
      expect(labels).toEqual(["renditions", "photos"]);
    });
    const source = MAIN.replace("pipeline renderPhotos {\n  photos", "pipeline renderPhotos {\n  <|>photos");
    await withDocument(source, async ({ uri, at }) => {
      expect((await completions(uri, at.cursor)).map((i) => i.label).sort()).toEqual(["photos", "renditions"]);
    });
  });

  test("schemas and types in declarations", async () => {
    const text = MAIN + "\nschema Extra {\n  a: <|field|>\n}\n";
    await withDocument(text, async ({ uri, at }) => {
      const labels = (await completions(uri, at.field)).map((i) => i.label);
      expect(labels).toEqual(expect.arrayContaining(["Photo", "Rendition", "Format", "string", "int", "timestamp"]));
    });
    const topic = MAIN.replace("topic renditions: Rendition", "topic renditions: <|>Rendition");
    await withDocument(topic, async ({ uri, at }) => {
      expect((await completions(uri, at.cursor)).map((i) => i.label)).toContain("Rendition");
    });
  });

  test("policies after a map stage", async () => {
    const text = MAIN.replace("map(render) retry(5, backoff: 100ms..30s) timeout(10s)", "map(render) <|>");
    await withDocument(text, async ({ uri, at }) => {
      expect((await completions(uri, at.cursor)).map((i) => i.label)).toEqual(["retry", "timeout", "concurrency", "deadLetter"]);
    });
  });

  test("enum members after ==, and lanes in a lane sink", async () => {
    const text = MAIN.replace("    | copy", "    | filter(.format == <|member|>)\n    | copy").replace("    | merge\n    -> renditions", "    -> { <|lane|> }");
    await withDocument(text, async ({ uri, at }) => {
      expect((await completions(uri, at.member)).map((i) => i.label)).toEqual(["4k", "1080p", "gif"]);
      expect((await completions(uri, at.lane)).map((i) => i.label)).toEqual(["4k", "1080p", "gif"]);
    });
  });

  test("declarations at the start of a line; nothing inside comments or strings", async () => {
    const text = MAIN + "\n<|top|>\n// a comment <|comment|>\n";
    await withDocument(text, async ({ uri, at }) => {
      expect((await completions(uri, at.top)).map((i) => i.label)).toEqual(["schema", "enum", "topic", "handler", "pipeline", "import"]);
      expect(await completions(uri, at.comment)).toEqual([]);
    });
  });
});

describe("navigation", () => {
  test("definition of a topic, a schema and an import goes to the .flow file that declares it", async () => {
    const text = MAIN.replace("  photos\n", "  pho<|topic|>tos\n").replace("handler render(Photo)", "handler render(Pho<|schema|>to)").replace('import "./common.flow"', 'import "./com<|import|>mon.flow"');
    await withDocument(text, async ({ uri, at }) => {
      const topic = await client.request<Location[]>("textDocument/definition", { textDocument: { uri }, position: at.topic });
      expect(topic).toEqual([{ uri: ws.uri(ws.common), range: { start: positionOf(COMMON, "photos"), end: positionOf(COMMON, "photos", 0, 6) } }]);
      const schema = await client.request<Location[]>("textDocument/definition", { textDocument: { uri }, position: at.schema });
      expect(schema[0]).toMatchObject({ uri: ws.uri(ws.common), range: { start: positionOf(COMMON, "Photo {") } });
      const file = await client.request<Location[]>("textDocument/definition", { textDocument: { uri }, position: at.import });
      expect(file[0].uri).toBe(ws.uri(ws.common));
    });
  });

  test("definition of a handler goes to its export in the TypeScript module; declaration to the .flow", async () => {
    const text = MAIN.replace("map(render)", "map(ren<|>der)");
    await withDocument(text, async ({ uri, at }) => {
      const ts = await client.request<Location[]>("textDocument/definition", { textDocument: { uri }, position: at.cursor });
      const handlers = fs.readFileSync(ws.handlers, "utf8");
      expect(ts).toEqual([{ uri: ws.uri(ws.handlers), range: { start: positionOf(handlers, "render("), end: positionOf(handlers, "render(", 0, 6) } }]);
      const flow = await client.request<Location[]>("textDocument/declaration", { textDocument: { uri }, position: at.cursor });
      expect(flow[0]).toMatchObject({ uri, range: { start: positionOf(MAIN, "render(Photo)") } });
    });
  });

  test("definition of a lane in a lane sink goes to where copy or split makes it", async () => {
    const text = MAIN.replace("    | merge\n    -> renditions", "    -> { 4k: renditions, 10<|>80p: renditions, gif: renditions }");
    await withDocument(text, async ({ uri, at, text: current }) => {
      const lane = await client.request<Location[]>("textDocument/definition", { textDocument: { uri }, position: at.cursor });
      expect(lane).toEqual([{ uri, range: { start: positionOf(current, "1080p"), end: positionOf(current, "1080p", 0, 5) } }]);
    });
  });

  test("references to a topic across the declaring file and the importing one", async () => {
    const text = MAIN.replace("  photos\n", "  pho<|>tos\n");
    await withDocument(text, async ({ uri, at }) => {
      const refs = await client.request<Location[]>("textDocument/references", { textDocument: { uri }, position: at.cursor, context: { includeDeclaration: true } });
      expect(refs.map((r) => [path.basename(new URL(r.uri).pathname), r.range.start.line])).toEqual([
        ["common.flow", positionOf(COMMON, "topic photos").line],
        ["main.flow", positionOf(MAIN, "  photos\n").line],
      ]);
      const without = await client.request<Location[]>("textDocument/references", { textDocument: { uri }, position: at.cursor, context: { includeDeclaration: false } });
      expect(without).toHaveLength(1);
    });
  });

  test("references from the declaring file find uses in files that import it (workspace scan)", async () => {
    const text = COMMON.replace("schema Photo {", "schema Pho<|>to {");
    await withDocument(text, async ({ uri, at }) => {
      const refs = await client.request<Location[]>("textDocument/references", { textDocument: { uri }, position: at.cursor, context: { includeDeclaration: false } });
      const files = refs.map((r) => path.basename(new URL(r.uri).pathname));
      expect(files.filter((f) => f === "main.flow")).toHaveLength(1);
      expect(files.filter((f) => f === "common.flow")).toHaveLength(1); // topic photos: Photo
    }, ws.common);
  });

  test("rename a topic across files; a handler renames its TypeScript export too", async () => {
    const text = MAIN.replace("  photos\n", "  pho<|topic|>tos\n").replace("map(render)", "map(ren<|handler|>der)");
    await withDocument(text, async ({ uri, at }) => {
      const prepared = await client.request<{ range: unknown; placeholder: string }>("textDocument/prepareRename", { textDocument: { uri }, position: at.topic });
      expect(prepared.placeholder).toBe("photos");
      const edit = await client.request<WorkspaceEdit>("textDocument/rename", { textDocument: { uri }, position: at.topic, newName: "pictures" });
      const changes = edit.changes!;
      expect(Object.keys(changes).sort()).toEqual([ws.uri(ws.common), uri].sort());
      expect(changes[ws.uri(ws.common)]).toEqual([{ range: { start: positionOf(COMMON, "photos"), end: positionOf(COMMON, "photos", 0, 6) }, newText: "pictures" }]);
      expect(changes[uri].map((e) => e.newText)).toEqual(["pictures"]);

      const handler = await client.request<WorkspaceEdit>("textDocument/rename", { textDocument: { uri }, position: at.handler, newName: "renderAll" });
      expect(handler.changes![uri]).toHaveLength(2);
      expect(handler.changes![ws.uri(ws.handlers)]).toEqual([{ range: expect.anything(), newText: "renderAll" }]);

      await expect(client.request("textDocument/rename", { textDocument: { uri }, position: at.topic, newName: "pipeline" })).rejects.toThrow(/keyword/);
      await expect(client.request("textDocument/rename", { textDocument: { uri }, position: at.topic, newName: "renditions" })).rejects.toThrow(/already declared/);
      await expect(client.request("textDocument/rename", { textDocument: { uri }, position: at.topic, newName: "two words" })).rejects.toThrow(/not a name/);
    });
  });

  test("nothing to rename on a keyword", async () => {
    const text = MAIN.replace("pipeline renderPhotos", "pipe<|>line renderPhotos");
    await withDocument(text, async ({ uri, at }) => {
      expect(await client.request("textDocument/prepareRename", { textDocument: { uri }, position: at.cursor })).toBeNull();
    });
  });
});

describe("document symbols", () => {
  test("the outline: declarations with fields, members and stages", async () => {
    await withDocument(MAIN, async ({ uri }) => {
      const symbols = await client.request<DocumentSymbol[]>("textDocument/documentSymbol", { textDocument: { uri } });
      expect(symbols.map((s) => [s.name, s.kind])).toEqual([
        ['import "./common.flow"', 1],
        ["renditions", 24],
        ["render", 12],
        ["renderPhotos", 2],
      ]);
      expect(symbols[3].children!.map((c) => c.name)).toEqual(["copy", "shard", "map", "merge"]);
      expect(symbols[3].detail).toBe("photos -> renditions");
    });
    await withDocument(COMMON, async ({ uri }) => {
      const symbols = await client.request<DocumentSymbol[]>("textDocument/documentSymbol", { textDocument: { uri } });
      const photo = symbols.find((s) => s.name === "Photo")!;
      expect(photo.children!.map((c) => c.name)).toEqual(["id", "owner", "width", "format", "meta", "public"]);
      expect(photo.children!.find((c) => c.name === "meta")!.children!.map((c) => c.name)).toEqual(["camera", "iso"]);
      expect(symbols.find((s) => s.name === "Format")!.children!.map((c) => c.name)).toEqual(["4k", "1080p", "gif"]);
    }, ws.common);
  });
});

describe("code actions", () => {
  test("did-you-mean hints become quick fixes", async () => {
    const text = MAIN.replace("| shard(10", "| sh<|stage|>rad(10").replace("  photos\n", "  phot<|topic|>s\n").replace("by: .id", "by: .i<|field|>dd");
    await withDocument(text, async ({ uri, at }) => {
      const published = client.diagnostics.get(uri)!.diagnostics;
      expect(published.map((d) => d.code).sort()).toEqual(["FLOW2001", "FLOW2002"]);
      const fix = async (position: { line: number; character: number }) =>
        client.request<CodeAction[]>("textDocument/codeAction", { textDocument: { uri }, range: { start: position, end: position }, context: { diagnostics: published } });
      const stage = await fix(at.stage);
      expect(stage).toHaveLength(1);
      expect(stage[0]).toMatchObject({ title: "Change 'shrad' to 'shard'", kind: "quickfix", isPreferred: true });
      const edits = stage[0].edit!.changes![uri];
      expect(edits).toEqual([{ range: { start: { line: at.stage.line, character: at.stage.character - 2 }, end: { line: at.stage.line, character: at.stage.character + 3 } }, newText: "shard" }]);
      expect(stage[0].diagnostics![0].code).toBe("FLOW2001");
      expect((await fix(at.topic))[0].title).toBe("Change 'phots' to 'photos'");
    });
  });

  test("a topic or handler that is not declared yet: declare it, typed by the stream there", async () => {
    const actions = async (uri: string, position: { line: number; character: number }) =>
      client.request<CodeAction[]>("textDocument/codeAction", { textDocument: { uri }, range: { start: position, end: position }, context: { diagnostics: [] } });
    const topics = MAIN.replace("-> renditions", "-> thum<|topic|>bnails").replace("    | merge\n", "    | merge\n    | filter(.url != \"\", dropped: bro<|dropped|>ken)\n");
    await withDocument(topics, async ({ uri, at, text }) => {
      const topic = (await actions(uri, at.topic)).find((a) => a.title === "Declare topic 'thumbnails'")!;
      // After the last topic declaration, with the type arriving at the sink.
      expect(topic.edit!.changes![uri]).toEqual([{ range: { start: positionOf(text, "(partitions: 10, key: .photoId)", 0, 31), end: positionOf(text, "(partitions: 10, key: .photoId)", 0, 31) }, newText: "\ntopic thumbnails: Rendition" }]);
      const dropped = (await actions(uri, at.dropped)).find((a) => a.title === "Declare topic 'broken'");
      expect(dropped?.edit!.changes![uri][0].newText).toBe("\ntopic broken: Rendition");
    });
    const handlers = MAIN.replace("map(render)", "map(ren<|>dr)");
    await withDocument(handlers, async ({ uri, at }) => {
      const found = await actions(uri, at.cursor);
      expect(found.map((a) => a.title)).toEqual(["Change 'rendr' to 'render'", "Declare handler 'rendr'"]);
      expect(found[1].edit!.changes![uri][0].newText).toBe('\nhandler rendr(Photo) -> Photo from "./handlers.ts"');
    });
  });

  test("a field typo in a topic key", async () => {
    const text = COMMON.replace("key: .id", "key: .i<|>dd");
    await withDocument(text, async ({ uri, at }) => {
      const actions = await client.request<CodeAction[]>("textDocument/codeAction", { textDocument: { uri }, range: { start: at.cursor, end: at.cursor }, context: { diagnostics: [] } });
      expect(actions.map((a) => a.title)).toEqual(["Change 'idd' to 'id'"]);
    }, ws.common);
  });
});

describe("formatting", () => {
  const formatter = path.join(repoRoot, "dist/compiler/format/index.js");
  test("uses the same formatter as flowc fmt, or says it is not there", async () => {
    const messy = MAIN.replace("    | copy(4k, 1080p, gif)", "  |   copy( 4k,1080p ,  gif )");
    await withDocument(messy, async ({ uri, text }) => {
      const edits = await client.request<TextEdit[]>("textDocument/formatting", { textDocument: { uri }, options: { tabSize: 2, insertSpaces: true } });
      if (!fs.existsSync(formatter)) {
        expect(edits).toEqual([]);
        expect(client.messages.join("\n")).toContain("formatter is not available");
        return;
      }
      const { formatFlow } = (await import(formatter)) as { formatFlow: (t: string) => Promise<string> };
      const expected = await formatFlow(text);
      const lines = text.split("\n");
      let result = text;
      for (const edit of [...edits].reverse()) {
        const offset = (p: { line: number; character: number }) => lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
        result = result.slice(0, offset(edit.range.start)) + edit.newText + result.slice(offset(edit.range.end));
      }
      expect(result).toBe(expected);
    });
  });
});

describe("line endings", () => {
  test("CRLF files: ranges, tokens and hover line up with the text", async () => {
    const text = MAIN.replace("| shard(10", "| sh<|>rad(10").replace(/\n/g, "\r\n");
    await withDocument(text, async ({ uri, text: crlf, at }) => {
      const [d] = client.diagnostics.get(uri)!.diagnostics;
      expect(d.code).toBe("FLOW2001");
      expect(d.range.start).toEqual({ line: at.cursor.line, character: at.cursor.character - 2 });
      const lines = crlf.split("\r\n");
      const tokens = decodeTokens((await client.request<SemanticTokens>("textDocument/semanticTokens/full", { textDocument: { uri } })).data);
      const words = tokens.map((t) => lines[t.line].slice(t.character, t.character + t.length));
      expect(words).toContain("renderPhotos");
      expect(words).toContain("100ms");
      expect(words.filter((w) => w.includes("\r"))).toEqual([]);
      expect(await hoverText(uri, { line: at.cursor.line, character: at.cursor.character + 13 })).toContain("Photo.id: string");
    });
  });
});
