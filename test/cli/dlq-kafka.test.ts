// `flowc dlq list|replay` through the real binary against the real broker: a dead letter
// written the way workers write them is listed with its reason, and replay sends its
// original bytes back to the topic it failed on.
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { deadLetterRecord } from "../../runtime/dead-letters.js";
import { createKafkaTransport } from "../../runtime/kafka/index.js";
import { readTopic, type Transport } from "../../runtime/index.js";

const exec = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");
const kafka = inject("kafka");

async function flowc(args: string[]) {
  try {
    const { stdout, stderr } = await exec(process.execPath, [path.join(root, "bin/flowc.js"), ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe.skipIf(!kafka.available)(`flowc dlq on Kafka ${kafka.version}`, () => {
  const suffix = `${process.pid}-${Date.now()}`;
  const source = `dlqcli-photos-${suffix}`;
  const dlqTopic = `dlqcli-route-${suffix}.dlq`;
  let transport: Transport;

  beforeAll(async () => {
    transport = createKafkaTransport({ brokers: kafka.brokers, clientId: "dlq-cli-test", logLevel: "nothing" });
    await transport.createTopics([
      { name: source, partitions: 2 },
      { name: dlqTopic, partitions: 1 },
    ]);
    const producer = await transport.producer();
    const original = { topic: source, partition: 1, offset: 7, key: "p1", value: '{"id": "p1", "width": ', headers: {}, timestamp: Date.now() };
    await producer.send([
      deadLetterRecord({
        topic: dlqTopic,
        id: "photos/1/7",
        worker: "renderPhotos.route",
        stage: "renderPhotos.route/decode",
        reason: "malformed",
        error: "not JSON: Unexpected end of JSON input",
        attempts: 1,
        record: original,
        failedAt: Date.now(),
      }),
    ]);
    await producer.close();
  }, 120_000);

  afterAll(async () => {
    await transport?.close();
  });

  test("list shows the dead letter with its reason and origin", async () => {
    const r = await flowc(["dlq", "list", "--brokers", kafka.brokers, "--topic", dlqTopic]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${dlqTopic}/0/0`);
    expect(r.stdout).toMatch(/malformed\s+1\s+/);
    expect(r.stdout).toContain(`${source}/1/7`);
    expect(r.stdout).toContain("not JSON");
  }, 60_000);

  test("replay sends the original bytes back to the partition they failed on", async () => {
    const r = await flowc(["dlq", "replay", "--brokers", kafka.brokers, "--topic", dlqTopic, "--ref", `${dlqTopic}/0/0`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("1 dead letter replayed");
    const records = await readTopic(transport, source);
    expect(records).toHaveLength(1);
    expect(records[0].partition).toBe(1);
    expect(records[0].value).toBe('{"id": "p1", "width": ');
    expect(records[0].headers["flowc-id"]).toBe("photos/1/7");
  }, 60_000);

  test("replay without a choice is a usage error", async () => {
    const r = await flowc(["dlq", "replay", "--brokers", kafka.brokers, "--topic", dlqTopic]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/choose what to replay/);
  }, 60_000);
});
