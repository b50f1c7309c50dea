/**
 * Source text and positions. Every span in flowc is a pair of UTF-16 offsets
 * into one file; line and column are derived on demand (1-based for people,
 * 0-based for the language server).
 */

export interface Span {
  readonly start: number;
  readonly end: number;
}

export interface Position {
  /** 1-based line. */
  readonly line: number;
  /** 1-based column, in UTF-16 code units. */
  readonly column: number;
}

export class SourceFile {
  readonly path: string;
  readonly text: string;
  private lineStarts: number[] | undefined;

  constructor(path: string, text: string) {
    this.path = path;
    this.text = text;
  }

  private starts(): number[] {
    if (this.lineStarts === undefined) {
      const starts = [0];
      const text = this.text;
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c === 10) starts.push(i + 1);
        else if (c === 13) {
          if (text.charCodeAt(i + 1) === 10) i++;
          starts.push(i + 1);
        }
      }
      this.lineStarts = starts;
    }
    return this.lineStarts;
  }

  get lineCount(): number {
    return this.starts().length;
  }

  positionAt(offset: number): Position {
    const starts = this.starts();
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (starts[mid] <= clamped) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, column: clamped - starts[low] + 1 };
  }

  offsetAt(position: Position): number {
    const starts = this.starts();
    const lineIndex = Math.max(0, Math.min(position.line - 1, starts.length - 1));
    const lineEnd = this.lineEnd(lineIndex + 1);
    return Math.min(starts[lineIndex] + Math.max(0, position.column - 1), lineEnd);
  }

  /** Offset of the first character of a 1-based line. */
  lineStart(line: number): number {
    return this.starts()[line - 1] ?? this.text.length;
  }

  /** Offset just past the last character of a 1-based line (before its newline). */
  lineEnd(line: number): number {
    const starts = this.starts();
    let end = line < starts.length ? starts[line] : this.text.length;
    while (end > starts[line - 1] && (this.text[end - 1] === "\n" || this.text[end - 1] === "\r")) end--;
    return end;
  }

  lineText(line: number): string {
    return this.text.slice(this.lineStart(line), this.lineEnd(line));
  }

  slice(span: Span): string {
    return this.text.slice(span.start, span.end);
  }
}

export function spanCovering(first: Span, last: Span): Span {
  return { start: Math.min(first.start, last.start), end: Math.max(first.end, last.end) };
}

export function spanContains(outer: Span, inner: Span): boolean {
  return outer.start <= inner.start && inner.end <= outer.end;
}
