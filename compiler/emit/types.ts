/**
 * `types.ts`: a readonly TypeScript type for every schema and enum (enums as
 * string unions), and a decoder for each. A message read from a broker is
 * untrusted, so a decoder returns `{ ok: true, value }` or `{ ok: false, reason }`
 * and never throws: the worker sends what does not decode to its dead-letter topic.
 */
import type { FieldType, FlowType } from "../types.js";
import type { StageGraph } from "../ir.js";
import { compare } from "../lower.js";
import { isIdentifier, literal, pascalName, propertyAccess, propertyName, safeLocal } from "./names.js";

/** How generated code names a type and decodes it. */
export interface TypeNaming {
  /** A TypeScript type expression for the flow type. */
  tsType(type: FlowType): string;
  /** The exported decoder for a topic's message type, and the names it needs from types.ts. */
  decoderFor(topic: string): { decoder: string; imports: string[] };
  /** Names a type expression needs imported from types.ts. */
  typeImports(type: FlowType): string[];
}

const PRIMITIVE_TS: Record<string, string> = { string: "string", int: "number", float: "number", bool: "boolean", timestamp: "string", bytes: "string" };
const PRIMITIVE_DECODER: Record<string, string> = {
  string: "decodeString",
  int: "decodeInt",
  float: "decodeFloat",
  bool: "decodeBool",
  timestamp: "decodeTimestamp",
  bytes: "decodeBytes",
};

/** Helpers a decoder may use; only the ones used are emitted. */
const HELPERS: Record<string, { deps: string[]; code: string }> = {
  ok: { deps: [], code: `const ok = <T>(value: T): Decoded<T> => ({ ok: true, value });` },
  fail: {
    deps: ["describe"],
    code: `function fail(at: string, expected: string, found: unknown): { readonly ok: false; readonly reason: string } {
  return { ok: false, reason: \`\${at}: expected \${expected}, found \${describe(found)}\` };
}`,
  },
  describe: {
    deps: [],
    code: `function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? \`\${text.slice(0, 40)}...\` : text;
}`,
  },
  isObject: {
    deps: [],
    code: `const isObject = (value: unknown): value is { readonly [field: string]: unknown } =>
  typeof value === "object" && value !== null && !Array.isArray(value);`,
  },
  decodeString: {
    deps: ["ok", "fail"],
    code: `const decodeString = (input: unknown, at: string): Decoded<string> =>
  typeof input === "string" ? ok(input) : fail(at, "a string", input);`,
  },
  decodeInt: {
    deps: ["ok", "fail"],
    code: `const decodeInt = (input: unknown, at: string): Decoded<number> =>
  Number.isSafeInteger(input) ? ok(input as number) : fail(at, "a whole number", input);`,
  },
  decodeFloat: {
    deps: ["ok", "fail"],
    code: `const decodeFloat = (input: unknown, at: string): Decoded<number> =>
  typeof input === "number" && Number.isFinite(input) ? ok(input) : fail(at, "a number", input);`,
  },
  decodeBool: {
    deps: ["ok", "fail"],
    code: `const decodeBool = (input: unknown, at: string): Decoded<boolean> =>
  typeof input === "boolean" ? ok(input) : fail(at, "true or false", input);`,
  },
  decodeTimestamp: {
    deps: ["ok", "fail"],
    code: `/** An ISO 8601 date and time, kept as text. */
const decodeTimestamp = (input: unknown, at: string): Decoded<string> =>
  typeof input === "string" && /^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:?\\d{2})?)?$/.test(input) && !Number.isNaN(Date.parse(input))
    ? ok(input)
    : fail(at, "an ISO 8601 timestamp", input);`,
  },
  decodeBytes: {
    deps: ["ok", "fail"],
    code: `/** Bytes travel as base64 text. */
const decodeBytes = (input: unknown, at: string): Decoded<string> =>
  typeof input === "string" && /^[A-Za-z0-9+/]*={0,2}$/.test(input) && input.length % 4 === 0 ? ok(input) : fail(at, "base64 text", input);`,
  },
  decodeArray: {
    deps: ["ok", "fail"],
    code: `function decodeArray<T>(input: unknown, at: string, element: (input: unknown, at: string) => Decoded<T>): Decoded<readonly T[]> {
  if (!Array.isArray(input)) return fail(at, "an array", input);
  const values: T[] = [];
  for (let i = 0; i < input.length; i++) {
    const item = element(input[i], \`\${at}[\${i}]\`);
    if (!item.ok) return item;
    values.push(item.value);
  }
  return ok(values);
}`,
  },
  decodeOptional: {
    deps: ["ok"],
    code: `/** An optional field: absent or null means not there. */
function decodeOptional<T>(input: unknown, at: string, decode: (input: unknown, at: string) => Decoded<T>): Decoded<T | undefined> {
  return input === undefined || input === null ? ok(undefined) : decode(input, at);
}`,
  },
};

export class TypesEmitter implements TypeNaming {
  private readonly used = new Set<string>();
  /** Decoders for topic types that are not a schema or enum (e.g. `topic ids: [string]`). */
  private readonly aliases = new Map<string, { name: string; type: FlowType }>();
  private readonly topicTypes = new Map<string, FlowType>();

  constructor(private readonly graph: StageGraph) {
    const named = new Set(graph.types.map((t) => t.name));
    for (const topic of graph.topics) {
      if (topic.type === undefined) continue;
      this.topicTypes.set(topic.name, topic.type);
      if (topic.type.kind === "schema" || topic.type.kind === "enum" || topic.consumers.length === 0) continue;
      let name = `${pascalName(topic.name)}Message`;
      while (named.has(name)) name = `${name}_`;
      named.add(name);
      this.aliases.set(topic.name, { name, type: topic.type });
    }
  }

  tsType(type: FlowType): string {
    switch (type.kind) {
      case "primitive":
        return PRIMITIVE_TS[type.name];
      case "schema":
      case "enum":
        return type.name;
      case "array": {
        const element = this.tsType(type.element);
        return `readonly ${element.startsWith("readonly ") || (/[|&]/.test(element) && !element.startsWith("{")) ? `(${element})` : element}[]`;
      }
      case "record":
        return `{ ${type.fields.map((f) => `readonly ${propertyName(f.name)}${f.optional ? "?" : ""}: ${this.tsType(f.type)};`).join(" ")} }`;
      case "error":
        return "unknown";
    }
  }

  typeImports(type: FlowType): string[] {
    switch (type.kind) {
      case "schema":
      case "enum":
        return [type.name];
      case "array":
        return this.typeImports(type.element);
      case "record":
        return type.fields.flatMap((f) => this.typeImports(f.type));
      default:
        return [];
    }
  }

  decoderFor(topic: string): { decoder: string; imports: string[] } {
    const alias = this.aliases.get(topic);
    if (alias !== undefined) return { decoder: `decode${alias.name}`, imports: [`decode${alias.name}`] };
    const type = this.topicTypes.get(topic);
    if (type?.kind === "schema" || type?.kind === "enum") return { decoder: `decode${type.name}`, imports: [`decode${type.name}`] };
    throw new Error(`emit: topic '${topic}' has no decodable type`);
  }

  /** Names the type of a topic's messages needs from types.ts. */
  topicTypeImports(topic: string): string[] {
    const alias = this.aliases.get(topic);
    if (alias !== undefined) return [alias.name];
    const type = this.topicTypes.get(topic);
    return type === undefined ? [] : this.typeImports(type);
  }

  /** The type name a worker uses for a topic's messages (an alias for unnamed types). */
  topicTypeName(topic: string): string {
    const alias = this.aliases.get(topic);
    if (alias !== undefined) return alias.name;
    const type = this.topicTypes.get(topic);
    if (type === undefined) throw new Error(`emit: topic '${topic}' has no type`);
    return this.tsType(type);
  }

  /** The statements of types.ts, before formatting. */
  statements(): string[] {
    const blocks: string[] = [];
    blocks.push(`/** What decoding an untrusted message gives: the typed value, or why it is not one. */
export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };`);
    const body: string[] = [];
    for (const type of this.graph.types) {
      if (type.kind === "enum") body.push(this.enumBlock(type.name, type.members));
      else body.push(this.schemaBlock(type.name, type.fields));
    }
    for (const { name, type } of [...this.aliases.values()].sort((a, b) => compare(a.name, b.name))) {
      const extra: string[] = [];
      if (type.kind === "record") {
        body.push([`export type ${name} = ${this.tsType(type)};`, this.recordDecoder(`decode${name}`, name, name, type.fields, true, extra), ...extra].join("\n\n"));
        continue;
      }
      const decode = this.callDecoder(this.decoderReference(type, name, false, `decode${name}Value`, extra), "input", "at");
      body.push(
        [
          `export type ${name} = ${this.tsType(type)};

export function decode${name}(input: unknown, at = ${literal(name)}): Decoded<${name}> {
  return ${decode};
}`,
          ...extra,
        ].join("\n\n"),
      );
    }
    // Helpers after the types: function declarations hoist, and `const` helpers are only read when a decoder runs.
    const helpers = this.helperBlocks();
    return [...blocks, ...body, ...(helpers.length > 0 ? [`// --- decoding helpers ${"-".repeat(60)}`, ...helpers] : [])];
  }

  private use(helper: string): string {
    if (!this.used.has(helper)) {
      this.used.add(helper);
      for (const dep of HELPERS[helper].deps) this.use(dep);
    }
    return helper;
  }

  private helperBlocks(): string[] {
    return Object.keys(HELPERS)
      .filter((h) => this.used.has(h))
      .map((h) => HELPERS[h].code);
  }

  private enumBlock(name: string, members: readonly string[]): string {
    const values = `${name.charAt(0).toLowerCase()}${name.slice(1)}Values`;
    this.use("ok");
    this.use("fail");
    return `export type ${name} = ${members.map(literal).join(" | ") || "never"};
export const ${values}: readonly ${name}[] = [${members.map(literal).join(", ")}];

export function decode${name}(input: unknown, at = ${literal(name)}): Decoded<${name}> {
  return typeof input === "string" && (${values} as readonly string[]).includes(input)
    ? ok(input as ${name})
    : fail(at, ${literal(`one of ${members.join(", ")}`)}, input);
}`;
  }

  private schemaBlock(name: string, fields: readonly FieldType[]): string {
    const extra: string[] = [];
    const type = `export interface ${name} {
${fields.map((f) => `  readonly ${propertyName(f.name)}${f.optional ? "?" : ""}: ${this.tsType(f.type)};`).join("\n")}
}`;
    const decoder = this.recordDecoder(`decode${name}`, name, name, fields, true, extra);
    return [type, decoder, ...extra].join("\n\n");
  }

  /** A decoder function for a record. Inline records get decoders of their own, named after the path. */
  private recordDecoder(fn: string, typeExpr: string, label: string, fields: readonly FieldType[], exported: boolean, extra: string[]): string {
    this.use("isObject");
    this.use("fail");
    this.use("ok");
    const taken = new Set(["input", "at", ...Object.keys(HELPERS)]);
    const lines: string[] = [];
    const assigned: string[] = [];
    for (const field of fields) {
      const local = safeLocal(field.name, taken);
      taken.add(local);
      const access = `input${propertyAccess(field.name)}`;
      const at = `\`\${at}${isIdentifier(field.name) ? `.${field.name}` : `[${JSON.stringify(field.name)}]`}\``;
      const inner = this.decoderReference(field.type, `${typeExpr}[${literal(field.name)}]`, field.optional, `${fn}${pascalName(field.name)}`, extra);
      const call = field.optional
        ? `${this.use("decodeOptional")}(${access}, ${at}, ${inner})`
        : field.type.kind === "array"
          ? `decodeArray(${access}, ${at}, ${this.decoderReference(field.type.element, `${typeExpr}[${literal(field.name)}][number]`, false, `${fn}${pascalName(field.name)}Item`, [])})`
          : this.callDecoder(inner, access, at);
      lines.push(`  const ${local} = ${call};`, `  if (!${local}.ok) return ${local};`);
      assigned.push(`${propertyName(field.name)}: ${local}.value`);
    }
    return `${exported ? "export " : ""}function ${fn}(input: unknown, at${exported ? ` = ${literal(label)}` : ": string"}): Decoded<${typeExpr}> {
  if (!isObject(input)) return fail(at, "an object", input);
${lines.join("\n")}
  return ok({ ${assigned.join(", ")} });
}`;
  }

  private callDecoder(reference: string, access: string, at: string): string {
    return reference.startsWith("(") ? `(${reference})(${access}, ${at})` : `${reference}(${access}, ${at})`;
  }

  /** A reference to a function `(input, at) => Decoded<T>` for a type. */
  private decoderReference(type: FlowType, typeExpr: string, optional: boolean, inlineName: string, extra: string[]): string {
    switch (type.kind) {
      case "primitive":
        return this.use(PRIMITIVE_DECODER[type.name]);
      case "schema":
      case "enum":
        return `decode${type.name}`;
      case "array": {
        const element = this.decoderReference(type.element, `${optional ? `NonNullable<${typeExpr}>` : typeExpr}[number]`, false, `${inlineName}Item`, extra);
        return `(input: unknown, at: string) => ${this.use("decodeArray")}(input, at, ${element})`;
      }
      case "record": {
        extra.push(this.recordDecoder(inlineName, optional ? `NonNullable<${typeExpr}>` : typeExpr, inlineName, type.fields, false, extra));
        return inlineName;
      }
      case "error":
        throw new Error("emit: a type with errors reached the emitter");
    }
  }

}
