/**
 * Conditions and keys as TypeScript over a message variable:
 * `.user.prefs.channel == email` -> `verified.user.prefs.channel === "email"`.
 * A comparison that reads an absent optional field is false, as the language says.
 */
import type * as A from "../ast.js";
import type { ExpressionInfo } from "../check.js";
import type { FlowType } from "../types.js";
import { literal, propertyAccess } from "./names.js";

export interface ExpressionContext {
  readonly subject: string;
  readonly types: ReadonlyMap<A.Expression, ExpressionInfo>;
  /** The message type, to find which path segments are optional. */
  readonly messageType: FlowType;
}

/** `.a.b` as an access on the subject, with `?.` after optional fields. */
export function pathAccess(segments: readonly string[], subject: string, messageType: FlowType): { code: string; optional: boolean; type: FlowType | undefined } {
  let code = subject;
  let type: FlowType | undefined = messageType;
  let optional = false;
  for (const segment of segments) {
    const fields: readonly { name: string; optional: boolean; type: FlowType }[] | undefined = type?.kind === "schema" || type?.kind === "record" ? type.fields : undefined;
    const field: { name: string; optional: boolean; type: FlowType } | undefined = fields?.find((f) => f.name === segment);
    code += propertyAccess(segment, optional);
    optional ||= field?.optional ?? false;
    type = field?.type;
  }
  return { code, optional, type };
}

const isTimestamp = (t: FlowType | undefined) => t?.kind === "primitive" && t.name === "timestamp";

export function emitExpression(expr: A.Expression, ctx: ExpressionContext): string {
  switch (expr.kind) {
    case "Path": {
      // Reached only where a bool is wanted; an absent optional flag is false.
      const access = pathAccess(expr.segments.map((s) => s.text), ctx.subject, ctx.messageType);
      return access.optional ? `${access.code} === true` : access.code;
    }
    case "String":
      return literal(expr.value);
    case "Number":
      return expr.text.startsWith("+") ? expr.text.slice(1) : expr.text;
    case "Bool":
      return String(expr.value);
    case "Name": {
      const info = ctx.types.get(expr);
      if (info?.kind === "enumMember") return literal(info.member);
      throw new Error(`emit: bare name '${expr.name.text}' is not an enum member`);
    }
    case "Paren":
      return `(${emitExpression(expr.inner, ctx)})`;
    case "Not": {
      const inner = expr.operand.kind === "Paren" ? expr.operand.inner : expr.operand;
      if (inner.kind === "Has") return `${pathAccess(inner.path.segments.map((s) => s.text), ctx.subject, ctx.messageType).code} === undefined`;
      return `!${wrap(expr.operand, ctx)}`;
    }
    case "Has":
      return `${pathAccess(expr.path.segments.map((s) => s.text), ctx.subject, ctx.messageType).code} !== undefined`;
    case "In": {
      const value = operand(expr.value, ctx);
      const list = `[${expr.list.items.map((item) => emitExpression(item, ctx)).join(", ")}]`;
      // An empty list holds nothing (and `[]` is a never[] to TypeScript).
      const test = expr.list.items.length === 0 ? String(expr.negated) : `${expr.negated ? "!" : ""}${list}.includes(${value.code})`;
      return value.optional ? `(${value.code} !== undefined && ${test})` : test;
    }
    case "Binary": {
      if (expr.operator === "and" || expr.operator === "or") {
        return `${wrap(expr.left, ctx)} ${expr.operator === "and" ? "&&" : "||"} ${wrap(expr.right, ctx)}`;
      }
      const left = operand(expr.left, ctx);
      const right = operand(expr.right, ctx);
      const op = expr.operator === "==" ? "===" : expr.operator === "!=" ? "!==" : expr.operator;
      // Timestamps are ISO 8601 text: compare instants, not strings.
      const ordered = op !== "===" && op !== "!==";
      const asTime = ordered && (isTimestamp(left.type) || isTimestamp(right.type));
      const l = asTime ? `Date.parse(${left.code})` : left.code;
      const r = asTime ? `Date.parse(${right.code})` : right.code;
      const guards = [left, right].filter((side) => side.optional && (op !== "===" || side.code.includes("?."))).map((side) => `${side.code} !== undefined`);
      const test = `${l} ${op} ${r}`;
      return guards.length > 0 ? `(${[...guards, test].join(" && ")})` : test;
    }
    case "Duration":
    case "Range":
    case "List":
    case "Missing":
      throw new Error(`emit: ${expr.kind} cannot appear in a checked condition`);
  }
}

function operand(expr: A.Expression, ctx: ExpressionContext): { code: string; optional: boolean; type: FlowType | undefined } {
  if (expr.kind === "Path") return pathAccess(expr.segments.map((s) => s.text), ctx.subject, ctx.messageType);
  const info = ctx.types.get(expr);
  return { code: emitExpression(expr, ctx), optional: false, type: info?.kind === "type" ? info.type : undefined };
}

/** Parenthesizes an operand of !, && or || unless it is already atomic. */
function wrap(expr: A.Expression, ctx: ExpressionContext): string {
  const code = emitExpression(expr, ctx);
  if (expr.kind === "Path" && code.endsWith("=== true")) return `(${code})`;
  if (expr.kind === "Path" || expr.kind === "Bool" || expr.kind === "Paren" || expr.kind === "Has" || expr.kind === "Name") {
    return expr.kind === "Has" ? `(${code})` : code;
  }
  if (expr.kind === "Binary" && (expr.operator === "and" || expr.operator === "or")) return `(${code})`;
  if (code.startsWith("(") && code.endsWith(")")) return code;
  return `(${code})`;
}
