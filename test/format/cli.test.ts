/**
 * `flowc fmt` through the real binary (bin/flowc.js -> dist/), on copies of
 * files in a temporary directory. The build is refreshed first when the
 * sources are newer than dist/ (`npm test` builds before running vitest).
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const bin = path.join(root, "bin/flowc.js");
const fixtures = path.join(root, "test/format/fixtures");
let dir: string;

function newestSource(folder: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith(".ts")) newest = Math.max(newest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

beforeAll(() => {
  const built = path.join(root, "dist/cli/commands/fmt.js");
  const stale = !fs.existsSync(built) || Math.max(...["cli", "compiler", "grammar"].map((f) => newestSource(path.join(root, f)))) > fs.statSync(built).mtimeMs;
  if (stale) {
    try {
      execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: root, stdio: "pipe" });
    } catch {
      // tsc still emits when some other file has a type error; the tests below say if fmt is missing.
    }
  }
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "flowc-fmt-"));
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function flowc(...args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function copy(fixture: string, as = path.basename(fixture)): string {
  fs.copyFileSync(fixture, path.join(dir, as));
  return as;
}

const read = (file: string) => fs.readFileSync(path.join(dir, file), "utf8");
const expected = (name: string) => fs.readFileSync(path.join(fixtures, `${name}.expected.flow`), "utf8");

describe("flowc fmt", () => {
  it("--check passes on the examples, which are formatted", () => {
    const result = spawnSync(process.execPath, [bin, "fmt", "--check", "examples/photos.flow", "examples/signup.flow"], { cwd: root, encoding: "utf8" });
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe("");
    expect(result.status).toBe(0);
  });

  it("--check lists unformatted files, exits 1 and writes nothing", () => {
    const messy = copy(path.join(fixtures, "badly-indented.flow"));
    const clean = copy(path.join(fixtures, "badly-indented.expected.flow"), "clean.flow");
    const before = read(messy);
    const result = flowc("fmt", "--check", messy, clean);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(`${messy}\n`);
    expect(result.stderr).toContain("1 file not formatted");
    expect(read(messy)).toBe(before);
  });

  it("rewrites files in place and says which it changed", () => {
    const messy = copy(path.join(fixtures, "comments-everywhere.flow"), "comments.flow");
    const clean = copy(path.join(fixtures, "one-line-pipelines.expected.flow"), "already.flow");
    const result = flowc("fmt", messy, clean);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("formatted comments.flow\n1 file formatted, 1 already formatted\n");
    expect(read(messy)).toBe(expected("comments-everywhere"));
    expect(read(clean)).toBe(expected("one-line-pipelines"));
    const again = flowc("fmt", "--check", messy, clean);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe("");
  });

  it("--stdout prints the formatted text and writes nothing", () => {
    const messy = copy(path.join(fixtures, "trailing-commas.flow"));
    const before = read(messy);
    const result = flowc("fmt", "--stdout", messy);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(expected("trailing-commas"));
    expect(read(messy)).toBe(before);
  });

  it("reports syntax errors with rendered diagnostics, exits 1 and leaves the file alone", () => {
    fs.writeFileSync(path.join(dir, "broken.flow"), "schema S {\n  a: int\n");
    const ok = copy(path.join(fixtures, "trailing-commas.flow"), "ok.flow");
    const result = flowc("fmt", "broken.flow", ok);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("broken.flow:2:9 - error FLOW1002: expected '}', found end of file");
    expect(result.stderr).toContain("  2 |   a: int\n    |         ^");
    expect(result.stderr).toContain("1 file with syntax errors was not formatted");
    expect(read("broken.flow")).toBe("schema S {\n  a: int\n");
    // The other file is still formatted.
    expect(read(ok)).toBe(expected("trailing-commas"));
    expect(result.stdout).toBe("formatted ok.flow\n1 file formatted, 0 already formatted\n");
  });

  it("--check also fails on a file with syntax errors", () => {
    fs.writeFileSync(path.join(dir, "broken2.flow"), "topic t: T @\n");
    const result = flowc("fmt", "--check", "broken2.flow");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error FLOW1001: unexpected character '@'");
  });

  it("exits 2 for files it cannot read, after doing the others", () => {
    fs.mkdirSync(path.join(dir, "folder.flow"), { recursive: true });
    const messy = copy(path.join(fixtures, "badly-indented.flow"), "other.flow");
    const result = flowc("fmt", "missing.flow", "folder.flow", messy);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("flowc fmt: cannot read missing.flow: no such file");
    expect(result.stderr).toContain("flowc fmt: cannot read folder.flow: it is a directory");
    expect(read(messy)).toBe(expected("badly-indented"));
  });

  it("exits 2 on usage errors", () => {
    expect(flowc("fmt").code).toBe(2);
    const both = flowc("fmt", "--check", "--stdout", "x.flow");
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--check and --stdout cannot be used together");
    expect(flowc("fmt", "--nope", "x.flow").code).toBe(2);
  });

  it("writes through a symbolic link and keeps the file's mode", () => {
    const target = copy(path.join(fixtures, "badly-indented.flow"), "target.flow");
    fs.chmodSync(path.join(dir, target), 0o640);
    fs.symlinkSync(target, path.join(dir, "link.flow"));
    expect(flowc("fmt", "link.flow").code).toBe(0);
    expect(fs.lstatSync(path.join(dir, "link.flow")).isSymbolicLink()).toBe(true);
    expect(read(target)).toBe(expected("badly-indented"));
    expect(fs.statSync(path.join(dir, target)).mode & 0o777).toBe(0o640);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith(".fmt"))).toEqual([]);
  });
});
