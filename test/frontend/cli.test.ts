/**
 * `flowc check` through the real binary: exit codes, output, and bad input
 * (a missing file, a directory, binary content, a 10 MB line, 10,000 nested
 * parentheses) that must get a clear message and never a stack trace.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { corpus, root } from "./helpers.js";

const bin = path.join(root, "bin/flowc.js");
let dir: string;

function flowc(args: string[], cwd = root) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" }, maxBuffer: 64 * 1024 * 1024 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, all: result.stdout + result.stderr };
}

/** No stack frames, no 'internal error': what a user sees is a message about their input. */
function expectNoStackTrace(output: string): void {
  expect(output).not.toMatch(/^\s+at .+[(:]\d+/m);
  expect(output).not.toMatch(/internal error|RangeError|TypeError|Maximum call stack/);
}

beforeAll(() => {
  // `npm test` builds first; a bare `npx vitest run test/frontend` may find no dist yet.
  if (!fs.existsSync(path.join(root, "dist/cli/main.js"))) spawnSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: root, stdio: "ignore" });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "flowc-cli-"));
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const write = (name: string, content: string | Buffer) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
};

describe("flowc check: exit codes", () => {
  it("npx flowc check examples/*.flow exits 0", () => {
    const examples = fs.readdirSync(path.join(root, "examples")).filter((f) => f.endsWith(".flow")).map((f) => `examples/${f}`);
    expect(examples.length).toBeGreaterThanOrEqual(2);
    const r = flowc(["check", ...examples]);
    expect(r.all).toContain(`${examples.length} files checked: 0 errors, 0 warnings`);
    expect(r.code).toBe(0);
  });

  it("exits 0 on every valid corpus file at once", () => {
    const files = corpus("valid").map((f) => path.relative(root, f.path));
    const r = flowc(["check", ...files]);
    expect(r.stdout).toBe(`${files.length} files checked: 0 errors, 0 warnings\n`);
    expect(r.code).toBe(0);
  });

  it("exits 1 on errors in the program, with excerpts, carets and hints", () => {
    const r = flowc(["check", "test/corpus/invalid/unknown-names.flow"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("test/corpus/invalid/unknown-names.flow:21:7 - error FLOW2001: unknown stage 'fliter'\n  21 |     | fliter(.age > 18)");
    expect(r.stdout).toMatch(/\n {5}\| {7}\^{6}\n {2}hint: did you mean 'filter'\?/);
    expect(r.stdout).toMatch(/1 file checked: \d+ errors, 0 warnings\n$/);
  });

  it("exits 0 on warnings only, and --no-warnings hides them", () => {
    const file = "test/corpus/invalid/unused-topic.flow";
    const r = flowc(["check", file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("warning FLOW3002");
    const quiet = flowc(["check", "--no-warnings", file]);
    expect(quiet.stdout).toBe("1 file checked: 0 errors, 0 warnings\n");
  });

  it("files that import each other report each finding once, and a file named twice is checked once", () => {
    // Each file is its own program, and each program held both files: every error came out twice.
    const a = write("mutual-a.flow", 'import "./mutual-b.flow"\nschema A { x: int }\ntopic t: A\n');
    const b = write("mutual-b.flow", 'import "./mutual-a.flow"\ntopic u: A\npipeline p { t -> u }\npipeline q { u -> nowhere }\n');
    const r = flowc(["check", a, b, a]);
    expect(r.stdout.match(/FLOW2002/g)).toEqual(["FLOW2002"]);
    expect(r.stdout).toContain("2 files checked: 1 error, 0 warnings\n");
    expect(r.code).toBe(1);
    const json = JSON.parse(flowc(["check", "--json", a, b]).stdout) as { diagnostics: unknown[] };
    expect(json.diagnostics).toHaveLength(1);
  });

  it("exits 2 on usage errors", () => {
    const none = flowc(["check"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("no files given");
    expect(none.stderr).toContain("usage: flowc check");
    const option = flowc(["check", "--frobnicate", "examples/photos.flow"]);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("--frobnicate");
    expectNoStackTrace(none.all + option.all);
  });
});

describe("flowc check: bad input gets a clear message", () => {
  it("a missing file: exit 2, one line", () => {
    const r = flowc(["check", path.join(dir, "nope.flow")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`flowc check: cannot read ${path.join(dir, "nope.flow")}: no such file\n`);
    expect(r.stdout).toBe("");
  });

  it("a directory: exit 2, one line", () => {
    const r = flowc(["check", dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`flowc check: cannot read ${dir}: it is a directory\n`);
  });

  it("binary content that is not UTF-8: exit 2, one line", () => {
    const bytes = Buffer.alloc(100_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) % 256;
    const file = write("random.flow", bytes);
    const r = flowc(["check", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`flowc check: cannot read ${file}: it is not UTF-8 text (is it a binary file?)\n`);
  });

  it("text with NUL bytes: one FLOW1006, no control characters on the terminal", () => {
    const file = write("nul.flow", "schema A {\u0000\u0001\u001b[31m }\n");
    const r = flowc(["check", file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("error FLOW1006: file is not text (it contains NUL bytes)");
    expect(r.stdout.match(/FLOW\d{4}/g)).toEqual(["FLOW1006"]);
    // eslint-disable-next-line no-control-regex
    expect(r.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
  });

  it("a 10 MB line: one FLOW1007 with a short excerpt", () => {
    const file = write("long.flow", `schema A { x: int }\n// ${"x".repeat(10 * 1024 * 1024)}\n`);
    const started = Date.now();
    const r = flowc(["check", file]);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`:2:1 - error FLOW1007: line of ${10 * 1024 * 1024 + 3} characters is longer than the limit of 20000`);
    expect(r.stdout.length).toBeLessThan(2_000);
    expectNoStackTrace(r.all);
  });

  it("10,000 nested parentheses on one line: FLOW1007", () => {
    const file = write("parens-line.flow", `schema A { x: bool }\ntopic t: A\ntopic u: A\npipeline p { t | filter(${"(".repeat(10_000)}.x${")".repeat(10_000)}) -> u }\n`);
    const r = flowc(["check", file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("error FLOW1007");
    expectNoStackTrace(r.all);
  });

  it("10,000 nested parentheses over many lines: FLOW1005, the rest of the file still checked", () => {
    const file = write(
      "parens.flow",
      `schema A { x: bool }\ntopic t: A\ntopic u: A\npipeline p { t | filter(${"(\n".repeat(10_000)}.x${")\n".repeat(10_000)}) -> u }\npipeline q { t -> nowhere }\n`,
    );
    const r = flowc(["check", file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(":66:1 - error FLOW1005: declaration too deeply nested: more than 64 levels of nested (), [] or {}; it was skipped");
    expect(r.stdout).toContain("error FLOW2002: unknown topic 'nowhere'");
    expectNoStackTrace(r.all);
  });

  it("an empty file and a file of comments are clean", () => {
    const r = flowc(["check", write("empty.flow", ""), write("comments.flow", "// nothing\n/* here */")]);
    expect(r.stdout).toBe("2 files checked: 0 errors, 0 warnings\n");
    expect(r.code).toBe(0);
  });
});

describe("flowc check --json", () => {
  it("prints one JSON document: file, code, severity, message, hint, 1-based start/end, offsets", () => {
    const r = flowc(["check", "--json", "test/corpus/invalid/cycle.flow", "examples/photos.flow"]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { diagnostics: Record<string, unknown>[] };
    expect(Object.keys(out)).toEqual(["diagnostics"]);
    expect(out.diagnostics).toEqual([
      {
        file: "test/corpus/invalid/cycle.flow",
        code: "FLOW3001",
        severity: "error",
        message: "pipelines form a cycle: a -(ab)-> b -(bc)-> c -(ca)-> a",
        hint: "a pipeline's output must not flow back into its own input; send it to a new topic",
        start: { line: 11, column: 10 },
        end: { line: 11, column: 12 },
        offset: { start: expect.any(Number), end: expect.any(Number) },
      },
    ]);
    const d = out.diagnostics[0] as { offset: { start: number; end: number } };
    expect(d.offset.end - d.offset.start).toBe(2);
  });

  it("prints an empty list for a clean program and exits 0", () => {
    const r = flowc(["check", "--json", "examples/signup.flow"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ diagnostics: [] });
  });
});
