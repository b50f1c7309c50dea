/**
 * `flowc graph`: DOT and Mermaid goldens for the examples; the SVG (laid out by Graphviz
 * compiled to WebAssembly) is well-formed XML and names every stage and topic.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { build } from "../../compiler/emit/build.js";
import { toDot, toMermaid, toSvg } from "../../compiler/graph.js";
import type { StageGraph } from "../../compiler/ir.js";
import { goldenRoot, root, updating } from "./helpers.js";

async function graphOf(file: string): Promise<StageGraph> {
  const result = await build([path.join(root, file)], { outDir: path.join(root, "examples/gen"), planOnly: true });
  expect(result.hasErrors).toBe(false);
  return result.graph!;
}

function golden(name: string, actual: string): void {
  const file = path.join(goldenRoot, "graph", name);
  if (updating) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, actual);
    return;
  }
  expect(fs.existsSync(file), `missing ${name}: UPDATE_GOLDEN=1 npx vitest run test/build`).toBe(true);
  expect(actual, `golden graph/${name}`).toBe(fs.readFileSync(file, "utf8"));
}

/**
 * Well-formedness of an XML document: one root, every tag closed in order, attributes
 * quoted and unique, entities known. Enough to say "a browser will open this".
 */
export function xmlProblems(xml: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  let roots = 0;
  const body = xml.replace(/^\uFEFF?<\?xml[^?]*\?>/, "").replace(/<!DOCTYPE[^>[]*(\[[^\]]*\])?>/, "");
  const token = /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<\?[\s\S]*?\?>|<\/?([A-Za-z_][\w:.-]*)((?:\s+[A-Za-z_][\w:.-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>|<|&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/g;
  for (const match of body.matchAll(token)) {
    const [whole, name, attrs, selfClosing] = match;
    if (whole.startsWith("<!--") || whole.startsWith("<![CDATA[") || whole.startsWith("<?")) continue;
    if (whole === "<") {
      problems.push(`stray '<' at ${match.index}`);
      continue;
    }
    if (whole.startsWith("&")) {
      problems.push(`unknown entity at ${match.index}`);
      continue;
    }
    const names = [...(attrs ?? "").matchAll(/([A-Za-z_][\w:.-]*)\s*=\s*(?:"[^"]*"|'[^']*')/g)].map((m) => m[1]);
    if (new Set(names).size !== names.length) problems.push(`duplicate attribute in <${name}>`);
    if (whole.startsWith("</")) {
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${open ?? "nothing"}>`);
    } else if (selfClosing !== "/") {
      if (stack.length === 0) roots++;
      stack.push(name);
    } else if (stack.length === 0) roots++;
  }
  if (stack.length > 0) problems.push(`unclosed: ${stack.join(" > ")}`);
  if (roots !== 1) problems.push(`${roots} root elements`);
  return problems;
}

const decode = (s: string) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#45;/g, "-").replace(/&amp;/g, "&");

describe.each(["photos", "signup"])("graph of examples/%s.flow", (name) => {
  it("DOT matches its golden", async () => {
    golden(`${name}.dot`, toDot(await graphOf(`examples/${name}.flow`)));
  });

  it("Mermaid matches its golden", async () => {
    golden(`${name}.mmd`, toMermaid(await graphOf(`examples/${name}.flow`)));
  });

  it("SVG is well-formed XML that names every stage and every drawn topic", async () => {
    const graph = await graphOf(`examples/${name}.flow`);
    const svg = await toSvg(graph);
    expect(svg).toMatch(/<svg[\s>]/);
    expect(xmlProblems(svg)).toEqual([]);
    const titles = new Set([...svg.matchAll(/<title>([^<]*)<\/title>/g)].map((m) => decode(m[1])));
    for (const node of graph.nodes) expect(titles.has(node.id), node.id).toBe(true);
    for (const topic of graph.topics.filter((t) => t.role !== "retry" && t.role !== "state")) expect(titles.has(`topic:${topic.name}`), topic.name).toBe(true);
  });
});

describe("graph drawing", () => {
  it("draws lanes, shards, merges, retries and dead letters", async () => {
    const dot = toDot(await graphOf("examples/photos.flow"));
    expect(dot).toContain('"renderPhotos/copy" -> "renderPhotos/4k/shard" [label="4k"]');
    expect(dot).toContain('label="shard(10, by: .id)\\n10 shards"');
    expect(dot).toContain('"renderPhotos/4k/merge" -> "topic:renditions"');
    expect(dot).toContain('"renderPhotos/4k/render" -> "retries:renderPhotos.4k.render" [style=dotted');
    expect(dot).toContain('"renderPhotos/4k/render" -> "topic:renderPhotos.4k.render.dlq" [style=dashed');
  });

  it("leaves failures out with failures: false", async () => {
    const dot = toDot(await graphOf("examples/photos.flow"), { failures: false });
    expect(dot).not.toContain("retries:");
    expect(dot).not.toContain(".dlq");
  });

  it("the XML check rejects broken documents", () => {
    expect(xmlProblems("<svg><g></svg>")).not.toEqual([]);
    expect(xmlProblems("<svg a='1' a='2'/>")).not.toEqual([]);
    expect(xmlProblems("<svg>&nbsp;</svg>")).not.toEqual([]);
    expect(xmlProblems("<svg><g/></svg>")).toEqual([]);
  });
});
