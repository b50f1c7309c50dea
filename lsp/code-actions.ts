/**
 * Code actions: quick fixes for the did-you-mean hints. Every diagnostic that
 * carries a suggestion (unknown stage, topic, type, handler, field, enum
 * member, lane, policy) becomes "Change to '<suggestion>'".
 */
import { CodeActionKind, type CodeAction, type Diagnostic as LspDiagnostic, type Range } from "vscode-languageserver/node.js";
import type { Diagnostic } from "../compiler/diagnostics.js";
import type { SourceFile } from "../compiler/source.js";
import { spanOfRange, spansOverlap, toLspDiagnostic, toRange } from "./convert.js";

export function codeActions(
  uri: string,
  source: SourceFile,
  diagnostics: readonly Diagnostic[],
  range: Range,
  toLsp: (d: Diagnostic) => LspDiagnostic = (d) => toLspDiagnostic(d, source, () => uri, () => source),
): CodeAction[] {
  const wanted = spanOfRange(source, range);
  const actions: CodeAction[] = [];
  for (const d of diagnostics) {
    const suggestion = d.data?.suggestion;
    if (suggestion === undefined || d.file !== source.path || !spansOverlap(d.span, wanted)) continue;
    const found = source.slice(d.span);
    if (found === suggestion) continue;
    actions.push({
      title: `Change '${found}' to '${suggestion}'`,
      kind: CodeActionKind.QuickFix,
      isPreferred: true,
      diagnostics: [toLsp(d)],
      edit: { changes: { [uri]: [{ range: toRange(source, d.span), newText: suggestion }] } },
    });
  }
  return actions;
}
