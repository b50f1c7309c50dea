/**
 * Input for `flowc run`: JSON Lines files fed into source topics. Each line is
 * sent as it is (a line that is not JSON still goes in, and the worker sends it
 * to the dead-letter topic with the reason); the record key comes from the
 * topic's declared key field when the line parses.
 */
import { createReadStream, existsSync, statSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import type { SourceFeed, SourceRecord } from "../../runtime/index.js";
import { UsageError } from "../command.js";

export interface InputFile {
  readonly topic: string;
  readonly file: string;
}

/**
 * `--input photos=data.jsonl` names the topic; a bare `--input data.jsonl` is for the one
 * source topic. Without --input, each source topic reads `data/<topic>.jsonl` beside the
 * .flow file when it exists.
 */
export function resolveInputs(specs: readonly string[], sourceTopics: readonly string[], flowFile: string, cwd: string): InputFile[] {
  const inputs: InputFile[] = [];
  for (const spec of specs) {
    const eq = spec.indexOf("=");
    let topic: string;
    let file: string;
    if (eq > 0 && !existsSync(path.resolve(cwd, spec))) {
      topic = spec.slice(0, eq);
      file = spec.slice(eq + 1);
      if (!sourceTopics.includes(topic)) {
        throw new UsageError(`'${topic}' is not a source topic of this pipeline; source topics: ${sourceTopics.join(", ") || "none"}`);
      }
    } else {
      if (sourceTopics.length !== 1) {
        throw new UsageError(`this program reads ${sourceTopics.length} source topics (${sourceTopics.join(", ")}): name one, e.g. --input ${sourceTopics[0]}=${spec}`);
      }
      topic = sourceTopics[0];
      file = spec;
    }
    inputs.push({ topic, file: checkReadable(path.resolve(cwd, file)) });
  }
  if (specs.length === 0) {
    for (const topic of sourceTopics) {
      const candidate = path.join(path.dirname(flowFile), "data", `${topic}.jsonl`);
      if (existsSync(candidate)) inputs.push({ topic, file: candidate });
    }
  }
  return inputs;
}

function checkReadable(file: string): string {
  let stat;
  try {
    stat = statSync(file);
  } catch {
    throw new UsageError(`cannot read input ${file}: no such file`);
  }
  if (stat.isDirectory()) throw new UsageError(`cannot read input ${file}: it is a directory`);
  return file;
}

/** Reads the value at a key path such as ".user.id" from a parsed line. */
function keyOf(value: unknown, keyPath: readonly string[]): string | null {
  let current: unknown = value;
  for (const segment of keyPath) {
    if (current === null || typeof current !== "object") return null;
    current = (current as Record<string, unknown>)[segment];
  }
  return typeof current === "string" || typeof current === "number" || typeof current === "boolean" ? String(current) : null;
}

/** Streams a JSONL file lazily: a 10 GB input never sits in memory. Blank lines are skipped. */
export function feedFromFile(input: InputFile, keyPath: readonly string[] | undefined, onLine?: () => void): SourceFeed {
  async function* records(): AsyncGenerator<SourceRecord> {
    const lines = createInterface({ input: createReadStream(input.file, { encoding: "utf8" }), crlfDelay: Infinity });
    for await (const line of lines) {
      if (line.trim() === "") continue;
      onLine?.();
      let key: string | null = null;
      if (keyPath !== undefined && keyPath.length > 0) {
        try {
          key = keyOf(JSON.parse(line), keyPath);
        } catch {
          key = null; // malformed: the worker dead-letters it with the reason
        }
      }
      yield { raw: line, key };
    }
  }
  return { topic: input.topic, records: records() };
}
