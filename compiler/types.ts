/** The semantic types of the flow language and the operations on them. */
import type * as A from "./ast.js";

export type PrimitiveName = "string" | "int" | "float" | "bool" | "timestamp" | "bytes";
export const PRIMITIVES: readonly PrimitiveName[] = ["string", "int", "float", "bool", "timestamp", "bytes"];

export type FlowType = PrimitiveType | SchemaType | EnumType | ArrayType | RecordType | ErrorType;

export interface PrimitiveType {
  readonly kind: "primitive";
  readonly name: PrimitiveName;
}

export interface FieldType {
  readonly name: string;
  readonly optional: boolean;
  readonly type: FlowType;
  readonly node: A.FieldNode;
}

/** A named record. Fields are filled after every schema is known, so schemas may refer to each other. */
export interface SchemaType {
  readonly kind: "schema";
  readonly name: string;
  readonly fields: FieldType[];
  readonly decl: A.SchemaDecl;
  readonly file: string;
}

export interface EnumType {
  readonly kind: "enum";
  readonly name: string;
  readonly members: readonly string[];
  readonly decl: A.EnumDecl;
  readonly file: string;
}

export interface ArrayType {
  readonly kind: "array";
  readonly element: FlowType;
}

export interface RecordType {
  readonly kind: "record";
  readonly fields: FieldType[];
}

/** The type of something already reported as wrong: it matches everything, so one mistake gives one error. */
export interface ErrorType {
  readonly kind: "error";
}

export const errorType: ErrorType = { kind: "error" };
const primitives = new Map<PrimitiveName, PrimitiveType>(PRIMITIVES.map((name) => [name, { kind: "primitive", name }]));
export const primitive = (name: PrimitiveName): PrimitiveType => primitives.get(name)!;

export function typeToString(type: FlowType): string {
  switch (type.kind) {
    case "primitive":
      return type.name;
    case "schema":
    case "enum":
      return type.name;
    case "array":
      return `[${typeToString(type.element)}]`;
    case "record":
      return `{ ${type.fields.map((f) => `${f.name}${f.optional ? "?" : ""}: ${typeToString(f.type)}`).join(", ")} }`;
    case "error":
      return "unknown";
  }
}

/** Schemas and enums are nominal; arrays and inline records are structural. */
export function sameType(a: FlowType, b: FlowType): boolean {
  if (a.kind === "error" || b.kind === "error") return true;
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case "primitive":
      return a.name === (b as PrimitiveType).name;
    case "schema":
    case "enum":
      return a.name === (b as SchemaType | EnumType).name;
    case "array":
      return sameType(a.element, (b as ArrayType).element);
    case "record": {
      const other = b as RecordType;
      return (
        a.fields.length === other.fields.length &&
        a.fields.every((f) => {
          const g = other.fields.find((x) => x.name === f.name);
          return g !== undefined && g.optional === f.optional && sameType(f.type, g.type);
        })
      );
    }
  }
}

export function fieldsOf(type: FlowType): readonly FieldType[] | undefined {
  return type.kind === "schema" || type.kind === "record" ? type.fields : undefined;
}

export const isNumeric = (t: FlowType) => t.kind === "primitive" && (t.name === "int" || t.name === "float");
export const isBool = (t: FlowType) => t.kind === "primitive" && t.name === "bool";
/** Types a shard key or a comparison can use directly. */
export const isScalar = (t: FlowType) => t.kind === "primitive" || t.kind === "enum" || t.kind === "error";
