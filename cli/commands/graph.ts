import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { build } from "../../compiler/emit/build.js";
import { toDot, toMermaid, toSvg } from "../../compiler/graph.js";
import { displayPath } from "../../compiler/program.js";
import { renderDiagnostics, summarize } from "../../compiler/render.js";
import { EXIT_OK, EXIT_PROGRAM_ERRORS, EXIT_USAGE, UsageError, type Command } from "../command.js";

const FORMATS = ["svg", "dot", "mermaid"] as const;

/** `flowc graph <file.flow>... [--format svg|dot|mermaid] [-o file]`: draws the stage graph. */
const graph: Command = {
  name: "graph",
  summary: "draw the pipeline DAG as svg, dot or mermaid",
  usage: "flowc graph <file.flow>... [--format svg|dot|mermaid] [--out <file>] [--no-failures]",
  async run({ args, cwd, stdout, stderr }) {
    const { values, positionals } = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        format: { type: "string", short: "f" },
        out: { type: "string", short: "o" },
        "no-failures": { type: "boolean" },
      },
    });
    if (positionals.length === 0) throw new UsageError("no files given");
    const out = values.out !== undefined ? path.resolve(cwd, values.out) : undefined;
    const format = values.format ?? (out !== undefined ? path.extname(out).slice(1).replace(/^(gv|mmd|md)$/, (e) => (e === "gv" ? "dot" : "mermaid")) : "svg");
    if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`unknown format '${format}': use svg, dot or mermaid`);
    const roots = positionals.map((f) => path.resolve(cwd, f));
    for (const root of roots) {
      if (!fs.existsSync(root)) {
        stderr.write(`flowc graph: cannot read ${displayPath(root, cwd)}: no such file\n`);
        return EXIT_USAGE;
      }
    }
    const result = await build(roots, { outDir: cwd, planOnly: true, cwd });
    const errors = result.diagnostics.filter((d) => d.severity === "error");
    if (errors.length > 0 || result.graph === undefined) {
      stdout.write(`${renderDiagnostics(errors, result.program.sourceOf, { cwd })}\n\nflowc graph: ${summarize(result.diagnostics)}\n`);
      return EXIT_PROGRAM_ERRORS;
    }
    const options = { failures: values["no-failures"] !== true };
    const text = format === "dot" ? toDot(result.graph, options) : format === "mermaid" ? toMermaid(result.graph, options) : await toSvg(result.graph, options);
    if (out !== undefined) {
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, text);
      stderr.write(`flowc graph: wrote ${displayPath(out, cwd)}\n`);
    } else stdout.write(text);
    return EXIT_OK;
  },
};

export default graph;
