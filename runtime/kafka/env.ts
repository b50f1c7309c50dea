import { createKafkaTransport, type KafkaTransport, type KafkaTransportOptions } from "./transport.js";
import type { KafkaLogLevel } from "./client.js";

/**
 * The Kafka connection of a generated worker process, from its environment:
 *
 * | variable | meaning |
 * | --- | --- |
 * | `FLOWC_BROKERS` | bootstrap brokers, comma-separated (required) |
 * | `FLOWC_CLIENT_ID` | Kafka client id (default `flowc-<host>-<pid>`) |
 * | `FLOWC_GROUP_PREFIX` | prepended to consumer groups and transactional ids (default none) |
 * | `FLOWC_TOPIC_PREFIX` | prepended to every topic name (default none) |
 * | `FLOWC_TRANSACTIONAL` | `0`/`false`: no transactions, at-least-once everywhere (default on) |
 * | `FLOWC_KAFKA_LOG_LEVEL` | kafkajs log level: nothing, error (default), warn, info, debug |
 * | `FLOWC_KAFKA_SESSION_TIMEOUT_MS` | consumer session timeout (default 10000; the broker's minimum is 6000) |
 * | `FLOWC_KAFKA_HEARTBEAT_MS` | consumer heartbeat interval (default 1000) |
 */
export function kafkaTransportOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): KafkaTransportOptions {
  const brokers = env.FLOWC_BROKERS?.trim();
  if (!brokers) throw new Error("FLOWC_BROKERS is not set (comma-separated Kafka brokers, e.g. 127.0.0.1:9092)");
  const flag = env.FLOWC_TRANSACTIONAL?.trim().toLowerCase();
  const level = env.FLOWC_KAFKA_LOG_LEVEL?.trim().toLowerCase();
  const levels: readonly KafkaLogLevel[] = ["nothing", "error", "warn", "info", "debug"];
  if (level && !levels.includes(level as KafkaLogLevel)) {
    throw new Error(`FLOWC_KAFKA_LOG_LEVEL must be one of ${levels.join(", ")}; got '${level}'`);
  }
  const ms = (name: string): number | undefined => {
    const raw = env[name]?.trim();
    if (!raw) return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive whole number of milliseconds; got '${raw}'`);
    return n;
  };
  return {
    brokers,
    sessionTimeoutMs: ms("FLOWC_KAFKA_SESSION_TIMEOUT_MS"),
    heartbeatIntervalMs: ms("FLOWC_KAFKA_HEARTBEAT_MS"),
    clientId: env.FLOWC_CLIENT_ID?.trim() || undefined,
    groupPrefix: env.FLOWC_GROUP_PREFIX ?? undefined,
    topicPrefix: env.FLOWC_TOPIC_PREFIX ?? undefined,
    transactional: flag === undefined || flag === "" ? true : !["0", "false", "no", "off"].includes(flag),
    logLevel: (level || undefined) as KafkaLogLevel | undefined,
  };
}

/** A Kafka transport configured from FLOWC_BROKERS, FLOWC_CLIENT_ID, FLOWC_GROUP_PREFIX (see above). */
export function kafkaTransportFromEnv(env: NodeJS.ProcessEnv = process.env, overrides: Partial<KafkaTransportOptions> = {}): KafkaTransport {
  return createKafkaTransport({ ...kafkaTransportOptionsFromEnv(env), ...overrides });
}
