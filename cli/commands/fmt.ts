import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { FlowSyntaxError, formatFlow } from "../../compiler/format/index.js";
import { displayPath, nodeHost } from "../../compiler/program.js";
import { renderDiagnostics } from "../../compiler/render.js";
import { EXIT_OK, EXIT_PROGRAM_ERRORS, EXIT_USAGE, UsageError, type Command } from "../command.js";

/**
 * `flowc fmt <files>` rewrites files in canonical form and names the ones it
 * changed; `--check` only names the files that are not formatted (exit 1);
 * `--stdout` prints the formatted text instead of writing. A file with syntax
 * errors is never rewritten: its diagnostics are printed and the exit code is 1.
 * Files that cannot be read or written make the exit code 2.
 */
const fmt: Command = {
  name: "fmt",
  summary: "format .flow files (--check to only verify)",
  usage: "flowc fmt <file.flow>... [--check | --stdout] [--color]",
  async run({ args, cwd, stdout, stderr }) {
    const { values, positionals } = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: { check: { type: "boolean" }, stdout: { type: "boolean" }, color: { type: "boolean" } },
    });
    if (positionals.length === 0) throw new UsageError("no files given");
    if (values.check && values.stdout) throw new UsageError("--check and --stdout cannot be used together");
    // Diagnostics go to stderr, so colour follows stderr.
    const color = values.color ?? (stderr.isTTY === true && !process.env.NO_COLOR);

    const files = [...new Set(positionals.map((f) => path.resolve(cwd, f)))];
    let ioFailures = 0;
    let syntaxFailures = 0;
    let changed = 0;
    const unformatted: string[] = [];

    for (const file of files) {
      const shown = displayPath(file, cwd);
      const read = nodeHost.readFile(file);
      if ("error" in read) {
        stderr.write(`flowc fmt: cannot read ${shown}: ${read.error}\n`);
        ioFailures++;
        continue;
      }
      let formatted: string;
      try {
        formatted = await formatFlow(read.text, { filepath: file });
      } catch (error) {
        if (!(error instanceof FlowSyntaxError)) throw error;
        stderr.write(renderDiagnostics(error.diagnostics, () => error.source, { color, cwd }) + "\n\n");
        syntaxFailures++;
        continue;
      }
      if (values.stdout) {
        stdout.write(formatted);
        continue;
      }
      if (formatted === read.text) continue;
      if (values.check) {
        stdout.write(`${shown}\n`);
        unformatted.push(shown);
        continue;
      }
      const failure = writeFile(file, formatted);
      if (failure !== undefined) {
        stderr.write(`flowc fmt: cannot write ${shown}: ${failure}\n`);
        ioFailures++;
        continue;
      }
      stdout.write(`formatted ${shown}\n`);
      changed++;
    }

    const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
    if (syntaxFailures > 0) {
      stderr.write(`flowc fmt: ${plural(syntaxFailures, "file")} with syntax errors ${syntaxFailures === 1 ? "was" : "were"} not formatted\n`);
    }
    if (values.check) {
      if (unformatted.length > 0) stderr.write(`${plural(unformatted.length, "file")} not formatted; run \`flowc fmt\` to format ${unformatted.length === 1 ? "it" : "them"}\n`);
    } else if (!values.stdout) {
      const done = files.length - ioFailures - syntaxFailures;
      if (done > 0) stdout.write(`${plural(changed, "file")} formatted, ${done - changed} already formatted\n`);
    }
    if (ioFailures > 0) return EXIT_USAGE;
    if (syntaxFailures > 0 || unformatted.length > 0) return EXIT_PROGRAM_ERRORS;
    return EXIT_OK;
  },
};

/**
 * Replaces a file's content through a temporary file and a rename, so an
 * interrupted run never leaves a half-written file. Symbolic links are
 * followed (the link stays a link) and the file's mode is kept. Returns why
 * the write failed, if it did.
 */
function writeFile(file: string, text: string): string | undefined {
  let target = file;
  try {
    target = fs.realpathSync(file);
    const { mode } = fs.statSync(target);
    const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.fmt`);
    try {
      fs.writeFileSync(temporary, text, { mode });
      fs.renameSync(temporary, target);
      return undefined;
    } catch {
      try {
        fs.rmSync(temporary, { force: true });
      } catch {
        // Nothing was created.
      }
    }
    // A directory we may not create files in, but a file we may write: write in place.
    fs.writeFileSync(target, text);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "EPERM") return "permission denied";
    if (code === "EROFS") return "read-only file system";
    return (error as Error).message;
  }
}

export default fmt;
