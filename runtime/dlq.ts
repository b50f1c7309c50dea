import { Headers } from "../stdlib/headers.js";
import type { DeadLetterBody } from "./dead-letters.js";
import { readTopic } from "./read.js";
import type { ConsumedRecord, ProducerRecord, Transport } from "./transport.js";

/** A dead letter as `flowc dlq list` shows it: the body plus where it sits in its topic. */
export interface DeadLetter extends DeadLetterBody {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** "topic/partition/offset": names this dead letter for `replay`. */
  readonly ref: string;
}

export function parseDeadLetter(record: ConsumedRecord): DeadLetter | undefined {
  if (record.value === null) return undefined;
  let body: DeadLetterBody;
  try {
    body = JSON.parse(record.value) as DeadLetterBody;
  } catch {
    return undefined;
  }
  if (typeof body?.id !== "string" || typeof body.original?.topic !== "string") return undefined;
  return {
    ...body,
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    ref: `${record.topic}/${record.partition}/${record.offset}`,
  };
}

export interface ListOptions {
  readonly where?: (deadLetter: DeadLetter) => boolean;
  readonly limit?: number;
}

/** Lists the dead letters of a topic, oldest first per partition, with their reasons. */
export async function listDeadLetters(transport: Transport, topic: string, options: ListOptions = {}): Promise<DeadLetter[]> {
  const out: DeadLetter[] = [];
  for (const record of await readTopic(transport, topic)) {
    const dl = parseDeadLetter(record);
    if (dl === undefined || (options.where && !options.where(dl))) continue;
    out.push(dl);
    if (options.limit !== undefined && out.length >= options.limit) break;
  }
  return out;
}

export interface ReplayOptions {
  /** Choose by message id... */
  readonly ids?: readonly string[];
  /** ...or by dead-letter ref ("topic/partition/offset")... */
  readonly refs?: readonly string[];
  /** ...or by predicate. With none of the three, everything is replayed. */
  readonly where?: (deadLetter: DeadLetter) => boolean;
}

/**
 * Sends chosen dead letters back to their original topic and partition, byte for byte, with
 * their message id and a `flowc-replay` header naming the dead letter. The worker treats a
 * replay as a fresh first attempt (the attempt count starts over, and the id's earlier
 * settlement does not suppress it); replaying the same dead letter twice is suppressed.
 * Dead letters stay in their topic.
 */
export async function replayDeadLetters(
  transport: Transport,
  topic: string,
  options: ReplayOptions = {},
): Promise<{ replayed: DeadLetter[] }> {
  const ids = options.ids === undefined ? undefined : new Set(options.ids);
  const refs = options.refs === undefined ? undefined : new Set(options.refs);
  const chosen = await listDeadLetters(transport, topic, {
    where: (dl) =>
      (ids === undefined || ids.has(dl.id)) &&
      (refs === undefined || refs.has(dl.ref)) &&
      (options.where === undefined || options.where(dl)),
  });
  const partitions = await transport.describeTopics([...new Set(chosen.map((dl) => dl.original.topic))]);
  const records: ProducerRecord[] = chosen.map((dl) => {
    const count = partitions.get(dl.original.topic)?.partitions;
    if (count === undefined) throw new Error(`dead letter ${dl.ref}: its original topic '${dl.original.topic}' does not exist`);
    return {
      topic: dl.original.topic,
      // Same partition: on a shard topic the partition is the shard.
      partition: dl.original.partition < count ? dl.original.partition : undefined,
      key: dl.original.key,
      value: dl.value,
      headers: { ...dl.headers, [Headers.id]: dl.id, [Headers.replay]: dl.ref },
    };
  });
  if (records.length > 0) {
    const producer = await transport.producer();
    try {
      await producer.send(records);
    } finally {
      await producer.close();
    }
  }
  return { replayed: chosen };
}
