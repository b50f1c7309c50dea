/**
 * Phase 4: resolve. Builds the program's symbol table from every loaded file
 * (one namespace per program), turns type references into types, and reads
 * topic and handler declarations. Pipelines are checked in the next phase.
 */
import path from "node:path";
import type * as A from "./ast.js";
import { DiagnosticBag, suggest } from "./diagnostics.js";
import { errorType, fieldsOf, isScalar, primitive, PRIMITIVES, typeToString, type EnumType, type FieldType, type FlowType, type PrimitiveName, type SchemaType } from "./types.js";

export interface TopicSymbol {
  readonly kind: "topic";
  readonly name: string;
  readonly decl: A.TopicDecl;
  readonly file: string;
  type: FlowType;
  /** Kafka topic name; the declared name unless overridden with (name: "..."). */
  kafkaName: string;
  partitions: number | undefined;
  replication: number | undefined;
  /** The field path that keys records of this topic, e.g. ["id"]. */
  key: readonly string[] | undefined;
}

export interface HandlerSymbol {
  readonly kind: "handler";
  readonly name: string;
  readonly decl: A.HandlerDecl;
  readonly file: string;
  input: FlowType;
  /** undefined for a handler that only has effects (a terminal stage). */
  output: FlowType | undefined;
  /** The module as written, and resolved against the declaring file. */
  readonly module: string;
  readonly modulePath: string;
}

export interface PipelineSymbol {
  readonly kind: "pipeline";
  readonly name: string;
  readonly decl: A.PipelineDecl;
  readonly file: string;
}

export type TypeSymbol = SchemaType | EnumType;
export type ValueSymbol = TopicSymbol | HandlerSymbol | PipelineSymbol;

export interface SymbolTable {
  readonly types: Map<string, TypeSymbol>;
  readonly topics: Map<string, TopicSymbol>;
  readonly handlers: Map<string, HandlerSymbol>;
  readonly pipelines: Map<string, PipelineSymbol>;
  /** Every resolved reference to a declaration, for go-to-definition, references and rename. */
  readonly references: Reference[];
}

export interface Reference {
  readonly file: string;
  readonly node: A.Identifier;
  readonly target: TypeSymbol | ValueSymbol;
}

export interface FileLocation {
  readonly file: string;
  readonly span: { start: number; end: number };
}

export function symbolNameNode(symbol: TypeSymbol | ValueSymbol): A.Identifier {
  return symbol.decl.name;
}

export function resolve(documents: readonly A.Document[], bag: DiagnosticBag, describeLocation: (file: string, offset: number) => string): SymbolTable {
  const table: SymbolTable = { types: new Map(), topics: new Map(), handlers: new Map(), pipelines: new Map(), references: [] };

  // Declare every name first, so declarations may come in any order and any file.
  const valueNames = new Map<string, { file: string; node: A.Identifier }>();
  for (const doc of documents) {
    for (const decl of doc.declarations) {
      if (decl.kind === "Import") continue;
      const name = decl.name;
      if (name.missing || name.text === "") continue;
      if (decl.kind === "Schema" || decl.kind === "Enum") {
        const previous = table.types.get(name.text);
        if (previous !== undefined || (PRIMITIVES as readonly string[]).includes(name.text)) {
          bag.report("duplicateDeclaration", doc.file, name.span, {
            name: name.text,
            kind: "type",
            previous: previous ? describeLocation(previous.file, previous.decl.name.span.start) : "built in",
          });
          continue;
        }
        if (decl.kind === "Schema") table.types.set(name.text, { kind: "schema", name: name.text, fields: [], decl, file: doc.file });
        else table.types.set(name.text, { kind: "enum", name: name.text, members: decl.members.filter((m) => !m.missing).map((m) => m.text), decl, file: doc.file });
        continue;
      }
      const previous = valueNames.get(name.text);
      if (previous !== undefined) {
        bag.report("duplicateDeclaration", doc.file, name.span, {
          name: name.text,
          kind: decl.kind.toLowerCase(),
          previous: describeLocation(previous.file, previous.node.span.start),
        });
        continue;
      }
      valueNames.set(name.text, { file: doc.file, node: name });
      if (decl.kind === "Topic") {
        table.topics.set(name.text, { kind: "topic", name: name.text, decl, file: doc.file, type: errorType, kafkaName: name.text, partitions: undefined, replication: undefined, key: undefined });
      } else if (decl.kind === "Handler") {
        table.handlers.set(name.text, {
          kind: "handler",
          name: name.text,
          decl,
          file: doc.file,
          input: errorType,
          output: undefined,
          module: decl.module.value,
          modulePath: path.resolve(path.dirname(doc.file), decl.module.value),
        });
      } else {
        table.pipelines.set(name.text, { kind: "pipeline", name: name.text, decl, file: doc.file });
      }
    }
  }

  const resolver = new TypeResolver(table, bag);
  for (const type of table.types.values()) {
    if (type.kind === "schema") type.fields.push(...resolver.fields(type.decl.body, type.file, `schema ${type.name}`));
    else checkUnique(type.decl.members, type.file, bag, "member", `enum ${type.name}`);
  }
  for (const topic of table.topics.values()) {
    topic.type = resolver.type(topic.decl.type, topic.file);
    readTopicOptions(topic, bag);
  }
  for (const handler of table.handlers.values()) {
    handler.input = resolver.type(handler.decl.input, handler.file);
    handler.output = handler.decl.output ? resolver.type(handler.decl.output, handler.file) : undefined;
  }
  return table;
}

function checkUnique(names: readonly A.Identifier[], file: string, bag: DiagnosticBag, kind: string, owner: string): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (name.missing) continue;
    if (seen.has(name.text)) bag.report("duplicateMember", file, name.span, { name: name.text, kind, owner });
    seen.add(name.text);
  }
}

class TypeResolver {
  constructor(
    private readonly table: SymbolTable,
    private readonly bag: DiagnosticBag,
  ) {}

  type(node: A.TypeNode, file: string): FlowType {
    switch (node.kind) {
      case "ArrayType":
        return { kind: "array", element: this.type(node.element, file) };
      case "RecordType":
        return { kind: "record", fields: this.fields(node, file, "record") };
      case "NamedType": {
        const name = node.name.text;
        if (node.name.missing || name === "") return errorType;
        if ((PRIMITIVES as readonly string[]).includes(name)) return primitive(name as PrimitiveName);
        const symbol = this.table.types.get(name);
        if (symbol === undefined) {
          this.bag.report("unknownType", file, node.name.span, { name, ...suggest(name, [...PRIMITIVES, ...this.table.types.keys()]) });
          return errorType;
        }
        this.table.references.push({ file, node: node.name, target: symbol });
        return symbol;
      }
    }
  }

  fields(body: A.RecordTypeNode, file: string, owner: string): FieldType[] {
    checkUnique(body.fields.map((f) => f.name), file, this.bag, "field", owner);
    return body.fields
      .filter((f) => !f.name.missing)
      .map((f) => ({ name: f.name.text, optional: f.optional, type: this.type(f.type, file), node: f }));
  }
}

const TOPIC_OPTIONS = ["partitions", "replication", "key", "name"];
const TOPIC_USAGE = 'topic name: Schema (partitions: 10, replication: 1, key: .id, name: "kafka-name")';

function readTopicOptions(topic: TopicSymbol, bag: DiagnosticBag): void {
  const stage = `topic ${topic.name}`;
  const seen = new Set<string>();
  for (const option of topic.decl.options) {
    const name = option.name?.text;
    if (name === undefined) {
      bag.report("badArguments", topic.file, option.span, { stage, problem: "options are named", usage: TOPIC_USAGE });
      continue;
    }
    if (!TOPIC_OPTIONS.includes(name)) {
      bag.report("badArguments", topic.file, option.name!.span, { stage, problem: `unknown option '${name}'`, usage: TOPIC_USAGE });
      continue;
    }
    if (seen.has(name)) bag.report("duplicateMember", topic.file, option.name!.span, { name, kind: "option", owner: stage });
    seen.add(name);
    const value = option.value;
    if (name === "partitions" || name === "replication") {
      if (value.kind !== "Number" || !Number.isInteger(value.value) || value.value < 1) {
        bag.report("badArguments", topic.file, value.span, { stage, problem: `${name} must be a whole number of at least 1`, usage: TOPIC_USAGE });
      } else if (name === "partitions") topic.partitions = value.value;
      else topic.replication = value.value;
    } else if (name === "name") {
      if (value.kind !== "String" || !/^[A-Za-z0-9._-]{1,249}$/.test(value.value)) {
        bag.report("badArguments", topic.file, value.span, { stage, problem: "name must be a Kafka topic name (letters, digits, '.', '_', '-')", usage: TOPIC_USAGE });
      } else topic.kafkaName = value.value;
    } else if (name === "key") {
      if (value.kind !== "Path") {
        bag.report("badArguments", topic.file, value.span, { stage, problem: "key must be a field path such as .id", usage: TOPIC_USAGE });
        continue;
      }
      const keyType = resolvePath(topic.type, value, topic.file, bag);
      if (keyType !== undefined && !isScalar(keyType.type)) {
        bag.report("typeMismatch", topic.file, value.span, { expected: "a scalar field", found: typeToString(keyType.type), context: "topic key" });
      }
      topic.key = value.segments.map((s) => s.text);
    }
  }
}

export interface ResolvedPath {
  readonly type: FlowType;
  /** True when some segment of the path is optional, so the value may be absent. */
  readonly optional: boolean;
  readonly fields: readonly FieldType[];
}

/** Resolves `.a.b` against a type; reports unknown fields with a did-you-mean hint. */
export function resolvePath(root: FlowType, node: A.PathExpr, file: string, bag: DiagnosticBag): ResolvedPath | undefined {
  let type = root;
  let optional = false;
  const fields: FieldType[] = [];
  for (const segment of node.segments) {
    if (type.kind === "error") return { type: errorType, optional, fields };
    const list = fieldsOf(type);
    if (list === undefined) {
      bag.report("typeMismatch", file, segment.span, { expected: "a record", found: typeToString(type), context: `field '${segment.text}'` });
      return undefined;
    }
    const field = list.find((f) => f.name === segment.text);
    if (field === undefined) {
      bag.report("unknownField", file, segment.span, { name: segment.text, type: typeToString(type), ...suggest(segment.text, list.map((f) => f.name)) });
      return undefined;
    }
    fields.push(field);
    optional ||= field.optional;
    type = field.type;
  }
  return { type, optional, fields };
}
