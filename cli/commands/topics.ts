import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { build } from "../../compiler/emit/build.js";
import { kafkaTopicsCommands, topicSpecs, type TopicSpec } from "../../compiler/emit/topics.js";
import { displayPath } from "../../compiler/program.js";
import { renderDiagnostics, summarize } from "../../compiler/render.js";
import { EXIT_OK, EXIT_PROGRAM_ERRORS, EXIT_USAGE, UsageError, type Command, type CommandContext } from "../command.js";

/**
 * `flowc topics <file.flow>...` prints the topic plan and the equivalent
 * `kafka-topics.sh --create` commands.
 *
 * `flowc topics apply <file.flow>... --brokers <host:port>` creates the topics on
 * a live cluster. It lives in cli/commands/topics-apply.ts (added with the Kafka
 * transport) and receives the plan from here: its module's default export is
 * `(context, specs: TopicSpec[], brokers: string) => Promise<number>`.
 */
export type ApplyTopics = (context: CommandContext, specs: readonly TopicSpec[], brokers: string) => Promise<number>;

const topics: Command = {
  name: "topics",
  summary: "print the topic plan (apply it to Kafka with `topics apply`)",
  usage: "flowc topics <file.flow>... [--bootstrap-server <host:port>] [--replication <n>] [--json] | flowc topics apply <file.flow>... --brokers <host:port>",
  async run(context) {
    const { args, cwd, stdout, stderr } = context;
    const applying = args[0] === "apply";
    const { values, positionals } = parseArgs({
      args: applying ? [...args.slice(1)] : [...args],
      allowPositionals: true,
      options: {
        "bootstrap-server": { type: "string" },
        brokers: { type: "string" },
        replication: { type: "string" },
        json: { type: "boolean" },
      },
    });
    if (positionals.length === 0) throw new UsageError("no files given");
    const roots = positionals.map((f) => path.resolve(cwd, f));
    for (const root of roots) {
      if (!fs.existsSync(root)) {
        stderr.write(`flowc topics: cannot read ${displayPath(root, cwd)}: no such file\n`);
        return EXIT_USAGE;
      }
    }
    const replication = values.replication !== undefined ? Number(values.replication) : undefined;
    if (replication !== undefined && (!Number.isInteger(replication) || replication < 1)) throw new UsageError("--replication takes a whole number of at least 1");
    const result = await build(roots, { outDir: cwd, planOnly: true, cwd });
    const errors = result.diagnostics.filter((d) => d.severity === "error");
    if (errors.length > 0 || result.graph === undefined) {
      stdout.write(`${renderDiagnostics(errors, result.program.sourceOf, { cwd })}\n\nflowc topics: ${summarize(result.diagnostics)}\n`);
      return EXIT_PROGRAM_ERRORS;
    }
    const specs = topicSpecs(result.graph);

    if (applying) {
      const brokers = values.brokers ?? values["bootstrap-server"];
      if (brokers === undefined) throw new UsageError("topics apply needs --brokers <host:port>");
      let apply: ApplyTopics;
      try {
        // A computed specifier: the apply command ships with the Kafka transport.
        const name = "./topics-apply.js";
        apply = ((await import(name)) as { default: ApplyTopics }).default;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ERR_MODULE_NOT_FOUND") throw error;
        stderr.write("flowc topics apply: not available in this build; create the topics with the commands `flowc topics` prints\n");
        return EXIT_USAGE;
      }
      return apply(context, specs, brokers);
    }

    if (values.json) {
      stdout.write(`${JSON.stringify({ topics: specs.map((s) => ({ ...s, partitions: s.partitions ?? null, replication: s.replication ?? null, key: s.key ?? null, plannedFor: s.plannedFor ?? null })) }, null, 2)}\n`);
      return EXIT_OK;
    }
    const server = values["bootstrap-server"] ?? "localhost:9092";
    const header = ["role", "topic", "partitions", "replication", "key", "planned for"];
    const rows = specs.map((s) => [
      s.role,
      s.name,
      s.partitions !== undefined ? String(s.partitions) : "default",
      s.replication !== undefined ? String(s.replication) : replication !== undefined ? String(replication) : "default",
      s.key ?? "",
      s.plannedFor ?? "",
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
    const count = (role: string) => specs.filter((s) => s.role === role).length;
    const summary = ["source", "sink", "intermediate", "internal", "retry", "dead-letter", "state"].map((r) => `${count(r)} ${r}`).join(", ");
    const out = [
      `Topic plan for ${positionals.join(", ")}: ${specs.length} topics (${summary})`,
      "",
      line(header),
      line(widths.map((w) => "-".repeat(w))),
      ...rows.map(line),
      "",
      "# Create them (--if-not-exists makes this safe to rerun):",
      ...kafkaTopicsCommands(specs, server, replication !== undefined ? { replication } : {}),
      "",
    ];
    stdout.write(out.join("\n"));
    return EXIT_OK;
  },
};

export default topics;
