/**
 * The catalogue of every diagnostic flowc reports. Codes are stable: tools and
 * code actions switch on them, docs/diagnostics.md lists them, and each has a
 * focused test. FLOW1xxx syntax, FLOW2xxx names and types, FLOW3xxx graph and
 * loss, FLOW4xxx handlers (checked against their TypeScript source).
 *
 * Calling `createDiagnostic` with an unknown key or with the wrong parameters
 * fails to compile.
 */
import type { Span } from "./source.js";

export type Severity = "error" | "warning";

interface DiagnosticDefinition<P> {
  readonly code: string;
  readonly severity: Severity;
  readonly message: (params: P) => string;
  readonly hint?: (params: P) => string | undefined;
}

function define<P = Record<string, never>>(d: DiagnosticDefinition<P>): DiagnosticDefinition<P> {
  return d;
}

const didYouMean = (p: { suggestion?: string; available?: readonly string[] }) =>
  p.suggestion !== undefined
    ? `did you mean '${p.suggestion}'?`
    : p.available && p.available.length > 0
      ? `available: ${p.available.slice(0, 12).join(", ")}${p.available.length > 12 ? ", ..." : ""}`
      : undefined;

type Suggest = { suggestion?: string; available?: readonly string[] };

/** What people coming from other languages meant by a character flow does not have. */
const characterHints: Record<string, string> = {
  "=": "compare with '=='; options are written name: value",
  "!": "negate with 'not', compare with '!='",
  "&": "join conditions with 'and'",
  ";": "fields and arguments are separated by newlines or ','",
  "'": "strings use double quotes",
  "#": "comments start with //",
};

export const messages = {
  // --- FLOW1xxx: reading and parsing ---------------------------------------
  unexpectedCharacter: define<{ char: string }>({
    code: "FLOW1001",
    severity: "error",
    message: (p) => `unexpected character ${p.char}`,
    // p.char is quoted ('=', or '&&' for a run); a control character is written U+0007.
    hint: (p) => characterHints[p.char.startsWith("'") ? p.char.charAt(1) : ""] ?? "names are letters, digits and '_'; strings use double quotes; comments start with //",
  }),
  /** `hint`: the shape of the declaration the error is in. */
  unexpectedToken: define<{ found: string; expected: string; hint?: string }>({
    code: "FLOW1002",
    severity: "error",
    message: (p) => `expected ${p.expected}, found ${p.found}`,
    hint: (p) => p.hint,
  }),
  unterminatedString: define({
    code: "FLOW1003",
    severity: "error",
    message: () => "unterminated string",
    hint: () => "close the string with '\"' on the same line",
  }),
  unterminatedComment: define({
    code: "FLOW1004",
    severity: "error",
    message: () => "unterminated block comment",
    hint: () => "close the comment with '*/'",
  }),
  nestingTooDeep: define<{ limit: number; what?: string }>({
    code: "FLOW1005",
    severity: "error",
    message: (p) => `declaration too deeply nested: more than ${p.limit} ${p.what ?? "levels of nested (), [] or {}"}; it was skipped`,
    hint: () => "split the condition into simpler parts, or declare nested records as schemas of their own",
  }),
  binaryContent: define({
    code: "FLOW1006",
    severity: "error",
    message: () => "file is not text (it contains NUL bytes)",
    hint: () => ".flow files are UTF-8 text",
  }),
  lineTooLong: define<{ length: number; limit: number }>({
    code: "FLOW1007",
    severity: "error",
    message: (p) => `line of ${p.length} characters is longer than the limit of ${p.limit}`,
    hint: () => "break the line: a declaration may span any number of lines",
  }),
  expectedDeclaration: define<{ found: string }>({
    code: "FLOW1008",
    severity: "error",
    message: (p) => `expected a declaration, found ${p.found}`,
    hint: () => "a .flow file holds import, schema, enum, topic, handler and pipeline declarations",
  }),

  // --- FLOW2xxx: names and types ------------------------------------------
  unknownStage: define<{ name: string } & Suggest>({
    code: "FLOW2001",
    severity: "error",
    message: (p) => `unknown stage '${p.name}'`,
    hint: (p) => didYouMean(p) ?? "stages are copy, filter, split, shard, merge, map and flatMap",
  }),
  unknownTopic: define<{ name: string } & Suggest>({
    code: "FLOW2002",
    severity: "error",
    message: (p) => `unknown topic '${p.name}'`,
    hint: (p) => didYouMean(p) ?? `declare it: topic ${p.name}: <Schema>`,
  }),
  unknownType: define<{ name: string } & Suggest>({
    code: "FLOW2003",
    severity: "error",
    message: (p) => `unknown type '${p.name}'`,
    hint: (p) => didYouMean(p) ?? "types are string, int, float, bool, timestamp, bytes, or a declared schema or enum",
  }),
  unknownHandler: define<{ name: string } & Suggest>({
    code: "FLOW2004",
    severity: "error",
    message: (p) => `unknown handler '${p.name}'`,
    hint: (p) => didYouMean(p) ?? `declare it: handler ${p.name}(<Input>) -> <Output> from "./handlers.ts"`,
  }),
  unknownField: define<{ name: string; type: string } & Suggest>({
    code: "FLOW2005",
    severity: "error",
    message: (p) => `${p.type} has no field '${p.name}'`,
    hint: didYouMean,
  }),
  duplicateDeclaration: define<{ name: string; kind: string; previous: string }>({
    code: "FLOW2006",
    severity: "error",
    message: (p) => `duplicate ${p.kind} '${p.name}'`,
    hint: (p) => (p.previous === "built in" ? `'${p.name}' is a built-in type; choose another name` : `'${p.name}' is already declared at ${p.previous}`),
  }),
  duplicateMember: define<{ name: string; kind: string; owner: string }>({
    code: "FLOW2007",
    severity: "error",
    message: (p) => `duplicate ${p.kind} '${p.name}' in ${p.owner}`,
  }),
  typeMismatch: define<{ expected: string; found: string; context: string }>({
    code: "FLOW2008",
    severity: "error",
    message: (p) => `${p.context}: expected ${p.expected}, found ${p.found}`,
  }),
  badArguments: define<{ stage: string; problem: string; usage: string }>({
    code: "FLOW2009",
    severity: "error",
    message: (p) => `${p.stage}: ${p.problem}`,
    hint: (p) => `usage: ${p.usage}`,
  }),
  unknownEnumMember: define<{ name: string; enumName: string } & Suggest>({
    code: "FLOW2010",
    severity: "error",
    message: (p) => `'${p.name}' is not a member of enum ${p.enumName}`,
    hint: didYouMean,
  }),
  handlerInputMismatch: define<{ handler: string; expected: string; found: string; lane: string }>({
    code: "FLOW2011",
    severity: "error",
    message: (p) => `handler '${p.handler}' takes ${p.expected}, but ${p.lane} carries ${p.found}`,
    hint: () => "map the stream to the handler's input type first, or change the handler's declaration",
  }),
  sinkTypeMismatch: define<{ topic: string; expected: string; found: string; lane: string }>({
    code: "FLOW2012",
    severity: "error",
    message: (p) => `topic '${p.topic}' carries ${p.expected}, but ${p.lane} carries ${p.found}`,
  }),
  importNotFound: define<{ path: string; reason: string }>({
    code: "FLOW2013",
    severity: "error",
    message: (p) => `cannot import '${p.path}': ${p.reason}`,
    hint: () => "import paths are relative to the importing file and end in .flow",
  }),
  unknownPolicy: define<{ name: string } & Suggest>({
    code: "FLOW2014",
    severity: "error",
    message: (p) => `unknown policy '${p.name}'`,
    hint: (p) => didYouMean(p) ?? "policies are retry, timeout, concurrency and deadLetter",
  }),
  /** `stage` is the stage the policy was written after; absent when it stands where a stage should. */
  policyNotAllowed: define<{ policy: string; stage?: string }>({
    code: "FLOW2015",
    severity: "error",
    message: (p) => (p.stage === undefined ? `'${p.policy}' is a policy, not a stage` : `policy '${p.policy}' does not apply to ${p.stage}`),
    hint: (p) =>
      p.stage === undefined
        ? `write it after the map or flatMap it governs: | map(handler) ${p.policy}(...)`
        : "retry, timeout, concurrency and deadLetter apply to map and flatMap, where user code can fail",
  }),
  presenceOfRequired: define<{ path: string }>({
    code: "FLOW2016",
    severity: "warning",
    message: (p) => `'${p.path}' is a required field, so has(${p.path}) is always true`,
  }),
  unknownLane: define<{ name: string } & Suggest>({
    code: "FLOW2017",
    severity: "error",
    message: (p) => `unknown lane '${p.name}'`,
    hint: didYouMean,
  }),
  flatMapNeedsArray: define<{ handler: string; found: string }>({
    code: "FLOW2018",
    severity: "error",
    message: (p) => `flatMap needs a handler that returns an array, but '${p.handler}' returns ${p.found}`,
    hint: (p) => `declare it as handler ${p.handler}(...) -> [${p.found}], or use map`,
  }),
  handlerHasNoOutput: define<{ handler: string }>({
    code: "FLOW2019",
    severity: "error",
    message: (p) => `handler '${p.handler}' returns nothing, so no stage can follow it`,
    hint: () => "end the pipeline at this stage, or declare an output type: handler name(In) -> Out",
  }),
  duplicatePolicy: define<{ policy: string }>({
    code: "FLOW2020",
    severity: "error",
    message: (p) => `policy '${p.policy}' is given twice`,
  }),

  // --- FLOW3xxx: the graph, and losing nothing ----------------------------
  topicCycle: define<{ cycle: string }>({
    code: "FLOW3001",
    severity: "error",
    message: (p) => `pipelines form a cycle: ${p.cycle}`,
    hint: () => "a pipeline's output must not flow back into its own input; send it to a new topic",
  }),
  unusedTopic: define<{ name: string }>({
    code: "FLOW3002",
    severity: "warning",
    message: (p) => `topic '${p.name}' is neither read nor written by any pipeline`,
  }),
  splitNotExhaustive: define<{ missing: string }>({
    code: "FLOW3003",
    severity: "error",
    message: (p) => `split may lose messages: ${p.missing}`,
    hint: () => "add an 'else: <lane>' case, or cover every value of the tested field",
  }),
  shardCount: define<{ count: string }>({
    code: "FLOW3004",
    severity: "error",
    message: (p) => `shard count must be a whole number of at least 1, found ${p.count}`,
  }),
  shardPartitionMismatch: define<{ shards: number; topic: string; partitions: number }>({
    code: "FLOW3005",
    severity: "error",
    message: (p) => `shard(${p.shards}) writes into topic '${p.topic}', which has ${p.partitions} partitions`,
    hint: (p) => `give '${p.topic}' (partitions: ${p.shards}), or shard into ${p.partitions}`,
  }),
  mergeTypeMismatch: define<{ lanes: string }>({
    code: "FLOW3006",
    severity: "error",
    message: (p) => `merge joins lanes of different types: ${p.lanes}`,
    hint: () => "map every lane to one schema before merge, or send the lanes to separate topics with -> { lane: topic }",
  }),
  unmergedLanes: define<{ lanes: string; topic: string }>({
    code: "FLOW3007",
    severity: "error",
    message: (p) => `lanes ${p.lanes} reach '${p.topic}' without a merge`,
    hint: () => "add '| merge' before the sink, or route each lane: -> { lane: topic, ... }",
  }),
  mergeWithoutLanes: define({
    code: "FLOW3008",
    severity: "warning",
    message: () => "merge has only one lane to merge",
    hint: () => "merge folds the lanes made by copy or split, or several sources, back into one",
  }),
  missingSink: define<{ pipeline: string; type: string }>({
    code: "FLOW3009",
    severity: "error",
    message: (p) => `pipeline '${p.pipeline}' produces ${p.type} but has no sink, so its output would be lost`,
    hint: () => "end the pipeline with -> <topic>",
  }),
  laneNotRouted: define<{ lane: string }>({
    code: "FLOW3010",
    severity: "error",
    message: (p) => `lane '${p.lane}' is not routed to any topic, so its messages would be lost`,
    hint: (p) => `add '${p.lane}: <topic>' to the sink`,
  }),
  sinkAfterEffect: define<{ handler: string }>({
    code: "FLOW3011",
    severity: "error",
    message: (p) => `handler '${p.handler}' returns nothing, so there is nothing to send to the sink`,
  }),
  sourceIsSink: define<{ topic: string }>({
    code: "FLOW3012",
    severity: "error",
    message: (p) => `pipeline reads and writes topic '${p.topic}'`,
    hint: () => "write to another topic: a pipeline that feeds itself never ends",
  }),

  plannedTopicClash: define<{ topic: string; planned: string }>({
    code: "FLOW3013",
    severity: "error",
    message: (p) => `topic name '${p.topic}' is also planned by the compiler for ${p.planned}`,
    hint: () => "rename the topic, or give it another Kafka name with (name: \"...\"); docs/build.md lists the names flowc plans",
  }),

  // --- FLOW4xxx: handlers against their TypeScript source ---------------------
  handlerModuleNotFound: define<{ module: string; resolved: string }>({
    code: "FLOW4001",
    severity: "error",
    message: (p) => `handler module '${p.module}' not found (looked for ${p.resolved})`,
  }),
  handlerExportMissing: define<{ handler: string; module: string } & Suggest>({
    code: "FLOW4002",
    severity: "error",
    message: (p) => `'${p.module}' does not export a function '${p.handler}'`,
    hint: didYouMean,
  }),
  /** `hint`: how to fix a mismatch the handler check recognises (a mutable array parameter). */
  handlerSignatureMismatch: define<{ handler: string; problem: string; location: string; hint?: string }>({
    code: "FLOW4003",
    severity: "error",
    message: (p) => `handler '${p.handler}' (${p.location}) ${p.problem}`,
    hint: (p) => p.hint,
  }),
} as const;

export type MessageKey = keyof typeof messages;
type ParamsOf<K extends MessageKey> = (typeof messages)[K] extends DiagnosticDefinition<infer P> ? P : never;

export interface RelatedLocation {
  readonly file: string;
  readonly span: Span;
  readonly message: string;
}

export interface Diagnostic {
  readonly code: string;
  readonly key: MessageKey;
  readonly severity: Severity;
  readonly message: string;
  readonly hint?: string;
  readonly file: string;
  readonly span: Span;
  /** Machine-readable data for code actions, e.g. the did-you-mean suggestion. */
  readonly data?: { readonly suggestion?: string };
  readonly related?: readonly RelatedLocation[];
}

export function createDiagnostic<K extends MessageKey>(
  key: K,
  file: string,
  span: Span,
  params: ParamsOf<K>,
  related?: readonly RelatedLocation[],
): Diagnostic {
  const definition = messages[key] as unknown as DiagnosticDefinition<ParamsOf<K>>;
  const hint = definition.hint?.(params);
  const suggestion = (params as { suggestion?: string }).suggestion;
  return {
    code: definition.code,
    key,
    severity: definition.severity,
    message: definition.message(params),
    ...(hint !== undefined ? { hint } : {}),
    file,
    span,
    ...(suggestion !== undefined ? { data: { suggestion } } : {}),
    ...(related !== undefined && related.length > 0 ? { related } : {}),
  };
}

/** A sink that phases report into; keeps diagnostics in the order reported. */
export class DiagnosticBag {
  readonly items: Diagnostic[] = [];
  private errors = 0;

  report<K extends MessageKey>(key: K, file: string, span: Span, params: ParamsOf<K>, related?: readonly RelatedLocation[]): void {
    this.add(createDiagnostic(key, file, span, params, related));
  }

  add(diagnostic: Diagnostic): void {
    this.items.push(diagnostic);
    if (diagnostic.severity === "error") this.errors++;
  }

  /** Errors reported so far, kept as they come: the checker asks once per pipeline. */
  get errorCount(): number {
    return this.errors;
  }

  get hasErrors(): boolean {
    return this.errors > 0;
  }
}

/** Sorted by file and position; the same finding reported twice (say, once per lane) is kept once. */
export function sortDiagnostics(list: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  const unique = list.filter((d) => {
    const key = `${d.file}\u0000${d.span.start}\u0000${d.span.end}\u0000${d.code}\u0000${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique.sort(
    (a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.span.start - b.span.start || a.code.localeCompare(b.code),
  );
}

/** Levenshtein distance, for did-you-mean hints. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  const previous = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) previous[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0];
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j];
      previous[j] = Math.min(
        previous[j] + 1,
        previous[j - 1] + 1,
        diagonal + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1),
      );
      diagonal = above;
    }
  }
  return previous[b.length];
}

/** The closest candidate within a distance that scales with the name's length. */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const limit = Math.max(1, Math.floor(name.length / 3) + 1);
  for (const candidate of candidates) {
    const d = editDistance(name, candidate);
    if (d < bestDistance && d <= limit) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

export function suggest(name: string, candidates: Iterable<string>): Suggest {
  const list = [...candidates].sort();
  const suggestion = closestName(name, list);
  return suggestion !== undefined ? { suggestion } : { available: list };
}
