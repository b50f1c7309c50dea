import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { build, defaultOutDir } from "../../compiler/emit/build.js";
import { compareBuild, writeBuild } from "../../compiler/emit/index.js";
import { displayPath } from "../../compiler/program.js";
import { renderDiagnostics, summarize } from "../../compiler/render.js";
import { EXIT_OK, EXIT_PROGRAM_ERRORS, EXIT_USAGE, UsageError, type Command } from "../command.js";

/**
 * `flowc build <files> [--out <dir>] [--check]`. The files build as one program
 * (with what they import) into one directory: by default `gen/` beside the first
 * file. `--check` writes nothing and exits 1 when the directory differs.
 */
const buildCommand: Command = {
  name: "build",
  summary: "compile to TypeScript worker modules and topology.json",
  usage: "flowc build <file.flow>... [--out <dir>] [--check] [--no-handler-check] [--quiet]",
  async run({ args, cwd, stdout, stderr }) {
    const { values, positionals } = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        out: { type: "string", short: "o" },
        check: { type: "boolean" },
        "no-handler-check": { type: "boolean" },
        quiet: { type: "boolean", short: "q" },
        color: { type: "boolean" },
      },
    });
    if (positionals.length === 0) throw new UsageError("no files given");
    const roots = positionals.map((f) => path.resolve(cwd, f));
    for (const root of roots) {
      if (!fs.existsSync(root)) {
        stderr.write(`flowc build: cannot read ${displayPath(root, cwd)}: no such file\n`);
        return EXIT_USAGE;
      }
    }
    const outDir = values.out !== undefined ? path.resolve(cwd, values.out) : defaultOutDir(roots);
    const result = await build(roots, { outDir, checkHandlers: values["no-handler-check"] !== true, cwd });
    const color = values.color ?? (stdout.isTTY === true && !process.env.NO_COLOR);
    if (result.diagnostics.length > 0) {
      stdout.write(renderDiagnostics(result.diagnostics, result.program.sourceOf, { color, cwd }) + "\n\n");
    }
    if (result.hasErrors) {
      stdout.write(`flowc build: ${summarize(result.diagnostics)}; nothing written\n`);
      return EXIT_PROGRAM_ERRORS;
    }
    const shownOut = displayPath(outDir, cwd);
    if (values.check) {
      const diff = compareBuild(outDir, result.files);
      const problems = diff.stale.length + diff.missing.length + diff.extra.length;
      if (problems === 0) {
        if (!values.quiet) stdout.write(`flowc build --check: ${shownOut} is up to date (${result.files.size} files)\n`);
        return EXIT_OK;
      }
      const lines = [
        `flowc build --check: ${shownOut} is not what flowc build would write:`,
        ...diff.stale.map((f) => `  stale    ${f}`),
        ...diff.missing.map((f) => `  missing  ${f}`),
        ...diff.extra.map((f) => `  extra    ${f}`),
        `run: flowc build ${positionals.join(" ")}${values.out !== undefined ? ` --out ${values.out}` : ""}`,
      ];
      stdout.write(lines.join("\n") + "\n");
      return EXIT_PROGRAM_ERRORS;
    }
    const written = writeBuild(outDir, result.files);
    if (!values.quiet) {
      const graph = result.graph!;
      const parts = [`${written.written.length} written`, `${written.unchanged.length} unchanged`, ...(written.removed.length > 0 ? [`${written.removed.length} removed`] : [])];
      stdout.write(
        `flowc build: ${plural(graph.pipelines.length, "pipeline")}, ${plural(graph.workers.length, "worker")}, ${plural(graph.topics.length, "topic")} -> ${shownOut} (${parts.join(", ")})\n`,
      );
    }
    return EXIT_OK;
  },
};

export default buildCommand;

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}
