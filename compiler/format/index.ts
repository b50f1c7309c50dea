/** The .flow formatter: `formatFlow` for callers, the prettier plugin for prettier. */
export { formatFlow, isFormatted, type FormatOptions } from "./format.js";
export { FlowSyntaxError, FormatVerificationError } from "./errors.js";
export { syntaxDifference, syntaxOf, normalizeComment } from "./equivalence.js";
export { default as prettierPlugin, languages, parsers, printers, defaultOptions, PARSER_NAME } from "./plugin.js";
