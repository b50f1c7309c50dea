/**
 * Documentation of the built-in stages, policies and keywords, shown on hover
 * and in completion. Kept in step with docs/language.md.
 */

export interface BuiltinDoc {
  readonly name: string;
  /** How it is written, as a snippet-free example. */
  readonly signature: string;
  /** A completion snippet (LSP snippet syntax). */
  readonly snippet: string;
  readonly summary: string;
  readonly detail?: string;
}

export const STAGE_DOCS: Readonly<Record<string, BuiltinDoc>> = {
  copy: {
    name: "copy",
    signature: "copy(laneA, laneB, ...)",
    snippet: "copy(${1:a}, ${2:b})",
    summary: "Every message goes to each of the named lanes.",
    detail: "The stages after it apply to each lane separately, until `merge` folds the lanes back or a lane sink `-> { lane: topic }` routes them.",
  },
  filter: {
    name: "filter",
    signature: "filter(<condition>, dropped: <topic>)",
    snippet: "filter(${1:.field})",
    summary: "Keeps the messages for which the condition holds; drops are counted.",
    detail: "With `dropped: topic`, the messages that do not match go to that topic instead of being dropped.",
  },
  split: {
    name: "split",
    signature: "split { laneA: <condition>, laneB: <condition>, else: laneC }",
    snippet: "split {\n\t${1:a}: ${2:.field}\n\telse: ${3:b}\n}",
    summary: "Every message goes to exactly one lane: the first whose condition holds, else the `else` lane.",
    detail: "Without `else`, the cases must provably cover every message: they all test one required enum or bool field and together name every value (FLOW3003).",
  },
  shard: {
    name: "shard",
    signature: "shard(<count>, by: .field)",
    snippet: "shard(${1:10}, by: .${2:id})",
    summary: "Every message goes to exactly one of `count` shards, by a stable hash of the key.",
    detail: "The key is `by`, else the record key. A topic written after `shard(n)` must have `n` partitions (FLOW3005).",
  },
  merge: {
    name: "merge",
    signature: "merge | merge(first)",
    snippet: "merge",
    summary: "Folds all lanes back into one stream; the lanes must carry one type (FLOW3006).",
    detail: "`merge(first)` keeps only the first result per message: hedging (copy a request, take the fastest).",
  },
  map: {
    name: "map",
    signature: "map(<handler>) retry(3, backoff: 100ms..10s) timeout(30s) concurrency(1)",
    snippet: "map(${1:handler})",
    summary: "Runs the handler on every message; the stream now carries the handler's output type.",
    detail: "Policies written after it govern failures: retry, timeout, concurrency, deadLetter.",
  },
  flatMap: {
    name: "flatMap",
    signature: "flatMap(<handler>)",
    snippet: "flatMap(${1:handler})",
    summary: "Runs the handler on every message; the handler returns an array and each element goes on as a message.",
    detail: "The handler must be declared with an array output: `handler name(In) -> [Out]` (FLOW2018).",
  },
};

export const POLICY_DOCS: Readonly<Record<string, BuiltinDoc>> = {
  retry: {
    name: "retry",
    signature: "retry(<retries>, backoff: 100ms..30s)",
    snippet: "retry(${1:3}, backoff: ${2:100ms}..${3:10s})",
    summary: "Up to `retries` retries after the first attempt, with exponential backoff and jitter between the bounds.",
    detail: "Default: `retry(3, backoff: 100ms..10s)`. Retries travel on retry topics, consumed after new work.",
  },
  timeout: {
    name: "timeout",
    signature: "timeout(<duration>)",
    snippet: "timeout(${1:10s})",
    summary: "An attempt that runs longer than this fails (and is retried).",
    detail: "Default: `30s`.",
  },
  concurrency: {
    name: "concurrency",
    signature: "concurrency(<count>)",
    snippet: "concurrency(${1:4})",
    summary: "Messages processed at once by one worker; the order per key still holds.",
    detail: "Default: `1`.",
  },
  deadLetter: {
    name: "deadLetter",
    signature: "deadLetter(<topic>)",
    snippet: "deadLetter(${1:topic})",
    summary: "Where messages go after their last attempt, with their error and original coordinates.",
    detail: "Default: a planned `<stage>.dlq` topic. Never a silent drop.",
  },
};

export const KEYWORD_DOCS: Readonly<Record<string, string>> = {
  import: "`import \"./other.flow\"`: brings every declaration of another file into this program.",
  schema: "`schema Name { field: type ... }`: a record type for messages. Optional fields end in `?`, arrays are `[T]`.",
  enum: "`enum Name { a, b }`: a set of names; on the wire a value is its member's name.",
  topic: "`topic name: Schema (partitions: 10, key: .id)`: a named, typed stream (a Kafka topic).",
  handler: "`handler name(In) -> Out from \"./module.ts\"`: a TypeScript function exported under this name. Without `->` it only has effects and ends its pipeline.",
  pipeline: "`pipeline name { source | stage ... -> sink }`: reads topics, passes every message through the stages, writes to a sink.",
  from: "`from \"./module.ts\"`: the TypeScript module that exports the handler, relative to this file.",
  has: "`has(.field)`: true when an optional field is present.",
  in: "`.field in [a, b]`: membership in a list.",
  else: "`else: lane`: in split, the lane for messages that match no case.",
};

/** Declaration templates offered at the start of a line outside any declaration. */
export const DECLARATION_SNIPPETS: readonly { label: string; snippet: string; detail: string }[] = [
  { label: "schema", snippet: "schema ${1:Name} {\n\t${2:id}: ${3:string}\n}", detail: "a message type" },
  { label: "enum", snippet: "enum ${1:Name} { ${2:a}, ${3:b} }", detail: "a set of names" },
  { label: "topic", snippet: "topic ${1:name}: ${2:Schema} (partitions: ${3:6}, key: .${4:id})", detail: "a typed stream" },
  { label: "handler", snippet: 'handler ${1:name}(${2:In}) -> ${3:Out} from "${4:./handlers.ts}"', detail: "a TypeScript function" },
  { label: "pipeline", snippet: "pipeline ${1:name} {\n\t${2:source}\n\t\t| ${3:map(handler)}\n\t\t-> ${4:sink}\n}", detail: "stages from topics to topics" },
  { label: "import", snippet: 'import "${1:./common.flow}"', detail: "another .flow file" },
];

export const TOPIC_OPTION_DOCS: Readonly<Record<string, string>> = {
  partitions: "Kafka partitions (default: the broker's, or the shard count that feeds it).",
  replication: "Replication factor.",
  key: "The field that keys records (a scalar field path); the default shard key.",
  name: "The Kafka topic name, when it differs from the declared name.",
};
