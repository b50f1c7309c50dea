/**
 * `flowc run <file.flow>`: build the program exactly as `flowc build` does, load
 * the very worker modules it wrote (user handlers through tsx), and run the whole
 * DAG in this process on the embedded broker. Sink topics are written to JSON
 * Lines files, dead letters too; the accounting table ends the run.
 */
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import path from "node:path";
import { once } from "node:events";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { build, defaultOutDir } from "../../compiler/emit/build.js";
import { writeBuild, ENTRY_MODULE } from "../../compiler/emit/index.js";
import { renderDiagnostics, summarize } from "../../compiler/render.js";
import { displayPath } from "../../compiler/program.js";
import { listDeadLetters, startPipeline, type ConsumedRecord, type RunSummary, type Topology, type Worker } from "../../runtime/index.js";
import { EXIT_OK, EXIT_PROGRAM_ERRORS, EXIT_USAGE, UsageError, type Command } from "../command.js";
import { feedFromFile, resolveInputs } from "../run/input.js";
import { ProgressView, summaryText } from "../run/report.js";

interface GeneratedEntry {
  readonly topology: Topology;
  load(only?: readonly string[]): Promise<Worker[]>;
}

/** tsx compiles the generated TypeScript and the user's handlers on import; registered once. */
let tsxRegistered = false;
async function importTypeScript(file: string): Promise<unknown> {
  if (!tsxRegistered) {
    const { register } = await import("tsx/esm/api");
    register();
    tsxRegistered = true;
  }
  return import(pathToFileURL(file).href);
}

/** Writes one topic's records as JSON Lines, waiting when the disk is slower than the run. */
class JsonlWriter {
  private readonly stream: WriteStream;
  constructor(readonly file: string) {
    mkdirSync(path.dirname(file), { recursive: true });
    this.stream = createWriteStream(file);
  }
  async write(line: string): Promise<void> {
    if (!this.stream.write(line + "\n")) await once(this.stream, "drain");
  }
  async close(): Promise<void> {
    this.stream.end();
    await once(this.stream, "finish");
  }
}

const run: Command = {
  name: "run",
  summary: "run a pipeline on the embedded broker",
  usage:
    "flowc run <file.flow> [--input <topic>=<data.jsonl>]... [--out <dir>] [--build-dir <dir>] [--only <pipeline>]... [--delivery at-least-once|exactly-once] [--quiet] [--log-level error|warn|info|debug]",
  async run({ args, cwd, stdout, stderr }) {
    const { values, positionals } = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        input: { type: "string", multiple: true, short: "i" },
        out: { type: "string", short: "o" },
        "build-dir": { type: "string" },
        only: { type: "string", multiple: true },
        delivery: { type: "string" },
        quiet: { type: "boolean", short: "q" },
        "log-level": { type: "string" },
      },
    });
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? "no .flow file given" : "run takes one .flow file (it may import others)");
    const delivery = values.delivery ?? "auto";
    if (!["auto", "at-least-once", "exactly-once"].includes(delivery)) throw new UsageError(`unknown delivery mode '${delivery}'`);
    const logLevel = values["log-level"] ?? "error";
    if (!["silent", "error", "warn", "info", "debug"].includes(logLevel)) throw new UsageError(`unknown log level '${logLevel}'`);
    const flowFile = path.resolve(cwd, positionals[0]);
    const name = path.basename(flowFile, ".flow");
    const buildDir = values["build-dir"] ? path.resolve(cwd, values["build-dir"]) : defaultOutDir([flowFile]);
    const outDir = path.resolve(cwd, values.out ?? path.join("out", name));
    const tty = stdout.isTTY === true && !values.quiet;
    const note = (line: string) => {
      if (!values.quiet) stderr.write(line + "\n");
    };

    // 1. Build, exactly as `flowc build` would.
    const result = await build([flowFile], { outDir: buildDir, cwd });
    const unreadable = result.program.unreadable.get(flowFile);
    if (unreadable !== undefined) {
      stderr.write(`flowc run: cannot read ${positionals[0]}: ${unreadable}\n`);
      return EXIT_USAGE;
    }
    if (result.diagnostics.length > 0) {
      stderr.write(renderDiagnostics(result.diagnostics, result.program.sourceOf, { color: tty, cwd }) + "\n\n");
    }
    if (result.hasErrors) {
      stderr.write(`flowc run: ${summarize(result.diagnostics)}; nothing was run\n`);
      return EXIT_PROGRAM_ERRORS;
    }
    // Generated workers import "flowc/runtime": it must resolve from where they are written.
    try {
      createRequire(path.join(buildDir, ENTRY_MODULE)).resolve("flowc/runtime");
    } catch {
      throw new UsageError(`generated code in ${displayPath(buildDir, cwd)} cannot import flowc/runtime: build inside a project that depends on flowc`);
    }
    const written = writeBuild(buildDir, result.files);
    note(`built ${displayPath(buildDir, cwd)} (${written.written.length} written, ${written.unchanged.length} unchanged)`);

    // 2. Load the generated workers and their topic plan.
    const entry = (await importTypeScript(path.join(buildDir, ENTRY_MODULE))) as GeneratedEntry;
    const workers = await entry.load(values.only ?? []);
    const topology = entry.topology;
    const sourceTopics = topology.topics.filter((t) => t.role === "source").map((t) => t.name);
    const inputs = resolveInputs(values.input ?? [], sourceTopics, flowFile, cwd);
    if (inputs.length === 0) {
      throw new UsageError(
        `no input: give --input ${sourceTopics[0] ?? "<topic>"}=<data.jsonl> (or put data/${sourceTopics[0] ?? "<topic>"}.jsonl beside the .flow file)`,
      );
    }
    for (const input of inputs) note(`input ${input.topic} <- ${displayPath(input.file, cwd)}`);

    // 3. Run on the embedded broker until everything is drained (or Ctrl-C).
    const sinks = new Map<string, JsonlWriter>();
    const outputs = new Map<string, string>();
    for (const topic of topology.topics.filter((t) => t.role === "sink")) {
      const writer = new JsonlWriter(path.join(outDir, `${topic.name}.jsonl`));
      sinks.set(topic.name, writer);
      outputs.set(topic.name, displayPath(writer.file, cwd));
    }
    const controller = new AbortController();
    const interrupt = () => {
      if (controller.signal.aborted) process.exit(130); // a second Ctrl-C: stop now
      note("\nstopping: finishing what is in flight (Ctrl-C again to quit at once)");
      controller.abort();
    };
    process.on("SIGINT", interrupt);
    process.on("SIGTERM", interrupt);
    const view = new ProgressView(stdout, tty);
    const keyOf = new Map(topology.topics.map((t) => [t.name, t.key?.replace(/^\./, "").split(".")] as const));
    let summary: RunSummary;
    const pipelineRun = startPipeline({
      workers,
      topology,
      delivery: delivery as "auto",
      sources: inputs.map((input) => feedFromFile(input, keyOf.get(input.topic))),
      sinks: {
        topics: [...sinks.keys()],
        onRecord: (topic: string, record: ConsumedRecord) => sinks.get(topic)?.write(record.value ?? "null"),
      },
      until: "drained",
      signal: controller.signal,
      onProgress: values.quiet ? undefined : (progress) => view.update(progress),
      progressIntervalMs: tty ? 200 : 1000,
      // The summary reports dead letters and retries; per-message logs are opt-in.
      logLevel: logLevel as "error",
    });
    try {
      summary = await pipelineRun.done;
    } finally {
      process.off("SIGINT", interrupt);
      process.off("SIGTERM", interrupt);
      view.finish();
      await Promise.all([...sinks.values()].map((w) => w.close()));
    }

    // 4. Dead letters leave the process as a file: the embedded broker ends with it.
    let deadLetterFile: string | undefined;
    const deadTopics = summary.deadLetters.filter((d) => d.records > 0);
    if (deadTopics.length > 0) {
      const writer = new JsonlWriter(path.join(outDir, "dead-letters.jsonl"));
      for (const { topic } of deadTopics) {
        for (const letter of await listDeadLetters(pipelineRun.transport, topic)) await writer.write(JSON.stringify(letter));
      }
      await writer.close();
      deadLetterFile = displayPath(writer.file, cwd);
    }
    await pipelineRun.transport.close();
    stdout.write(summaryText(summary, outputs, deadLetterFile) + "\n");
    return EXIT_OK;
  },
};

export default run;
