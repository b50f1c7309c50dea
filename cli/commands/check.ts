import { parseArgs } from "node:util";
import path from "node:path";
import { createProgram, ParseCache } from "../../compiler/program.js";
import { diagnosticToJson, renderDiagnostics, summarize } from "../../compiler/render.js";
import { EXIT_OK, EXIT_PROGRAM_ERRORS, EXIT_USAGE, UsageError, type Command } from "../command.js";

/** Each file is checked as its own program (with what it imports), so unrelated files never clash. */
const check: Command = {
  name: "check",
  summary: "parse and type-check .flow files",
  usage: "flowc check <file.flow>... [--json] [--no-warnings]",
  async run({ args, cwd, stdout, stderr }) {
    const { values, positionals } = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: { json: { type: "boolean" }, "no-warnings": { type: "boolean" }, color: { type: "boolean" } },
    });
    if (positionals.length === 0) throw new UsageError("no files given");
    const cache = new ParseCache();
    const json: unknown[] = [];
    let errors = 0;
    let ioFailure = false;
    const color = values.color ?? (stdout.isTTY === true && !process.env.NO_COLOR);
    const rendered: string[] = [];
    const all = [];
    // Files that import each other are in each other's programs: report each finding once.
    const reported = new Set<string>();
    const checked = new Set<string>();
    for (const file of positionals) {
      const absolute = path.resolve(cwd, file);
      if (checked.has(absolute)) continue;
      checked.add(absolute);
      const program = createProgram([absolute], { cache });
      for (const [unreadable, reason] of program.unreadable) {
        if (program.roots.includes(unreadable)) {
          ioFailure = true;
          stderr.write(`flowc check: cannot read ${file}: ${reason}\n`);
        }
      }
      const list = program.diagnostics.filter((d) => {
        if (values["no-warnings"] && d.severity !== "error") return false;
        const key = `${d.file}\u0000${d.span.start}\u0000${d.span.end}\u0000${d.code}\u0000${d.message}`;
        if (reported.has(key)) return false;
        reported.add(key);
        return true;
      });
      all.push(...list);
      errors += list.filter((d) => d.severity === "error").length;
      if (values.json) json.push(...list.map((d) => diagnosticToJson(d, program.sourceOf(d.file), cwd)));
      else if (list.length > 0) rendered.push(renderDiagnostics(list, program.sourceOf, { color, cwd }));
    }
    if (values.json) stdout.write(JSON.stringify({ diagnostics: json }, null, 2) + "\n");
    else {
      if (rendered.length > 0) stdout.write(rendered.join("\n\n") + "\n\n");
      if (!ioFailure || all.length > 0) stdout.write(`${checked.size} file${checked.size === 1 ? "" : "s"} checked: ${summarize(all)}\n`);
    }
    if (ioFailure) return EXIT_USAGE;
    return errors > 0 ? EXIT_PROGRAM_ERRORS : EXIT_OK;
  },
};

export default check;
