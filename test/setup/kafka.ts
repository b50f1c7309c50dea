/**
 * vitest globalSetup: a real Kafka broker for the suites that need one.
 *
 * - Starts the repository's broker (scripts/kafka-broker.mjs: jars from Maven
 *   Central, single-node KRaft on 127.0.0.1) unless one already answers.
 * - Without Java or Maven the Kafka suites are skipped with one line saying why,
 *   unless FLOWC_REQUIRE_KAFKA=1 (set by .ci/run), which makes that a failure.
 * - Runs that select only other suites (e.g. `vitest run test/frontend`) do not
 *   start a broker at all.
 * - A broker this setup started is stopped at the end; one that was already
 *   running (a developer's) is left alone.
 */
import type { TestProject } from "vitest/node";
import type {} from "vitest";

export interface KafkaContext {
  readonly available: boolean;
  readonly brokers: string;
  readonly version: string;
  readonly reason?: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    kafka: KafkaContext;
  }
}

const required = process.env.FLOWC_REQUIRE_KAFKA === "1";

function kafkaSuitesSelected(): boolean {
  const filters = process.argv.slice(2).filter((a) => !a.startsWith("-") && a !== "run" && !a.includes("vitest"));
  return filters.length === 0 || filters.some((f) => f.includes("kafka"));
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const none = (reason: string): KafkaContext => ({ available: false, brokers: "", version: "", reason });
  if (process.env.FLOWC_KAFKA === "off") {
    project.provide("kafka", none("FLOWC_KAFKA=off"));
    return async () => {};
  }
  if (!kafkaSuitesSelected() && !required) {
    project.provide("kafka", none("no Kafka suites selected"));
    return async () => {};
  }
  // @ts-expect-error: a plain ESM script without type declarations.
  const broker = await import("../../scripts/kafka-broker.mjs");
  const availability = broker.kafkaAvailable() as { ok: boolean; reason?: string };
  if (!availability.ok) {
    if (required) throw new Error(`Kafka is required (FLOWC_REQUIRE_KAFKA=1) but unavailable: ${availability.reason}`);
    process.stderr.write(`flowc tests: skipping the Kafka suites: ${availability.reason}\n`);
    project.provide("kafka", none(availability.reason ?? "unavailable"));
    return async () => {};
  }
  const started = await broker.ensureKafka({ log: (line: string) => process.stderr.write(`kafka: ${line}\n`) });
  project.provide("kafka", { available: true, brokers: started.brokers, version: started.version });
  return async () => {
    if (started.startedByUs && process.env.FLOWC_KEEP_KAFKA !== "1") await started.stop();
  };
}
