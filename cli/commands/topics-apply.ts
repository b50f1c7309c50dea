/**
 * `flowc topics apply <file.flow> --brokers <host:port>`: creates the planned topics
 * (sources, internal lane topics, retry, dead-letter and state topics) through Kafka's
 * admin API, and reports any existing topic that differs from the plan without altering it.
 */
import { applyTopicPlan, formatTopicPlanReport } from "../../runtime/kafka/admin.js";
import type { CommandContext } from "../command.js";
import { EXIT_OK, EXIT_PROGRAM_ERRORS } from "../command.js";
import type { TopicSpec } from "../../compiler/emit/topics.js";

export default async function applyTopics(context: CommandContext, specs: readonly TopicSpec[], brokers: string): Promise<number> {
  const report = await applyTopicPlan(
    { brokers, clientId: "flowc-topics", logLevel: "nothing" },
    specs.map((s) => ({
      name: s.name,
      role: s.role,
      partitions: s.partitions,
      replication: s.replication,
      ...(s.plannedFor !== undefined ? { plannedFor: s.plannedFor } : {}),
    })),
  );
  context.stdout.write(formatTopicPlanReport(report));
  // A topic that differs from the plan is the user's to resolve: say so in the exit code.
  return report.differing.length > 0 ? EXIT_PROGRAM_ERRORS : EXIT_OK;
}
