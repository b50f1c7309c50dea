#!/usr/bin/env node
// JSON Lines in and out of a Kafka topic, for trying pipelines by hand:
//   node scripts/kafka-jsonl.mjs produce <topic> <file.jsonl> [--key .field] [--brokers host:port]
//   node scripts/kafka-jsonl.mjs read <topic> [--brokers host:port]      (prints every record's value)
// Uses flowc's own Kafka transport (npm run build first), so keys are placed by Kafka's
// default partitioner exactly as the workers place them.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createKafkaTransport, readTopic } from "../dist/runtime/index.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { brokers: { type: "string", default: process.env.FLOWC_BROKERS ?? "127.0.0.1:9092" }, key: { type: "string" } },
});
const [action, topic, file] = positionals;
if (!["produce", "read"].includes(action) || !topic || (action === "produce" && !file)) {
  console.error("usage: kafka-jsonl.mjs produce <topic> <file.jsonl> [--key .field] | read <topic> [--brokers host:port]");
  process.exit(2);
}
const transport = createKafkaTransport({ brokers: values.brokers, clientId: "flowc-jsonl", logLevel: "nothing" });
try {
  if (action === "produce") {
    const path = values.key?.replace(/^\./, "").split(".") ?? [];
    const keyOf = (line) => {
      try {
        let v = JSON.parse(line);
        for (const p of path) v = v?.[p];
        return v === undefined || v === null || typeof v === "object" ? null : String(v);
      } catch {
        return null; // not JSON: sent as it is; the worker dead-letters it with the reason
      }
    };
    const lines = readFileSync(file, "utf8").split("\n").filter((l) => l.trim() !== "");
    const producer = await transport.producer();
    for (let i = 0; i < lines.length; i += 1000) {
      await producer.send(lines.slice(i, i + 1000).map((line) => ({ topic, key: path.length ? keyOf(line) : null, value: line })));
    }
    await producer.close();
    console.error(`produced ${lines.length} records to ${topic}`);
  } else {
    const records = await readTopic(transport, topic);
    for (const r of records) process.stdout.write(`${r.value}\n`);
    console.error(`${records.length} records in ${topic}`);
  }
} finally {
  await transport.close();
}
