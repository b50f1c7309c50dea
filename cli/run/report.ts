/**
 * What `flowc run` shows: live progress per stage (redrawn in place on a
 * terminal, plain lines otherwise) and the final accounting table.
 */
import { formatTable } from "../table.js";
import type { Progress, RunSummary, StageReport } from "../../runtime/index.js";

const n = (value: number) => value.toLocaleString("en-US");

const NUMERIC = new Set([2, 3, 4, 5, 6, 7, 8]);

function stageRows(stages: readonly StageReport[]): string[][] {
  return [...stages]
    .sort((a, b) => a.stage.localeCompare(b.stage))
    .map((s) => [s.stage, s.kind, n(s.in), n(s.out), n(s.dropped), n(s.retried), n(s.dead), n(s.inflight), n(s.duplicates)]);
}

export function stageTable(stages: readonly StageReport[]): string[] {
  return formatTable(["stage", "kind", "in", "out", "dropped", "retried", "dead", "in flight", "duplicates"], stageRows(stages), NUMERIC);
}

export function progressLines(progress: Progress): string[] {
  const seconds = (progress.elapsedMs / 1000).toFixed(1);
  const fed = progress.sources.map((s) => `${s.topic} ${n(s.produced)}${s.done ? " (all read)" : ""}`).join(", ");
  const written = progress.sinks.map((s) => `${s.topic} ${n(s.records)}`).join(", ");
  return [`${seconds}s  input: ${fed || "-"}  output: ${written || "-"}`, ...stageTable(progress.stages)];
}

/** Redraws the progress block in place on a terminal; prints a line every few seconds elsewhere. */
export class ProgressView {
  private drawn = 0;
  private lastPlain = 0;

  constructor(
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly tty: boolean,
  ) {}

  update(progress: Progress): void {
    if (this.tty) {
      const lines = progressLines(progress);
      const up = this.drawn > 0 ? `\u001b[${this.drawn}F` : "";
      this.out.write(up + lines.map((l) => `\u001b[2K${l}`).join("\n") + "\n");
      this.drawn = lines.length;
    } else if (progress.elapsedMs - this.lastPlain >= 2000) {
      this.lastPlain = progress.elapsedMs;
      const inflight = progress.stages.reduce((sum, s) => sum + s.inflight, 0);
      const fed = progress.sources.reduce((sum, s) => sum + s.produced, 0);
      const written = progress.sinks.reduce((sum, s) => sum + s.records, 0);
      this.out.write(`progress ${(progress.elapsedMs / 1000).toFixed(1)}s: ${n(fed)} in, ${n(written)} out, ${n(inflight)} in flight\n`);
    }
  }

  /** Clears the live block so the summary replaces it. */
  finish(): void {
    if (this.tty && this.drawn > 0) this.out.write(`\u001b[${this.drawn}F\u001b[0J`);
    this.drawn = 0;
  }
}

export function summaryText(summary: RunSummary, outputs: ReadonlyMap<string, string>, deadLetterFile?: string): string {
  const seconds = summary.durationMs / 1000;
  const fed = summary.sources.reduce((sum, s) => sum + s.produced, 0);
  const lines = [
    `${summary.status === "drained" ? "done" : "stopped"} in ${seconds.toFixed(2)}s: ${n(fed)} input messages (${n(Math.round(fed / Math.max(seconds, 0.001)))}/s) on the ${summary.transport} broker, ${summary.delivery} delivery`,
    "",
    ...stageTable(summary.stages),
    "",
  ];
  for (const sink of summary.sinks) {
    const file = outputs.get(sink.topic);
    lines.push(`output  ${sink.topic}: ${n(sink.records)} messages${file ? ` -> ${file}` : ""}`);
  }
  const dead = summary.deadLetters.filter((d) => d.records > 0);
  for (const d of dead) lines.push(`dead letters  ${d.topic}: ${n(d.records)}`);
  if (deadLetterFile !== undefined) lines.push(`dead letters with their reasons -> ${deadLetterFile}`);
  if (dead.length === 0) lines.push("dead letters  none");
  return lines.join("\n");
}
