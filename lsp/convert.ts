/**
 * Between the compiler's world (absolute paths, UTF-16 offsets, 1-based lines)
 * and the protocol's (URIs, 0-based line and character).
 */
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { DiagnosticSeverity, DiagnosticTag, type Diagnostic as LspDiagnostic, type Position, type Range } from "vscode-languageserver/node.js";
import type { Diagnostic } from "../compiler/diagnostics.js";
import type { SourceFile, Span } from "../compiler/source.js";

/** Documents that are not files (untitled buffers) live under this made-up folder. */
const VIRTUAL_ROOT = path.resolve("/__flowc_virtual__");

/** Maps URIs to the paths the compiler sees, and back, remembering the client's own spelling. */
export class UriMap {
  private readonly uris = new Map<string, string>();

  pathOf(uri: string): string {
    let file: string;
    if (uri.startsWith("file:")) {
      try {
        file = path.resolve(fileURLToPath(uri));
      } catch {
        file = this.virtualPath(uri);
      }
    } else file = this.virtualPath(uri);
    // The client's spelling wins, so diagnostics go back under the URI it knows.
    if (!this.uris.has(file)) this.uris.set(file, uri);
    return file;
  }

  uriOf(file: string): string {
    return this.uris.get(file) ?? pathToFileURL(file).href;
  }

  remember(uri: string): string {
    const file = this.pathOf(uri);
    this.uris.set(file, uri);
    return file;
  }

  private virtualPath(uri: string): string {
    const safe = uri.replace(/[^A-Za-z0-9._-]+/g, "_");
    return path.join(VIRTUAL_ROOT, safe.endsWith(".flow") ? safe : `${safe}.flow`);
  }
}

export function toPosition(source: SourceFile, offset: number): Position {
  const p = source.positionAt(offset);
  return { line: p.line - 1, character: p.column - 1 };
}

export function toRange(source: SourceFile, span: Span): Range {
  return { start: toPosition(source, span.start), end: toPosition(source, Math.max(span.start, span.end)) };
}

export function toOffset(source: SourceFile, position: Position): number {
  return source.offsetAt({ line: position.line + 1, column: position.character + 1 });
}

export function spanOfRange(source: SourceFile, range: Range): Span {
  return { start: toOffset(source, range.start), end: toOffset(source, range.end) };
}

/** Data attached to each published diagnostic, read back by code actions. */
export interface DiagnosticData {
  readonly key: string;
  readonly suggestion?: string;
}

export function toLspDiagnostic(d: Diagnostic, source: SourceFile | undefined, uriOf: (file: string) => string, sourceOf: (file: string) => SourceFile | undefined): LspDiagnostic {
  const range = source ? toRange(source, d.span) : { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  const data: DiagnosticData = { key: d.key, ...(d.data?.suggestion !== undefined ? { suggestion: d.data.suggestion } : {}) };
  const related = (d.related ?? []).flatMap((r) => {
    const relatedSource = sourceOf(r.file);
    return relatedSource ? [{ location: { uri: uriOf(r.file), range: toRange(relatedSource, r.span) }, message: r.message }] : [];
  });
  return {
    range,
    severity: d.severity === "error" ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    code: d.code,
    source: "flowc",
    message: d.hint ? `${d.message}\nhint: ${d.hint}` : d.message,
    data,
    ...(d.key === "unusedTopic" ? { tags: [DiagnosticTag.Unnecessary] } : {}),
    ...(related.length > 0 ? { relatedInformation: related } : {}),
  };
}

export function spanContainsOffset(span: Span, offset: number): boolean {
  return span.start <= offset && offset <= span.end;
}

export function spansOverlap(a: Span, b: Span): boolean {
  return a.start <= b.end && b.start <= a.end;
}
