// `flowc run` through the real binary on the photos example: every photo rendered once per
// format, the two bad inputs in the dead letters with their reasons, nothing else.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, test } from "vitest";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");
const flowc = path.join(root, "bin/flowc.js");

async function flowcRun(args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [flowc, "run", ...args], { cwd: root, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const readJsonl = (file: string) =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l));

describe("flowc run examples/photos.flow", () => {
  let out: string;
  let result: { code: number; stdout: string; stderr: string };
  beforeAll(async () => {
    out = mkdtempSync(path.join(tmpdir(), "flowc-run-"));
    // The build goes inside the repository, where the generated code can import flowc/runtime.
    const buildDir = path.join(root, "examples/gen", `run-test-${process.pid}`);
    result = await flowcRun(["examples/photos.flow", "--out", out, "--build-dir", buildDir]);
    rmSync(buildDir, { recursive: true, force: true });
  }, 180_000);

  test("exits 0 and prints the accounting", () => {
    expect(result.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^done in /m);
    expect(result.stdout).toMatch(/renderPhotos\/copy\s+copy\s+1,001\s+3,003/);
  });

  test("renders every good photo exactly once per format", () => {
    const inputs = readFileSync(path.join(root, "examples/data/photos.jsonl"), "utf8")
      .split("\n")
      .flatMap((line) => {
        try {
          return [JSON.parse(line)];
        } catch {
          return []; // the deliberately truncated line
        }
      })
      .filter((p) => p.width > 0);
    const renditions = readJsonl(path.join(out, "renditions.jsonl"));
    const seen = new Map<string, number>();
    for (const r of renditions) seen.set(`${r.photoId}/${r.format}`, (seen.get(`${r.photoId}/${r.format}`) ?? 0) + 1);
    expect(renditions.length).toBe(inputs.length * 3);
    for (const photo of inputs) for (const format of ["4k", "1080p", "gif"]) expect(seen.get(`${photo.id}/${format}`)).toBe(1);
    const gif = renditions.find((r) => r.format === "gif" && r.photoId === inputs[0].id);
    expect(Math.max(gif.width, gif.height)).toBeLessThanOrEqual(480);
  });

  test("sends the malformed line and the poison photo to dead letters with their reasons", () => {
    const dead = readJsonl(path.join(out, "dead-letters.jsonl"));
    const text = JSON.stringify(dead);
    expect(dead.length).toBe(4); // the truncated line once, the empty photo once per format lane
    expect(text).toMatch(/not JSON/);
    expect(text).toMatch(/no pixels/);
    expect(result.stdout).toMatch(/dead letters with their reasons/);
  });

  test("flowc dlq list reads the dead letters a run wrote", async () => {
    const { stdout } = await run(process.execPath, [flowc, "dlq", "list", path.join(out, "dead-letters.jsonl")], { cwd: root });
    expect(stdout).toMatch(/renderPhotos\.route\/decode\s+malformed\s+1\s+photos\//);
    // The photo with no pixels fails with NonRetriableError: dead-lettered on its first attempt.
    expect(stdout.match(/handler-error\s+1\s+/g)).toHaveLength(3);
    expect(stdout).toMatch(/^4 dead letters$/m);
  });
}, 240_000);

describe("flowc run: bad input is reported, not crashed on", () => {
  test("a program with errors exits 1 with its diagnostics and runs nothing", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "flowc-run-bad-"));
    const file = path.join(dir, "bad.flow");
    writeFileSync(file, "schema A { id: string }\ntopic a: A\ntopic b: A\npipeline p { a | shrad(2) -> b }\n");
    const r = await flowcRun([file, "--out", path.join(dir, "out")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/FLOW2001: unknown stage 'shrad'/);
    expect(r.stderr).toMatch(/nothing was run/);
    expect(existsSync(path.join(dir, "out"))).toBe(false);
  });

  test("a missing input file is a usage error (exit 2)", async () => {
    const r = await flowcRun(["examples/photos.flow", "--input", "photos=/nonexistent.jsonl", "--out", mkdtempSync(path.join(tmpdir(), "x-"))]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot read input .*no such file/);
  });

  test("a build directory that cannot import flowc/runtime is a usage error (exit 2)", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "flowc-run-outside-"));
    const r = await flowcRun(["examples/photos.flow", "--build-dir", path.join(dir, "gen"), "--out", path.join(dir, "out")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot import flowc\/runtime/);
  });

  test("a missing .flow file is an I/O error (exit 2)", async () => {
    const r = await flowcRun(["examples/nope.flow"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot read examples\/nope.flow: no such file/);
  });
});
