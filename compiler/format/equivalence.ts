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

/** The tree without positions, as comparable JSON. */
export function syntaxOf(document: A.Document): { declarations: unknown; comments: string[] } {
  const declarations = JSON.parse(JSON.stringify(document.declarations, (key, value: unknown) => (IGNORED_KEYS.has(key) ? undefined : value)));
  const comments = document.comments.map((c) => normalizeComment(c.text)).sort();
  return { declarations, comments };
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
  const declarationsA = a.declarations as unknown[];
  const declarationsB = b.declarations as unknown[];
  if (declarationsA.length !== declarationsB.length) return `${declarationsA.length} declarations became ${declarationsB.length}`;
  for (let i = 0; i < declarationsA.length; i++) {
    if (JSON.stringify(declarationsA[i]) !== JSON.stringify(declarationsB[i])) return `declaration ${i + 1} (${before.declarations[i].kind}) changed`;
  }
  return undefined;
}
