// Synthetic .flow programs for the build's property tests and its benchmark
// (bench/suites/build.mjs), in plain JavaScript so both can import it.
// --- synthetic programs ------------------------------------------------------------

/** A small deterministic PRNG, so a seed gives the same program everywhere. */
export function random(seed) {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

/**
 * A program of `pipelines` pipelines over the five patterns and handlers, spread over
 * `files` files (declarations dealt round-robin, so every file needs the others).
 * Returns file name -> text. Handlers point to `./handlers.ts`, which does not exist:
 * build it with handler checks off.
 */
export function syntheticProgram(pipelines, files = 1, seed = 1) {
  const next = random(seed);
  const pick = (list) => list[Math.floor(next() * list.length)];
  const decls = [
    `enum Kind { small, large, huge }`,
    `schema Job { id: string, owner: string, kind: Kind, size: int, urgent: bool, note?: string, tags: [string] }`,
    `schema Result { jobId: string, kind: Kind, score: float }`,
    `handler work(Job) -> Result from "./handlers.ts"`,
    `handler expand(Job) -> [Job] from "./handlers.ts"`,
    `handler enrich(Job) -> Job from "./handlers.ts"`,
  ];
  for (let i = 0; i < pipelines; i++) {
    const n = String(i).padStart(3, "0");
    const partitions = pick([1, 3, 6, 10]);
    decls.push(`topic in${n}: Job (partitions: ${partitions}, key: .id)`);
    const shape = pick(["copy", "split", "filter", "flat", "hedge", "plain"]);
    let body;
    let sinks;
    switch (shape) {
      case "copy":
        body = `| copy(a, b, c) | shard(${partitions}, by: .owner) | map(work) retry(3, backoff: 100ms..2s) | merge`;
        sinks = [`out${n}: Result (partitions: ${partitions})`];
        break;
      case "split":
        body = `| split { small: .kind == small, large: .kind in [large, huge] } | map(work)`;
        sinks = [`small${n}: Result`, `large${n}: Result`];
        break;
      case "filter":
        body = `| filter(.size > ${Math.floor(next() * 100)} and not .urgent, dropped: dropped${n}) | map(enrich) timeout(5s) | shard(4)`;
        sinks = [`out${n}: Job (partitions: 4)`, `dropped${n}: Job`];
        break;
      case "flat":
        body = `| flatMap(expand) concurrency(4) | map(work)`;
        sinks = [`out${n}: Result`];
        break;
      case "hedge":
        body = `| copy(fast, slow) | map(work) timeout(1s) | merge(first)`;
        sinks = [`out${n}: Result`];
        break;
      default:
        body = `| map(enrich) | filter(has(.note) or .size >= 10)`;
        sinks = [`out${n}: Job`];
    }
    for (const sink of sinks) decls.push(`topic ${sink}`);
    const sink = shape === "split" ? `{ small: small${n}, large: large${n} }` : `out${n}`;
    decls.push(`// pipeline ${n}: ${shape}\npipeline p${n} {\n  in${n}\n    ${body}\n    -> ${sink}\n}`);
  }
  const out = new Map();
  for (let f = 0; f < files; f++) {
    const mine = decls.filter((_, i) => i % files === f);
    const imports = Array.from({ length: files }, (_, g) => g)
      .filter((g) => g !== f)
      .map((g) => `import "./part${g}.flow"`);
    out.set(`part${f}.flow`, [...imports, ...mine].join("\n\n") + "\n");
  }
  return out;
}
