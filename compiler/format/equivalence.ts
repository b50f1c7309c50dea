/**
 * "The same program": two trees that differ only in layout. Spans and the file
 * name are dropped; comments are compared as a multiset of their texts, since
 * the formatter may move a comment (a line comment inside an expression goes to
 * the end of its line) but never drops, adds or edits one (apart from trailing
 * spaces and the indentation of a block comment's lines).
 */
import type * as A from "../ast.js";

const IGNORED_KEYS = new Set(["span", "file", "comments"]);

/** A comment's text with each line trimmed: what the formatter keeps exactly. */
export function normalizeComment(text: string): string {
  return text
    .split(/\r\n|\r|\n/)
    .map((l) => l.trim())
    .join("\n");
}

/** A node without positions, as text that is equal for equal trees. */
function fingerprint(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(fingerprint).join(",")}]`;
  if (value !== null && typeof value === "object") {
    let out = "{";
    for (const [key, field] of Object.entries(value)) {
      if (IGNORED_KEYS.has(key) || field === undefined) continue;
      out += `${key}:${fingerprint(field)},`;
    }
    return out + "}";
  }
  return JSON.stringify(value) ?? "undefined";
}

/** The tree without positions: one fingerprint per declaration, and the comments' texts, sorted. */
export function syntaxOf(document: A.Document): { declarations: string[]; comments: string[] } {
  return {
    declarations: document.declarations.map(fingerprint),
    comments: document.comments.map((c) => normalizeComment(c.text)).sort(),
  };
}

/** Why two documents are not the same program, or undefined when they are. */
export function syntaxDifference(before: A.Document, after: A.Document): string | undefined {
  const a = syntaxOf(before);
  const b = syntaxOf(after);
  if (JSON.stringify(a.comments) !== JSON.stringify(b.comments)) {
    const lost = a.comments.filter((c) => !b.comments.includes(c));
    const added = b.comments.filter((c) => !a.comments.includes(c));
    return `comments differ${lost.length > 0 ? `; lost: ${lost.map((c) => JSON.stringify(c)).join(", ")}` : ""}${added.length > 0 ? `; added: ${added.map((c) => JSON.stringify(c)).join(", ")}` : ""}`;
  }
  if (a.declarations.length !== b.declarations.length) return `${a.declarations.length} declarations became ${b.declarations.length}`;
  for (let i = 0; i < a.declarations.length; i++) {
    if (a.declarations[i] !== b.declarations[i]) return `declaration ${i + 1} (${before.declarations[i].kind}) changed`;
  }
  return undefined;
}
