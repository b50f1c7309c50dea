import type { ConsumedRecord, Transport } from "./transport.js";

/** Every stored record of a topic, partition by partition, outside any consumer group. */
export async function readTopic(transport: Transport, topic: string, chunk = 1000): Promise<ConsumedRecord[]> {
  const out: ConsumedRecord[] = [];
  for (const m of await transport.watermarks(topic)) {
    let next = m.low;
    while (next < m.high) {
      const records = await transport.read(topic, m.partition, next, Math.min(chunk, m.high - next));
      if (records.length === 0) break;
      out.push(...records);
      next = records[records.length - 1].offset + 1;
    }
  }
  return out;
}
