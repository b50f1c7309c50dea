/**
 * The prettier plugin for .flow files. With it, anything that runs prettier
 * (editors, `prettier --write`, pre-commit hooks) formats .flow files the way
 * `flowc fmt` does:
 *
 *   // .prettierrc.json
 *   { "plugins": ["./node_modules/flowc/dist/compiler/format/plugin.js"] }
 *
 * The parser is named "flowc", not "flow": prettier's own "flow" parser is for
 * Flow-typed JavaScript. The language claims the `.flow` extension; prettier
 * consults plugin languages before its own, so Flow's `.js.flow` declaration
 * files would match too in a project that loads this plugin.
 */
import type { Parser, Printer, SupportLanguage } from "prettier";
import { parseFile, type ParsedFile } from "../build-ast.js";
import { SourceFile } from "../source.js";
import { canAttachComment, handleComments, prepareRoot, visitorKeys, type FlowComment, type FlowRoot } from "./comments.js";
import { FlowSyntaxError } from "./errors.js";
import { print, printComment } from "./printer.js";

export const PARSER_NAME = "flowc";
export const AST_FORMAT = "flowc-ast";

export const languages: SupportLanguage[] = [
  {
    name: "flowc",
    parsers: [PARSER_NAME],
    extensions: [".flow"],
    vscodeLanguageIds: ["flowc"],
  },
];

/**
 * A file formatFlow has just parsed. prettier hands the parser the same text
 * (unless it normalised line ends or a byte-order mark), so the tree is reused
 * rather than built again: parsing is most of the cost of formatting.
 */
let parsedAhead: ParsedFile | undefined;

export function offerParsed(parsed: ParsedFile): void {
  parsedAhead = parsed;
}

type Located = { readonly span: { readonly start: number; readonly end: number } };

export const parsers: Record<string, Parser<FlowRoot>> = {
  [PARSER_NAME]: {
    astFormat: AST_FORMAT,
    parse(text, options) {
      const parsed = parsedAhead?.source.text === text ? parsedAhead : parseFile(new SourceFile(options.filepath ?? "<input>", text));
      parsedAhead = undefined;
      const errors = parsed.diagnostics.filter((d) => d.severity === "error");
      if (errors.length > 0) throw new FlowSyntaxError(parsed.source, errors, { forPrettier: true });
      return prepareRoot(parsed.document, text);
    },
    locStart: (node) => (node as unknown as Located).span.start,
    locEnd: (node) => (node as unknown as Located).span.end,
  },
};

export const printers: Record<string, Printer> = {
  [AST_FORMAT]: {
    print,
    getVisitorKeys: (node) => [...visitorKeys(node as { kind?: string })],
    canAttachComment: (node) => canAttachComment(node as { kind?: string }),
    isBlockComment: (comment) => (comment as FlowComment).block,
    printComment: (path) => printComment(path.node as FlowComment),
    // The printer places every comment itself (see comments.ts and printer.ts).
    willPrintOwnComments: () => true,
    handleComments,
  },
};

export const defaultOptions = {
  printWidth: 100,
  tabWidth: 2,
};

const plugin = { languages, parsers, printers, defaultOptions };
export default plugin;
