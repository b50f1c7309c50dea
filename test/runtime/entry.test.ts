/**
 * runtime/entry.ts: what a build's entry module (index.ts) does, through the public API:
 * choosing workers by id or pipeline, loading only their modules, starting them with the
 * build's topology, and running as a program (--only, graceful stop on SIGTERM).
 */
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import {
  defineEntry,
  defineWorker,
  emit,
  EmbeddedBroker,
  isMainModule,
  onlyFrom,
  planTopology,
  readTopic,
  readTopology,
  type Worker,
  type WorkerModuleLoader,
} from "../../runtime/index.js";
import { decodeMsg, type Msg } from "./helpers.js";

const root = path.resolve(import.meta.dirname, "../..");
const tmp = mkdtempSync(path.join(tmpdir(), "flowc-entry-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A route-only worker from `input` to `output`. */
const relay = (id: string, input: string, output: string): Worker => defineWorker<Msg>({ id, input: { topic: input, decode: decodeMsg }, route: emit(output) });

const WORKERS = {
  "a.route": relay("a.route", "in", "a.out"),
  "b.first": relay("b.first", "a.out", "b.mid"),
  "b.second": relay("b.second", "b.mid", "b.out"),
};
type Id = keyof typeof WORKERS;

/** An entry over WORKERS whose loaders count the modules they load. */
function entry() {
  const loaded: string[] = [];
  const loader = (id: Id): WorkerModuleLoader => async () => {
    loaded.push(id);
    return { default: WORKERS[id] };
  };
  const workers = { "a.route": loader("a.route"), "b.first": loader("b.first"), "b.second": loader("b.second") };
  const pipelines = { a: ["a.route"], b: ["b.first", "b.second"] } as const;
  const topology = planTopology(Object.values(WORKERS), { sourcePartitions: 2 });
  return { loaded, topology, ...defineEntry({ workers, pipelines, topology }) };
}

describe("onlyFrom", () => {
  it("collects --only values, comma-separated or repeated, and ignores other arguments", () => {
    expect(onlyFrom([])).toEqual([]);
    expect(onlyFrom(["--only", "a,b", "--verbose", "--only=c", "--only", "d,,e"])).toEqual(["a", "b", "c", "d", "e"]);
  });

  it("refuses --only without a name", () => {
    expect(() => onlyFrom(["--only"])).toThrow("--only needs a worker or pipeline name");
  });
});

describe("defineEntry", () => {
  it("selects every worker, a worker by id or a pipeline's workers, in the build's order, each once", () => {
    const { select } = entry();
    expect(select()).toEqual(["a.route", "b.first", "b.second"]);
    expect(select(["b.second"])).toEqual(["b.second"]);
    expect(select(["b", "a.route", "b.first"])).toEqual(["a.route", "b.first", "b.second"]);
  });

  it("refuses an unknown name, listing the known ones (inherited properties are not names)", () => {
    const { select } = entry();
    expect(() => select(["c"])).toThrow("unknown worker or pipeline 'c'; known: a, b, a.route, b.first, b.second");
    expect(() => select(["toString"])).toThrow("unknown worker or pipeline 'toString'");
  });

  it("loads only the chosen workers' modules", async () => {
    const { load, loaded } = entry();
    expect((await load(["b"])).map((w) => w.id)).toEqual(["b.first", "b.second"]);
    expect(loaded).toEqual(["b.first", "b.second"]);
  });

  it("starts the chosen workers with the build's topology and the given options", async () => {
    const { start } = entry();
    const transport = new EmbeddedBroker();
    const run = await start(["a"], {
      transport,
      sources: [{ topic: "in", records: [{ id: "m1", value: { id: "m1", n: 1 } }] }],
    });
    await vi.waitFor(async () => expect(await readTopic(transport, "a.out")).toHaveLength(1));
    expect(run.progress().workers.map((w) => w.id)).toEqual(["a.route"]);
    // The build's topology made every topic, also those of workers not started.
    expect((await transport.describeTopics(["b.mid", "b.out"])).size).toBe(2);
    await run.stop();
    await transport.close();
  });
});

describe("serve", () => {
  afterEach(() => {
    process.exitCode = undefined;
    vi.restoreAllMocks();
  });

  it("runs the workers --only names until stopped, then closes the transport", async () => {
    const { serve, loaded } = entry();
    const transport = new EmbeddedBroker();
    const close = vi.spyOn(transport, "close");
    const controller = new AbortController();
    const served = serve(["--only", "b"], {
      transport,
      signal: controller.signal,
      sources: [{ topic: "a.out", records: [{ id: "m1", value: { id: "m1", n: 1 } }] }],
    });
    await vi.waitFor(async () => expect(await readTopic(transport, "b.out")).toHaveLength(1));
    expect(loaded).toEqual(["b.first", "b.second"]);
    expect(close).not.toHaveBeenCalled();
    controller.abort();
    await served;
    expect(close).toHaveBeenCalledOnce();
    expect(process.exitCode).toBeUndefined();
  });

  it("reports an unknown name on stderr with exit code 1, before connecting", async () => {
    const { serve, loaded } = entry();
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const before = process.env.FLOWC_BROKERS;
    delete process.env.FLOWC_BROKERS; // connecting would fail with another message
    try {
      await serve(["--only", "nope"]);
    } finally {
      if (before !== undefined) process.env.FLOWC_BROKERS = before;
    }
    expect(error).toHaveBeenCalledWith("unknown worker or pipeline 'nope'; known: a, b, a.route, b.first, b.second");
    expect(process.exitCode).toBe(1);
    expect(loaded).toEqual([]);
  });

  it("takes Kafka from the environment: without FLOWC_BROKERS it says so", async () => {
    const { serve } = entry();
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const before = process.env.FLOWC_BROKERS;
    delete process.env.FLOWC_BROKERS;
    try {
      await serve([]);
    } finally {
      if (before !== undefined) process.env.FLOWC_BROKERS = before;
    }
    expect(error).toHaveBeenCalledWith(expect.stringContaining("FLOWC_BROKERS is not set"));
    expect(process.exitCode).toBe(1);
  });

  it("leaves no signal handlers behind", async () => {
    const { serve } = entry();
    const [int, term] = [process.listenerCount("SIGINT"), process.listenerCount("SIGTERM")];
    const controller = new AbortController();
    controller.abort();
    await serve([], { transport: new EmbeddedBroker(), signal: controller.signal });
    expect([process.listenerCount("SIGINT"), process.listenerCount("SIGTERM")]).toEqual([int, term]);
  });
});

describe("readTopology", () => {
  it("reads topology.json, and refuses a version it does not know", () => {
    const file = path.join(tmp, "topology.json");
    writeFileSync(file, JSON.stringify({ version: 1, topics: [], workers: [] }));
    expect(readTopology(pathToFileURL(file))).toEqual({ version: 1, topics: [], workers: [] });
    writeFileSync(file, JSON.stringify({ version: 2, topics: [], workers: [] }));
    expect(() => readTopology(file)).toThrow(/topology version 2 is not 1; rebuild/);
  });
});

describe("isMainModule", () => {
  it("is true for the program node was started with, also through a symbolic link", () => {
    const file = path.join(tmp, "index.js");
    writeFileSync(file, "");
    const link = path.join(tmp, "link.js");
    symlinkSync(file, link);
    const url = pathToFileURL(file).href;
    expect(isMainModule(url, file)).toBe(true);
    expect(isMainModule(url, link)).toBe(true);
    expect(isMainModule(url, path.join(tmp, "other.js"))).toBe(false);
    expect(isMainModule(url, undefined)).toBe(false);
  });
});

describe("an entry module run as a program", () => {
  // The generated shape, on the embedded broker instead of Kafka.
  const module = path.join(tmp, "program.mts");
  const runtime = pathToFileURL(path.join(root, "runtime/index.ts")).href;
  writeFileSync(
    module,
    `import { defineEntry, defineWorker, emit, EmbeddedBroker, isMainModule, planTopology } from ${JSON.stringify(runtime)};
const decode = (raw: unknown) => ({ ok: true as const, value: raw });
const worker = defineWorker({ id: "p.route", input: { topic: "in", decode }, route: emit("out") });
export const workers = { "p.route": async () => ({ default: worker }) };
export const pipelines = { p: ["p.route" as const] };
export const topology = planTopology([worker]);
export const { select, load, start, serve } = defineEntry({ workers, pipelines, topology });
if (isMainModule(import.meta.url)) {
  let started = false;
  const onProgress = () => {
    if (!started) console.log("running");
    started = true;
  };
  void serve(process.argv.slice(2), { transport: new EmbeddedBroker(), onProgress, progressIntervalMs: 20 }).then(() => console.log("stopped"));
}
`,
  );

  it("stops gracefully on SIGTERM and exits 0", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", module, "--only", "p"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout === "running\n") child.kill("SIGTERM");
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(stderr).toBe("");
    expect(stdout).toBe("running\nstopped\n");
    expect(code).toBe(0);
  }, 30_000);

  it("exits 1 with the reason for an unknown --only name", async () => {
    const result = await promisify(execFile)(process.execPath, ["--import", "tsx", module, "--only", "q"], { cwd: root }).catch((e: { code: number; stdout: string; stderr: string }) => e);
    expect(result).toMatchObject({ code: 1, stdout: "stopped\n", stderr: "unknown worker or pipeline 'q'; known: p, p.route\n" });
  }, 30_000);

  it("does nothing when imported", async () => {
    const script = `const m = await import(${JSON.stringify(pathToFileURL(module).href)}); console.log(Object.keys(m).sort().join(","));`;
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: root });
    expect(stdout).toBe("load,pipelines,select,serve,start,topology,workers\n");
  }, 30_000);
});
