/**
 * `flowc dlq list|replay`: dead letters, with the reason each message failed.
 *
 *   flowc dlq list out/photos/dead-letters.jsonl          a `flowc run` (embedded) result
 *   flowc dlq list examples/photos.flow --brokers host:9092  every dead-letter topic of the plan, on Kafka
 *   flowc dlq list --brokers host:9092 --topic renderPhotos.4k.render.dlq
 *   flowc dlq replay examples/photos.flow --brokers host:9092 --ref <topic/partition/offset>... | --id <id>... | --all
 *
 * Replay sends the chosen messages back to the topic they failed on, byte for byte, as a
 * fresh first attempt; dead letters stay where they are.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { build } from "../../compiler/emit/build.js";
import { renderDiagnostics } from "../../compiler/render.js";
import { listDeadLetters, replayDeadLetters, type DeadLetter, type Transport } from "../../runtime/index.js";
import { formatTable } from "../table.js";
import { EXIT_OK, EXIT_PROGRAM_ERRORS, EXIT_USAGE, UsageError, type Command } from "../command.js";

const USAGE = [
  "flowc dlq list <dead-letters.jsonl | file.flow --brokers <hosts>> [--topic <dlq-topic>]... [--json] [--limit n]",
  "       flowc dlq replay <file.flow> --brokers <hosts> [--topic <dlq-topic>]... (--ref <topic/partition/offset>... | --id <message-id>... | --all)",
].join("\n");

const truncate = (text: string, width: number) => (text.length > width ? `${text.slice(0, width - 3)}...` : text);

function table(letters: readonly DeadLetter[]): string {
  const rows = letters.map((d) => [
    d.ref,
    d.stage,
    d.reason,
    String(d.attempts),
    `${d.original.topic}/${d.original.partition}/${d.original.offset}`,
    truncate(d.error.replace(/\s+/g, " "), 60),
  ]);
  return formatTable(["dead letter", "stage", "reason", "attempts", "failed on", "error"], rows).join("\n");
}

/** The dead-letter topics of a program's plan. */
async function planDeadLetterTopics(flowFile: string, cwd: string, stderr: NodeJS.WritableStream): Promise<string[] | undefined> {
  const result = await build([flowFile], { outDir: path.join(cwd, ".flowc-plan"), planOnly: true, checkHandlers: false, cwd });
  if (result.hasErrors || result.graph === undefined) {
    stderr.write(renderDiagnostics(result.diagnostics, result.program.sourceOf, { cwd }) + "\n");
    return undefined;
  }
  return result.graph.topics.filter((t) => t.role === "dead-letter").map((t) => t.name);
}

async function kafka(brokers: string): Promise<Transport> {
  const { createKafkaTransport } = await import("../../runtime/kafka/index.js");
  // kafkajs logs missing topics at ERROR while it retries; the command reports them itself.
  return createKafkaTransport({ brokers, clientId: "flowc-dlq", logLevel: "nothing" });
}

function readDeadLetterFile(file: string): DeadLetter[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message}`);
  }
  const letters: DeadLetter[] = [];
  text.split("\n").forEach((line, index) => {
    if (line.trim() === "") return;
    try {
      const parsed = JSON.parse(line) as DeadLetter;
      if (typeof parsed.ref !== "string" || typeof parsed.reason !== "string") throw new Error("not a dead letter");
      letters.push(parsed);
    } catch {
      throw new UsageError(`${file}:${index + 1}: not a dead-letter record (expected the JSON lines \`flowc run\` writes)`);
    }
  });
  return letters;
}

const dlq: Command = {
  name: "dlq",
  summary: "list and replay dead letters",
  usage: USAGE,
  async run({ args, cwd, stdout, stderr }) {
    const { values, positionals } = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        brokers: { type: "string" },
        topic: { type: "string", multiple: true },
        ref: { type: "string", multiple: true },
        id: { type: "string", multiple: true },
        all: { type: "boolean" },
        json: { type: "boolean" },
        limit: { type: "string" },
      },
    });
    const [action, target] = positionals;
    if (action !== "list" && action !== "replay") throw new UsageError(action === undefined ? "say list or replay" : `unknown action '${action}'`);
    const limit = values.limit === undefined ? undefined : Number(values.limit);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new UsageError("--limit takes a whole number of at least 1");
    const show = (letters: DeadLetter[]) => {
      if (values.json) stdout.write(letters.map((l) => JSON.stringify(l)).join("\n") + (letters.length ? "\n" : ""));
      else stdout.write(letters.length === 0 ? "no dead letters\n" : `${table(letters)}\n\n${letters.length} dead letter${letters.length === 1 ? "" : "s"}\n`);
    };

    // A `flowc run` result: the embedded broker ended with its process, the file remains.
    if (target !== undefined && target.endsWith(".jsonl")) {
      if (action === "replay") {
        throw new UsageError("replay needs a broker; for an embedded run, feed the values back with `flowc run --input` (`flowc dlq list <file> --json` shows them)");
      }
      const letters = readDeadLetterFile(path.resolve(cwd, target));
      show(limit === undefined ? letters : letters.slice(0, limit));
      return EXIT_OK;
    }

    if (values.brokers === undefined) throw new UsageError("give --brokers <host:port>, or the dead-letters.jsonl that `flowc run` wrote");
    let topics = values.topic ?? [];
    if (topics.length === 0) {
      if (target === undefined || !target.endsWith(".flow")) throw new UsageError("name the program (<file.flow>) or the topics (--topic)");
      const planned = await planDeadLetterTopics(path.resolve(cwd, target), cwd, stderr);
      if (planned === undefined) return EXIT_PROGRAM_ERRORS;
      topics = planned;
    }
    const transport = await kafka(values.brokers);
    try {
      const existing = await transport.describeTopics(topics);
      const present = topics.filter((t) => existing.has(t));
      for (const missing of topics.filter((t) => !existing.has(t))) stderr.write(`flowc dlq: topic '${missing}' does not exist (yet): skipped\n`);
      if (action === "list") {
        const letters: DeadLetter[] = [];
        for (const topic of present) letters.push(...(await listDeadLetters(transport, topic, limit === undefined ? {} : { limit })));
        show(limit === undefined ? letters : letters.slice(0, limit));
        return EXIT_OK;
      }
      if (!values.all && values.ref === undefined && values.id === undefined) throw new UsageError("choose what to replay: --ref, --id or --all");
      let total = 0;
      for (const topic of present) {
        const { replayed } = await replayDeadLetters(transport, topic, {
          ...(values.ref ? { refs: values.ref } : {}),
          ...(values.id ? { ids: values.id } : {}),
        });
        for (const d of replayed) stdout.write(`replayed ${d.ref} -> ${d.original.topic}/${d.original.partition}\n`);
        total += replayed.length;
      }
      stdout.write(`${total} dead letter${total === 1 ? "" : "s"} replayed\n`);
      return total === 0 && !values.all ? EXIT_USAGE : EXIT_OK;
    } finally {
      await transport.close();
    }
  },
};

export default dlq;
