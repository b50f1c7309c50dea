/**
 * Handler checks: a handler declaration resolved in its TypeScript module with ts-morph
 * and checked by the TypeScript checker. Each mismatch is a diagnostic at the `.flow`
 * line that names the TypeScript location.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { build } from "../../compiler/emit/build.js";
import { renderDiagnostics } from "../../compiler/render.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "flowc-handlers-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const FLOW = `schema Photo { id: string, width: int, tags: [string] }
schema Thumb { photoId: string, bytes: int }
topic photos: Photo
topic thumbs: Thumb
handler thumb(Photo) -> Thumb from "./handlers.ts"
pipeline makeThumbs {
  photos | map(thumb) -> thumbs
}
`;

let counter = 0;
async function check(handlers: string | undefined, flow = FLOW) {
  const dir = path.join(tmp, `case${counter++}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "app.flow"), flow);
  if (handlers !== undefined) fs.writeFileSync(path.join(dir, "handlers.ts"), handlers);
  const result = await build([path.join(dir, "app.flow")], { outDir: path.join(dir, "gen"), cwd: dir });
  const front = result.program.diagnostics.filter((d) => d.severity === "error");
  if (front.length > 0) throw new Error(`fixture does not check: ${front.map((d) => d.message).join("; ")}`);
  const list = result.diagnostics.filter((d) => d.code.startsWith("FLOW4"));
  return { list, text: renderDiagnostics(list, result.program.sourceOf, { cwd: dir }), files: result.files };
}

const GOOD_TYPES = `export interface Photo { readonly id: string; readonly width: number; readonly tags: readonly string[] }
export interface Thumb { photoId: string; bytes: number }
`;

describe("handler checks", () => {
  it("accept a matching handler, sync or async, with or without the context", async () => {
    for (const body of [
      `export function thumb(photo: Photo): Thumb { return { photoId: photo.id, bytes: photo.width * 10 }; }`,
      `export async function thumb(photo: Photo, context: unknown): Promise<Thumb> { void context; return { photoId: photo.id, bytes: 1 }; }`,
      `export const thumb = (photo: { id: string }) => ({ photoId: photo.id, bytes: 0, extra: true });`,
    ]) {
      const { list } = await check(GOOD_TYPES + body);
      expect(list.map((d) => d.message), body).toEqual([]);
    }
  });

  it("reports a wrong argument type at the handler's .flow line, naming the TypeScript location", async () => {
    const { list, text } = await check(`export function thumb(photo: { id: number }): { photoId: string; bytes: number } {\n  return { photoId: String(photo.id), bytes: 0 };\n}\n`);
    expect(list.map((d) => d.code)).toEqual(["FLOW4003"]);
    expect(text).toContain("app.flow:5:1 - error FLOW4003: handler 'thumb' (handlers.ts:1:1) cannot take a Photo as its argument");
    expect(text).toContain("Type 'string' is not assignable to type 'number'");
    expect(text).toContain('5 | handler thumb(Photo) -> Thumb from "./handlers.ts"');
  });

  it("says why a handler that takes mutable arrays is refused, and how to fix it", async () => {
    const mutable = `export function thumb(photo: { id: string; tags: string[] }): { photoId: string; bytes: number } {\n  return { photoId: photo.id, bytes: photo.tags.length };\n}\n`;
    const { list, text } = await check(mutable);
    expect(list.map((d) => d.code)).toEqual(["FLOW4003"]);
    expect(list[0].message).toContain("cannot take a Photo as its argument");
    expect(list[0].message).toContain("is 'readonly' and cannot be assigned to the mutable type 'string[]'");
    expect(list[0].hint).toMatch(/readonly \(a decoded message is not the handler's to change\): declare the parameter's arrays readonly, `readonly T\[\]`/);
    expect(text).toContain("hint: flowc's message types are readonly");
    // The fix the hint gives is accepted.
    expect((await check(mutable.replace("tags: string[]", "tags: readonly string[]"))).list).toEqual([]);
    // Other argument mismatches get no such hint.
    const wrong = await check(`export function thumb(photo: { id: number }): { photoId: string; bytes: number } {\n  return { photoId: String(photo.id), bytes: 0 };\n}\n`);
    expect(wrong.list[0].hint).toBeUndefined();
  });

  it("reports a wrong return type", async () => {
    const { list } = await check(GOOD_TYPES + `export function thumb(photo: Photo) { return { photoId: photo.id, bytes: "big" }; }`);
    expect(list.map((d) => d.code)).toEqual(["FLOW4003"]);
    expect(list[0].message).toMatch(/must return Thumb \(or a Promise of it\).*bytes/);
  });

  it("reports a Promise of the wrong type", async () => {
    const { list } = await check(GOOD_TYPES + `export async function thumb(photo: Photo) { return photo.id; }`);
    expect(list.map((d) => d.code)).toEqual(["FLOW4003"]);
    expect(list[0].message).toContain("must return Thumb");
  });

  it("reports a handler that wants more than a message and a context", async () => {
    const { list } = await check(GOOD_TYPES + `export function thumb(photo: Photo, context: unknown, extra: string): Thumb { return { photoId: photo.id + extra, bytes: 0 }; }`);
    expect(list.map((d) => d.message)).toEqual([expect.stringContaining("takes more than a message and a context")]);
  });

  it("reports a missing export, with the exports there are", async () => {
    const { list, text } = await check(GOOD_TYPES + `export function thumbnail(photo: Photo): Thumb { return { photoId: photo.id, bytes: 0 }; }`);
    expect(list.map((d) => d.code)).toEqual(["FLOW4002"]);
    expect(text).toContain("app.flow:5:9 - error FLOW4002: './handlers.ts' does not export a function 'thumb'");
    expect(text).toContain("hint: available: thumbnail");
  });

  it("reports an export that is not a function", async () => {
    const { list } = await check(GOOD_TYPES + `export const thumb = 42;`);
    expect(list.map((d) => d.code)).toEqual(["FLOW4002"]);
  });

  it("reports a missing module at the module string", async () => {
    const { list, text, files } = await check(undefined);
    expect(list.map((d) => d.code)).toEqual(["FLOW4001"]);
    expect(text).toContain("app.flow:5:36 - error FLOW4001: handler module './handlers.ts' not found (looked for handlers.ts)");
    expect(files.size).toBe(0);
  });

  it("finds a module written NodeNext-style with .js", async () => {
    const { list } = await check(GOOD_TYPES + `export function thumb(photo: Photo): Thumb { return { photoId: photo.id, bytes: 0 }; }`, FLOW.replace('"./handlers.ts"', '"./handlers.js"'));
    expect(list).toEqual([]);
  });

  it("checks flatMap handlers against the array they return", async () => {
    const flow = FLOW.replace("handler thumb(Photo) -> Thumb", "handler thumb(Photo) -> [Thumb]").replace("map(thumb)", "flatMap(thumb)");
    expect((await check(GOOD_TYPES + `export function thumb(photo: Photo): Thumb[] { return [{ photoId: photo.id, bytes: 0 }]; }`, flow)).list).toEqual([]);
    const wrong = await check(GOOD_TYPES + `export function thumb(photo: Photo): Thumb { return { photoId: photo.id, bytes: 0 }; }`, flow);
    expect(wrong.list.map((d) => d.code)).toEqual(["FLOW4003"]);
  });
});
