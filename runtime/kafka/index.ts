/**
 * flowc's Kafka transport (kafkajs 2.2.4) and the Kafka side of the CLI: provisioning topics
 * from topology.json and dead-letter listing/replay. docs/kafka.md describes it for users.
 */
export { createKafkaTransport, KafkaTransport, topicConfig } from "./transport.js";
export type { KafkaTransportOptions, TopicDescription } from "./transport.js";
export { kafkaTransportFromEnv, kafkaTransportOptionsFromEnv } from "./env.js";
export type { KafkaLogLevel } from "./client.js";
export { KafkaConsumer } from "./consumer.js";
export { KafkaProducer } from "./producer.js";
export {
  applyTopicPlan,
  formatTopicPlanReport,
  listKafkaDeadLetters,
  plannedSpec,
  replayKafkaDeadLetters,
  withKafka,
} from "./admin.js";
export type { KafkaTarget, PlannedTopic, TopicDifference, TopicPlanReport } from "./admin.js";
