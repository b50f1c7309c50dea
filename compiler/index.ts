/**
 * flowc's compiler, one function per phase so each can be called and tested alone:
 * lex -> parse -> buildAst (parseFile) -> resolve -> check -> lower -> emit -> format.
 * `createProgram` runs the phases up to check for a set of files and imports.
 */
export { lex } from "../grammar/lexer.js";
export { parseTokens } from "../grammar/parser.js";
export * as ast from "./ast.js";
export { parseFile, type ParsedFile } from "./build-ast.js";
export { resolve, type SymbolTable, type TopicSymbol, type HandlerSymbol } from "./resolve.js";
export { check, STAGES, POLICIES, type CheckedPipeline, type CheckedStage, type StreamShape, type Lane } from "./check.js";
export { messages, createDiagnostic, type Diagnostic, type Severity } from "./diagnostics.js";
export { createProgram, displayPath, nodeHost, ParseCache, type CompilerHost, type Program } from "./program.js";
export { renderDiagnostic, renderDiagnostics, diagnosticToJson } from "./render.js";
export { SourceFile, type Span, type Position } from "./source.js";
export { typeToString, type FlowType } from "./types.js";
