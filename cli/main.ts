/**
 * flowc's command-line entry. Each command lives in cli/commands/<name>.ts and
 * is loaded only when used, so `flowc check` does not pay for the runtime.
 */
import { parseArgs } from "node:util";
import { EXIT_USAGE, UsageError, type Command, type CommandContext } from "./command.js";

// A computed specifier keeps each command out of the others' type-checking and start-up.
const loadCommand = (name: string): Promise<{ default: Command }> => import(`./commands/${name}.js`);

const commands: Record<string, { summary: string; load: () => Promise<{ default: Command }> }> = {
  check: { summary: "parse and type-check .flow files", load: () => loadCommand("check") },
  fmt: { summary: "format .flow files (--check to only verify)", load: () => loadCommand("fmt") },
  build: { summary: "compile to TypeScript worker modules and topology.json", load: () => loadCommand("build") },
  topics: { summary: "print the topic plan (apply it to Kafka with `topics apply`)", load: () => loadCommand("topics") },
  graph: { summary: "draw the pipeline DAG as svg, dot or mermaid", load: () => loadCommand("graph") },
  run: { summary: "run a pipeline on the embedded broker", load: () => loadCommand("run") },
  dlq: { summary: "list and replay dead letters", load: () => loadCommand("dlq") },
  lsp: { summary: "start the language server on stdio", load: () => loadCommand("lsp") },
};

function help(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return [
    "flowc: compile .flow pipelines to TypeScript workers on Kafka",
    "",
    "usage: flowc <command> [options]",
    "",
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    "",
    "Run `flowc <command> --help` for a command's options.",
  ].join("\n");
}

export async function main(argv: readonly string[], io: Partial<CommandContext> = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const [name, ...args] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    stdout.write(help() + "\n");
    return name === undefined ? EXIT_USAGE : 0;
  }
  if (name === "--version" || name === "-v") {
    const { createRequire } = await import("node:module");
    stdout.write(`${(createRequire(import.meta.url)("../../package.json") as { version: string }).version}\n`);
    return 0;
  }
  const entry = commands[name];
  if (entry === undefined) {
    stderr.write(`flowc: unknown command '${name}'\n\n${help()}\n`);
    return EXIT_USAGE;
  }
  let command: Command;
  try {
    command = (await entry.load()).default;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND" && String((error as Error).message).includes(`commands/${name}.js`)) {
      stderr.write(`flowc: '${name}' is not available in this build\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
  if (args.includes("--help") || args.includes("-h")) {
    stdout.write(`${command.summary}\n\nusage: ${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run({ args, cwd: io.cwd ?? process.cwd(), stdout, stderr });
  } catch (error) {
    if (error instanceof UsageError || (error as NodeJS.ErrnoException).code?.startsWith("ERR_PARSE_ARGS")) {
      stderr.write(`flowc ${name}: ${(error as Error).message}\nusage: ${command.usage}\n`);
      return EXIT_USAGE;
    }
    // Our own bug, not the user's: say so plainly, with the stack for the report.
    stderr.write(`flowc ${name}: internal error: ${(error as Error).message}\nplease report this with the input that caused it\n${(error as Error).stack ?? ""}\n`);
    return 70;
  }
}

export { parseArgs };
