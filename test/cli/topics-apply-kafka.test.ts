// `flowc topics apply` through the real binary against the real broker: creates the plan,
// is idempotent, and reports (without altering) a topic that differs from the plan.
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, inject, test } from "vitest";
import { createKafkaTransport } from "../../runtime/kafka/index.js";

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

describe.skipIf(!kafka.available)(`flowc topics apply on Kafka ${kafka.version}`, () => {
  const tag = `ta${process.pid}x${Date.now() % 100000}`;
  const dir = mkdtempSync(path.join(tmpdir(), "flowc-topics-"));
  const file = path.join(dir, "plan.flow");
  writeFileSync(
    file,
    [
      "schema Job { id: string }",
      `topic ${tag}In: Job (partitions: 4)`,
      `topic ${tag}Out: Job (partitions: 3)`,
      `pipeline ${tag} { ${tag}In | shard(3, by: .id) -> ${tag}Out }`,
      "",
    ].join("\n"),
  );

  test("creates every planned topic, then finds them as planned", async () => {
    const first = await flowc(["topics", "apply", file, "--brokers", kafka.brokers]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`created\\s+${tag}In \\(4 partitions`));
    expect(first.stdout).toMatch(new RegExp(`created\\s+${tag}\\.route\\.dlq`));
    const transport = createKafkaTransport({ brokers: kafka.brokers, logLevel: "nothing" });
    try {
      const described = await transport.describeTopics([`${tag}In`, `${tag}Out`]);
      expect(described.get(`${tag}In`)?.partitions).toBe(4);
      expect(described.get(`${tag}Out`)?.partitions).toBe(3);
    } finally {
      await transport.close();
    }
    const second = await flowc(["topics", "apply", file, "--brokers", kafka.brokers]);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^0 created, \d+ already as planned, 0 differing/m);
  }, 120_000);

  test("reports a topic that differs from the plan and leaves it alone", async () => {
    writeFileSync(file, (await import("node:fs")).readFileSync(file, "utf8").replace(`${tag}In: Job (partitions: 4)`, `${tag}In: Job (partitions: 6)`));
    const r = await flowc(["topics", "apply", file, "--brokers", kafka.brokers]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`DIFFERS\\s+${tag}In: partitions is 4, planned 6 \\(left as it is\\)`));
  }, 120_000);
});
