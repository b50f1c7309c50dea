// `flowc run` on a pipeline that ends in a handler without output (an effect-only stage):
// the handler runs for every message, a failed attempt is retried, nothing is written, and
// the run accounts for every message.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const execFileAsync = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");
const flowc = path.join(root, "bin/flowc.js");

const FLOW = `schema Notice { id: string, to: string }
topic notices: Notice (partitions: 2, key: .id)
handler send(Notice) from "./send.ts"

pipeline notify {
  notices | map(send)
}
`;

// Appends one line per call to sent.log beside it: the effect outside the pipeline. The first
// attempt for n3 fails, so it is sent on its retry.
const HANDLER = `import { appendFileSync } from "node:fs";

export interface Notice { readonly id: string; readonly to: string }

export function send(notice: Notice, ctx: { attempt: number; messageId: string }): void {
  if (notice.id === "n3" && ctx.attempt === 1) throw new Error("mail server busy");
  appendFileSync(new URL("./sent.log", import.meta.url), \`\${notice.id} \${ctx.messageId}\\n\`);
}
`;

const COUNT = 20;

describe("flowc run: a pipeline ending in a handler without output", () => {
  // Inside the repository (examples/gen is ignored), so the generated code imports flowc/runtime.
  const dir = path.join(root, "examples/gen", `effect-only-test-${process.pid}`);
  let result: { code: number; stdout: string; stderr: string };

  beforeAll(async () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "notify.flow"), FLOW);
    writeFileSync(path.join(dir, "send.ts"), HANDLER);
    const lines = Array.from({ length: COUNT }, (_, n) => JSON.stringify({ id: `n${n}`, to: `user${n}@example.com` }));
    writeFileSync(path.join(dir, "notices.jsonl"), lines.join("\n") + "\n");
    const args = [flowc, "run", "notify.flow", "--input", "notices=notices.jsonl", "--out", "out", "--build-dir", "gen", "--quiet"];
    try {
      const { stdout, stderr } = await execFileAsync(process.execPath, args, { cwd: dir });
      result = { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      result = { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }, 120_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("exits 0 and accounts for every message", () => {
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^notify\\.send/decode\\s+decode\\s+${COUNT}\\s+${COUNT}\\s`, "m"));
    expect(result.stdout).toMatch(new RegExp(`^notify/send\\s+map\\s+${COUNT}\\s+${COUNT}\\s+0\\s+1\\s+0\\s+0\\s+0$`, "m"));
    expect(result.stdout).toMatch(/^dead letters\s+none$/m);
  });

  test("runs the handler once per message (the failed attempt once more) and writes nothing", () => {
    const sent = readFileSync(path.join(dir, "sent.log"), "utf8").trim().split("\n");
    expect(sent.map((line) => line.split(" ")[0]).sort()).toEqual(Array.from({ length: COUNT }, (_, n) => `n${n}`).sort());
    expect(new Set(sent.map((line) => line.split(" ")[1])).size).toBe(COUNT);
    expect(existsSync(path.join(dir, "out")) ? readdirSync(path.join(dir, "out")) : []).toEqual([]);
  });

  test("the generated worker has no route and is at-least-once", () => {
    const worker = readFileSync(path.join(dir, "gen/notify/send.worker.ts"), "utf8");
    expect(worker).not.toMatch(/route:/);
    expect(worker).toMatch(/^ {2}delivery: "at-least-once",$/m);
  });
});
