/**
 * `flowc build`, `flowc build --check`, `flowc topics` and `flowc graph`, run through
 * their command modules: exit codes and what a person reads.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Command } from "../../cli/command.js";
import buildCommand from "../../cli/commands/build.js";
import graphCommand from "../../cli/commands/graph.js";
import topicsCommand from "../../cli/commands/topics.js";
import { UsageError } from "../../cli/command.js";
import { root } from "./helpers.js";

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "flowc-build-cli-"));
  fs.cpSync(path.join(root, "examples"), path.join(dir, "examples"), { recursive: true, filter: (src) => !src.includes(`${path.sep}gen`) && !src.includes(`${path.sep}data`) });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function run(command: Command, args: string[]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (c) => (out += c));
  stderr.on("data", (c) => (err += c));
  const code = await command.run({ args, cwd: dir, stdout, stderr });
  return { code, stdout: out, stderr: err };
}

describe("flowc build", () => {
  it("writes the build to gen/<name> beside the file, then finds nothing to change", async () => {
    const first = await run(buildCommand, ["examples/photos.flow"]);
    expect(first.stderr).toBe("");
    expect(first.stdout).toBe("flowc build: 1 pipeline, 4 workers, 28 topics -> examples/gen/photos (9 written, 0 unchanged)\n");
    expect(first.code).toBe(0);
    const out = path.join(dir, "examples/gen/photos");
    expect(fs.readdirSync(out).sort()).toEqual([".flowc-build", "index.ts", "renderPhotos", "topology.json", "topology.schema.json", "types.ts"]);
    const again = await run(buildCommand, ["examples/photos.flow"]);
    expect(again.stdout).toContain("(0 written, 9 unchanged)");
  });

  it("--check passes on a fresh build and catches a hand edit, a deleted file and a leftover", async () => {
    const out = path.join(dir, "gen-check");
    expect((await run(buildCommand, ["examples/signup.flow", "--out", "gen-check"])).code).toBe(0);
    const ok = await run(buildCommand, ["examples/signup.flow", "--out", "gen-check", "--check"]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe("flowc build --check: gen-check is up to date (11 files)\n");

    const worker = path.join(out, "notify/route.worker.ts");
    fs.writeFileSync(worker, fs.readFileSync(worker, "utf8").replace('"notify/filter"', '"notify/my-filter"'));
    fs.rmSync(path.join(out, "types.ts"));
    const stale = await run(buildCommand, ["examples/signup.flow", "--out", "gen-check", "--check"]);
    expect(stale.code).toBe(1);
    expect(stale.stdout).toBe(
      [
        "flowc build --check: gen-check is not what flowc build would write:",
        "  stale    notify/route.worker.ts",
        "  missing  types.ts",
        "run: flowc build examples/signup.flow --out gen-check",
        "",
      ].join("\n"),
    );

    // A worker the program no longer has: the manifest knows it was generated.
    const manifest = path.join(out, ".flowc-build");
    fs.appendFileSync(manifest, "oldPipeline/route.worker.ts\n");
    fs.mkdirSync(path.join(out, "oldPipeline"));
    fs.writeFileSync(path.join(out, "oldPipeline/route.worker.ts"), "// old\n");
    const extra = await run(buildCommand, ["examples/signup.flow", "--out", "gen-check", "--check"]);
    expect(extra.stdout).toContain("  extra    oldPipeline/route.worker.ts");

    // Building again repairs all of it and removes the leftover.
    const repaired = await run(buildCommand, ["examples/signup.flow", "--out", "gen-check"]);
    expect(repaired.stdout).toContain("1 removed");
    expect(fs.existsSync(path.join(out, "oldPipeline"))).toBe(false);
    expect((await run(buildCommand, ["examples/signup.flow", "--out", "gen-check", "--check"])).code).toBe(0);
  });

  it("exits 1 with diagnostics and writes nothing when the program has errors", async () => {
    fs.writeFileSync(path.join(dir, "bad.flow"), "topic a: Missing\n");
    const result = await run(buildCommand, ["bad.flow", "--out", "gen-bad"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("error FLOW2003: unknown type 'Missing'");
    expect(result.stdout).toContain("nothing written");
    expect(fs.existsSync(path.join(dir, "gen-bad"))).toBe(false);
  });

  it("exits 2 for a missing file and for no files", async () => {
    expect((await run(buildCommand, ["nope.flow"])).code).toBe(2);
    await expect(run(buildCommand, [])).rejects.toBeInstanceOf(UsageError);
  });
});

describe("flowc topics", () => {
  it("prints the plan and kafka-topics.sh commands", async () => {
    const result = await run(topicsCommand, ["examples/photos.flow", "--bootstrap-server", "kafka:9092", "--replication", "3"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Topic plan for examples/photos.flow: 28 topics (1 source, 1 sink, 0 intermediate, 3 internal, 15 retry, 4 dead-letter, 4 state)");
    expect(result.stdout).toMatch(/^internal\s+renderPhotos\.4k\.render\s+10\s+3\s+\.id\s+renderPhotos\.4k\.render$/m);
    expect(result.stdout).toContain(
      "kafka-topics.sh --bootstrap-server kafka:9092 --create --if-not-exists --topic renderPhotos.4k.render --partitions 10 --replication-factor 3",
    );
    expect(result.stdout).toContain("--topic renderPhotos.4k.render.dlq --partitions 1 --replication-factor 3");
  });

  it("--json gives the plan as data", async () => {
    const result = await run(topicsCommand, ["examples/photos.flow", "--json"]);
    const plan = JSON.parse(result.stdout) as { topics: { name: string; role: string; partitions: number | null }[] };
    expect(plan.topics.filter((t) => t.role === "internal").map((t) => [t.name, t.partitions])).toEqual([
      ["renderPhotos.1080p.render", 10],
      ["renderPhotos.4k.render", 10],
      ["renderPhotos.gif.render", 10],
    ]);
  });

  it("topics apply says plainly when the Kafka apply command is not in this build", async () => {
    // With the Kafka transport's command in the build this would apply topics to whatever runs
    // on localhost:9092 (or wait a minute for a broker that is not there): nothing to check.
    if (fs.existsSync(path.join(root, "cli/commands/topics-apply.ts"))) return;
    const result = await run(topicsCommand, ["apply", "examples/photos.flow", "--brokers", "localhost:9092"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("flowc topics apply: not available in this build");
  });
});

describe("flowc graph", () => {
  it("writes an SVG a person can open, and DOT and Mermaid to stdout", async () => {
    const svg = await run(graphCommand, ["examples/photos.flow", "--format", "svg", "--out", "photos.svg"]);
    expect(svg.code).toBe(0);
    expect(svg.stderr).toBe("flowc graph: wrote photos.svg\n");
    expect(fs.readFileSync(path.join(dir, "photos.svg"), "utf8")).toMatch(/^<\?xml[\s\S]*<svg[\s\S]*<\/svg>\s*$/);
    expect((await run(graphCommand, ["examples/photos.flow", "--format", "dot"])).stdout).toMatch(/^digraph flowc \{/);
    expect((await run(graphCommand, ["examples/photos.flow", "--format", "mermaid"])).stdout).toMatch(/^flowchart LR\n/);
    await expect(run(graphCommand, ["examples/photos.flow", "--format", "png"])).rejects.toBeInstanceOf(UsageError);
  });
});
