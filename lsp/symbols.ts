/** Document symbols: the outline of a file, declarations with their fields, members and stages. */
import { SymbolKind, type DocumentSymbol } from "vscode-languageserver/node.js";
import type * as A from "../compiler/ast.js";
import type { ParsedFile } from "../compiler/build-ast.js";
import type { SourceFile } from "../compiler/source.js";
import { toRange } from "./convert.js";

function symbol(source: SourceFile, name: A.Identifier, whole: A.Node["span"], kind: SymbolKind, detail: string, children: DocumentSymbol[] = []): DocumentSymbol {
  const range = toRange(source, whole);
  const selectionRange = name.missing ? { start: range.start, end: range.start } : toRange(source, name.span);
  return { name: name.missing || name.text === "" ? "(unnamed)" : name.text, kind, detail, range, selectionRange, ...(children.length > 0 ? { children } : {}) };
}

function fields(source: SourceFile, record: A.RecordTypeNode): DocumentSymbol[] {
  return record.fields
    .filter((f) => !f.name.missing)
    .map((f) => symbol(source, f.name, f.span, SymbolKind.Field, `${f.optional ? "?" : ""}${source.slice(f.type.span)}`, f.type.kind === "RecordType" ? fields(source, f.type) : []));
}

export function documentSymbols(parsed: ParsedFile): DocumentSymbol[] {
  const source = parsed.source;
  const out: DocumentSymbol[] = [];
  for (const decl of parsed.document.declarations) {
    switch (decl.kind) {
      case "Import": {
        const name: A.Identifier = { kind: "Identifier", span: decl.path.span, text: `import "${decl.path.value}"` };
        out.push(symbol(source, name, decl.span, SymbolKind.File, ""));
        break;
      }
      case "Schema":
        out.push(symbol(source, decl.name, decl.span, SymbolKind.Struct, "schema", fields(source, decl.body)));
        break;
      case "Enum":
        out.push(
          symbol(
            source,
            decl.name,
            decl.span,
            SymbolKind.Enum,
            "enum",
            decl.members.filter((m) => !m.missing).map((m) => symbol(source, m, m.span, SymbolKind.EnumMember, "")),
          ),
        );
        break;
      case "Topic":
        out.push(symbol(source, decl.name, decl.span, SymbolKind.Event, `topic: ${source.slice(decl.type.span)}`));
        break;
      case "Handler":
        out.push(
          symbol(source, decl.name, decl.span, SymbolKind.Function, `(${source.slice(decl.input.span)})${decl.output ? ` -> ${source.slice(decl.output.span)}` : ""}`),
        );
        break;
      case "Pipeline": {
        const stages = decl.stages
          .filter((s) => !s.call.name.missing)
          .map((s) => symbol(source, s.call.name, s.span, SymbolKind.Operator, source.slice(s.call.span).replace(/\s+/g, " ")));
        const sources = decl.sources.map((s) => s.text).join(", ");
        const sink = decl.sink ? source.slice(decl.sink.span).replace(/\s+/g, " ") : "";
        out.push(symbol(source, decl.name, decl.span, SymbolKind.Module, `${sources}${sink ? ` -> ${sink}` : ""}`, stages));
        break;
      }
    }
  }
  return out;
}
