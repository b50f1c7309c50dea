/** The plugin as prettier's users see it: editors, `prettier --write`, configuration files. */
import { describe, expect, it } from "vitest";
import * as prettier from "prettier";
import { formatFlow, prettierPlugin } from "../../compiler/format/index.js";
import * as pluginModule from "../../compiler/format/plugin.js";

const messy = "topic photos:Photo(partitions:10,key:.id)\npipeline p{photos|copy(a,b)|merge->out}";

describe("prettier plugin", () => {
  it("formats with parser 'flowc', as formatFlow does", async () => {
    const viaPrettier = await prettier.format(messy, { parser: "flowc", plugins: [prettierPlugin] });
    expect(viaPrettier).toBe(await formatFlow(messy));
    expect(viaPrettier).toContain("topic photos: Photo (partitions: 10, key: .id)\n");
  });

  it("picks the parser from a .flow file name", async () => {
    const out = await prettier.format(messy, { filepath: "pipelines/photos.flow", plugins: [prettierPlugin] });
    expect(out).toBe(await formatFlow(messy));
    const info = await prettier.getFileInfo("photos.flow", { plugins: [prettierPlugin] });
    expect(info.inferredParser).toBe("flowc");
  });

  it("does not take over prettier's own 'flow' parser", async () => {
    const out = await prettier.format("const x: number = 1", { parser: "flow", plugins: [prettierPlugin] });
    expect(out).toBe("const x: number = 1;\n");
  });

  it("defaults to print width 100, and takes prettier's options", async () => {
    const members = Array.from({ length: 10 }, (_, i) => `member${i}`).join(", ");
    const line = `enum E { ${members} }`;
    expect(line.length).toBeGreaterThan(80);
    expect(await prettier.format(line, { parser: "flowc", plugins: [prettierPlugin] })).toBe(line + "\n");
    expect(await prettier.format(line, { parser: "flowc", plugins: [prettierPlugin], printWidth: 80 })).toContain("enum E {\n  member0\n");
    expect(await prettier.format("schema S { a: int }", { parser: "flowc", plugins: [prettierPlugin], tabWidth: 4 })).toBe("schema S {\n    a: int\n}\n");
  });

  it("loads as a module, the way prettier loads plugins named in a configuration file", async () => {
    expect(pluginModule.default).toBe(prettierPlugin);
    expect(pluginModule.languages[0]).toMatchObject({ name: "flowc", extensions: [".flow"], parsers: ["flowc"] });
    expect(pluginModule.languages[0]).not.toHaveProperty("linguistLanguageId");
    const out = await prettier.format(messy, { parser: "flowc", plugins: [{ ...pluginModule }] });
    expect(out).toBe(await formatFlow(messy));
  });
});
