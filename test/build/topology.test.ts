/**
 * topology.json against its JSON Schema (topology.schema.json, written beside it), for
 * every program; and the runtime reads it as its own Topology.
 */
import { describe, expect, it } from "vitest";
import { build } from "../../compiler/emit/build.js";
import { TOPOLOGY_FILE, TOPOLOGY_SCHEMA_FILE } from "../../compiler/emit/index.js";
import type { Topology } from "../../runtime/index.js";
import { buildCases } from "./helpers.js";

type Schema = Record<string, unknown>;

/** The subset of JSON Schema that topology.schema.json uses; every keyword it meets it checks. */
function validate(value: unknown, schema: Schema, at = "$"): string[] {
  const problems: string[] = [];
  const known = new Set(["$schema", "$id", "title", "description", "type", "required", "additionalProperties", "properties", "items", "enum", "const", "pattern", "minimum", "oneOf", "allOf"]);
  for (const key of Object.keys(schema)) if (!known.has(key)) problems.push(`${at}: schema keyword ${key} is not checked`);
  const typeOf = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "array" : Number.isInteger(v) ? "integer" : typeof v);
  if (schema.type !== undefined) {
    const types = ([] as string[]).concat(schema.type as string | string[]);
    const actual = typeOf(value);
    if (!types.includes(actual) && !(actual === "integer" && types.includes("number"))) return [...problems, `${at}: expected ${types.join("|")}, found ${actual}`];
  }
  if (schema.const !== undefined && value !== schema.const) problems.push(`${at}: expected ${JSON.stringify(schema.const)}`);
  if (schema.enum !== undefined && !(schema.enum as unknown[]).includes(value)) problems.push(`${at}: ${JSON.stringify(value)} not in enum`);
  if (schema.pattern !== undefined && typeof value === "string" && !new RegExp(schema.pattern as string).test(value)) problems.push(`${at}: does not match ${schema.pattern}`);
  if (schema.minimum !== undefined && typeof value === "number" && value < (schema.minimum as number)) problems.push(`${at}: below ${schema.minimum}`);
  if (schema.oneOf !== undefined) {
    const passing = (schema.oneOf as Schema[]).filter((s) => validate(value, s, at).length === 0).length;
    if (passing !== 1) problems.push(`${at}: matches ${passing} of oneOf`);
  }
  for (const s of (schema.allOf as Schema[] | undefined) ?? []) problems.push(...validate(value, s, at));
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    for (const key of (schema.required as string[] | undefined) ?? []) if (!(key in value)) problems.push(`${at}: missing ${key}`);
    for (const [key, v] of Object.entries(value)) {
      if (properties[key] !== undefined) problems.push(...validate(v, properties[key], `${at}.${key}`));
      else if (schema.additionalProperties === false) problems.push(`${at}: unexpected ${key}`);
    }
  }
  if (Array.isArray(value) && schema.items !== undefined) value.forEach((v, i) => problems.push(...validate(v, schema.items as Schema, `${at}[${i}]`)));
  return problems;
}

describe("topology.json", () => {
  it.each(buildCases())("$name conforms to topology.schema.json and reads as the runtime's Topology", async ({ file, outDir }) => {
    const result = await build([file], { outDir, checkHandlers: false });
    const topology = JSON.parse(result.files.get(TOPOLOGY_FILE)!) as Topology & { workers: { module: string }[] };
    const schema = JSON.parse(result.files.get(TOPOLOGY_SCHEMA_FILE)!) as Schema;
    expect(validate(topology, schema)).toEqual([]);
    // What the runtime relies on.
    const names = new Set(topology.topics.map((t) => t.name));
    for (const worker of topology.workers) {
      for (const topic of [worker.input, worker.deadLetter, worker.stateTopic, ...worker.retryTopics, ...worker.outputs]) expect(names.has(topic), `${worker.id}: ${topic}`).toBe(true);
      expect(result.files.has(worker.module), worker.module).toBe(true);
    }
  });

  it("the validator catches what it should", () => {
    const schema = { type: "object", required: ["a"], additionalProperties: false, properties: { a: { type: "integer", minimum: 1 } } };
    expect(validate({ a: 1 }, schema)).toEqual([]);
    expect(validate({ a: 0 }, schema)).not.toEqual([]);
    expect(validate({ b: 1 }, schema)).not.toEqual([]);
  });
});
