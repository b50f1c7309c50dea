/**
 * Shared by the Kafka suites: the broker from the globalSetup, transports isolated by a unique
 * topic and group prefix, and cleanup of what a test created.
 */
import { inject } from "vitest";
import { createKafkaTransport, type KafkaTransport, type KafkaTransportOptions } from "../../runtime/kafka/index.js";
import { kafkajs } from "../../runtime/kafka/client.js";

export const kafka = inject("kafka");

/** Prints why the Kafka suites are skipped (once per file). */
export function reportSkip(suite: string): void {
  if (!kafka.available) process.stderr.write(`flowc tests: skipping ${suite}: ${kafka.reason ?? "Kafka unavailable"}\n`);
}

let n = 0;

/** A prefix no other test or run uses. */
export function uniquePrefix(tag: string): string {
  return `t-${tag}-${Date.now().toString(36)}${process.pid.toString(36)}-${(++n).toString(36)}-`;
}

/** Settings that make group changes quick on one local broker. */
export const FAST: Partial<KafkaTransportOptions> = {
  heartbeatIntervalMs: 250,
  sessionTimeoutMs: 6_000,
  rebalanceTimeoutMs: 20_000,
  revokeTimeoutMs: 10_000,
  maxWaitMs: 100,
  logLevel: "nothing",
};

/** A transport with its own topic and group namespace. */
export function isolatedTransport(tag: string, options: Partial<KafkaTransportOptions> = {}): KafkaTransport {
  const prefix = uniquePrefix(tag);
  return createKafkaTransport({
    brokers: kafka.brokers,
    clientId: `flowc-test-${tag}`,
    topicPrefix: prefix,
    groupPrefix: prefix,
    ...FAST,
    ...options,
  });
}

/** Deletes every topic and consumer group whose name starts with `prefix`. */
export async function deleteByPrefix(prefix: string): Promise<void> {
  if (prefix.length < 6) throw new Error(`refusing to delete by the prefix '${prefix}'`);
  const client = new kafkajs.Kafka({ brokers: [kafka.brokers], clientId: "flowc-test-cleanup", logLevel: kafkajs.logLevel.NOTHING });
  const admin = client.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 }).catch(() => {});
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix));
    if (groups.length > 0) await admin.deleteGroups(groups).catch(() => {});
  } finally {
    await admin.disconnect();
  }
}

/** Closes a transport of isolatedTransport and deletes its topics and groups. */
export async function disposeTransport(transport: KafkaTransport): Promise<void> {
  await transport.close();
  await deleteByPrefix(transport.topicName(""));
}
