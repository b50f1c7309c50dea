/**
 * Handler diagnostics (FLOW4xxx, as `flowc build` reports them) in the editor:
 * checked in a worker thread a moment after the edits stop, for programs
 * without other errors, and shown while the .flow files are as they were
 * when checked. A change to a TypeScript module re-checks the open programs.
 */
import { Worker } from "node:worker_threads";
import type { Diagnostic } from "../compiler/diagnostics.js";
import type { Program } from "../compiler/program.js";
import type { HandlerJob, HandlerJobResult } from "./handler-worker.js";

interface Result {
  /** The text of each .flow file when checked. */
  readonly texts: ReadonlyMap<string, string>;
  readonly diagnostics: readonly Diagnostic[];
}

export class HandlerChecks {
  private worker: Worker | undefined;
  private unavailable: string | undefined;
  private readonly results = new Map<string, Result>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly waiting = new Map<string, Program>();
  private running: { id: number; root: string; texts: Map<string, string> } | undefined;
  private nextId = 0;
  private failures = 0;

  constructor(
    /** Called when a root's handler diagnostics changed. */
    private readonly changed: (root: string) => void,
    private readonly log: (message: string) => void,
    private readonly delayMs = 400,
  ) {}

  /** Checks the program's handlers once the edits stop for a moment. */
  schedule(program: Program): void {
    const root = program.roots[0];
    if (this.unavailable !== undefined || root === undefined) return;
    clearTimeout(this.timers.get(root));
    this.timers.delete(root);
    if (program.hasErrors || program.symbols.handlers.size === 0) {
      // build checks handlers only for programs without errors; nothing to show until then.
      if (this.results.delete(root)) this.changed(root);
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(root);
      this.waiting.set(root, program);
      this.pump();
    }, this.delayMs);
    timer.unref();
    this.timers.set(root, timer);
  }

  /** The handler diagnostics of a root's program, while its .flow files are as they were when checked. */
  diagnosticsFor(program: Program): readonly Diagnostic[] {
    const root = program.roots[0];
    const result = root !== undefined ? this.results.get(root) : undefined;
    if (result === undefined) return [];
    for (const [file, text] of result.texts) if (program.files.get(file)?.source.text !== text) return [];
    return result.diagnostics;
  }

  dispose(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    void this.worker?.terminate();
    this.worker = undefined;
  }

  private pump(): void {
    if (this.running !== undefined || this.unavailable !== undefined) return;
    const next = this.waiting.entries().next();
    if (next.done) return;
    const [root, program] = next.value;
    this.waiting.delete(root);
    const texts = new Map([...program.files].map(([file, parsed]) => [file, parsed.source.text]));
    const job: HandlerJob = { id: ++this.nextId, root, texts: Object.fromEntries(texts) };
    this.running = { id: job.id, root, texts };
    try {
      this.ensureWorker().postMessage(job);
    } catch (error) {
      this.running = undefined;
      this.log(`flowc lsp: handler checks unavailable: ${(error as Error).message}`);
      this.unavailable = (error as Error).message;
    }
  }

  private ensureWorker(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = new Worker(new URL("./handler-worker.js", import.meta.url), { stderr: false });
    worker.unref();
    worker.on("message", (result: HandlerJobResult) => {
      const running = this.running;
      this.running = undefined;
      if (running !== undefined && running.id === result.id) {
        if ("unavailable" in result) {
          this.unavailable = result.unavailable;
          this.log(`flowc lsp: handler checks are not available in this build: ${result.unavailable}`);
        } else {
          const before = this.results.get(result.root);
          this.results.set(result.root, { texts: running.texts, diagnostics: result.diagnostics });
          if (before !== undefined || result.diagnostics.length > 0) this.changed(result.root);
        }
      }
      this.pump();
    });
    worker.on("error", (error) => {
      this.log(`flowc lsp: handler check worker failed: ${error.stack ?? error.message}`);
      this.worker = undefined;
      this.running = undefined;
      // A worker that keeps failing is not started again.
      if (++this.failures >= 3) this.unavailable = "the worker failed three times";
      this.pump();
    });
    this.worker = worker;
    return worker;
  }
}
