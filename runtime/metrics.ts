import { Counter, Gauge, Histogram, Registry } from "prom-client";

/**
 * Prometheus metrics of one run (or one worker process): a registry of its own, so two runs
 * in one process (tests) never mix their numbers.
 */
export class RunMetrics {
  readonly registry: Registry;
  /** Messages per stage and outcome: in, out, dropped, retried, dead, duplicate. */
  readonly messages: Counter<"stage" | "kind" | "outcome">;
  readonly inFlight: Gauge<"stage">;
  readonly handlerSeconds: Histogram<"stage" | "result">;
  readonly records: Counter<"worker" | "topic">;
  readonly crashes: Counter<"worker">;

  constructor(options: { registry?: Registry; inFlight?: () => Iterable<[string, number]> } = {}) {
    this.registry = options.registry ?? new Registry();
    const registers = [this.registry];
    this.messages = new Counter({
      name: "flowc_stage_messages_total",
      help: "Messages per stage and outcome (in, out, dropped, retried, dead, duplicate)",
      labelNames: ["stage", "kind", "outcome"],
      registers,
    });
    const inFlight = options.inFlight;
    this.inFlight = new Gauge({
      name: "flowc_stage_in_flight",
      help: "Messages inside a stage: being handled or waiting on a retry topic",
      labelNames: ["stage"],
      registers,
      collect() {
        if (inFlight === undefined) return;
        this.reset();
        for (const [stage, n] of inFlight()) this.set({ stage }, n);
      },
    });
    this.handlerSeconds = new Histogram({
      name: "flowc_handler_duration_seconds",
      help: "Handler attempt duration",
      labelNames: ["stage", "result"],
      buckets: [0.001, 0.005, 0.025, 0.1, 0.5, 2.5, 10, 60],
      registers,
    });
    this.records = new Counter({
      name: "flowc_records_consumed_total",
      help: "Records consumed per worker and topic, duplicates included",
      labelNames: ["worker", "topic"],
      registers,
    });
    this.crashes = new Counter({
      name: "flowc_worker_crashes_total",
      help: "Worker instances that stopped without committing",
      labelNames: ["worker"],
      registers,
    });
  }

  /** The exposition text (what a /metrics endpoint serves). */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
