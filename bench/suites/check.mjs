// `flowc check` on generated programs of 1,000 and 10,000 lines: schemas,
// enums, topics, handlers and pipelines of every stage, connected into chains
// through topics like a real system. Measured in-process (createProgram: parse,
// resolve, check) against the lexer alone on the same text, and as a whole
// process (`node bin/flowc.js check`) against `node -e 0`, Node's bare start.
// Aim: a 10,000-line program checks in under 0.5 s.
// FLOWC_BENCH_COMPARE_DIST=<another build's dist> also measures that build's
// process CPU on the same programs, its runs interleaved with this build's, so
// before/after figures come from one run on the same machine load.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

/** A valid, warning-free program of about `lines` lines. */
export function generateProgram(lines) {
  const out = ["// A generated program for the check benchmark.", ""];
  for (let i = 0; out.length < lines; i++) {
    const next = i + 1;
    out.push(
      `// Module ${i}: orders in, parcels and receipts out.`,
      `enum Priority${i} { low, normal, high }`,
      `enum Carrier${i} { post, courier }`,
      "",
      `schema Order${i} {`,
      "  id: string",
      "  customer: { id: string, email: string, phone?: string, vip: bool }",
      "  lines: [{ sku: string, quantity: int, price: float }]",
      `  priority: Priority${i}`,
      "  placedAt: timestamp",
      "  note?: string",
      "  weightKg: float",
      "}",
      "",
      `schema Parcel${i} { orderId: string, carrier: Carrier${i}, sku: string }`,
      `schema Receipt${i} { orderId: string, body: string, total: float }`,
      "",
      `topic web${i}: Order${i} (partitions: 6, key: .id)`,
      `topic phone${i}: Order${i} (partitions: 6, key: .id)`,
      `topic urgent${i}: Order${i} (partitions: 6)`,
      `topic routine${i}: Order${i} (partitions: 6)`,
      `topic odd${i}: Order${i}`,
      `topic parcels${i}: Parcel${i} (partitions: 6, key: .orderId)`,
      `topic courier${i}: Parcel${i}`,
      `topic post${i}: Parcel${i}`,
      `topic receipts${i}: Receipt${i} (partitions: 6)`,
      `topic failed${i}: Order${i}`,
      "",
      `handler receipt${i}(Order${i}) -> Receipt${i} from "./handlers/shop.ts"`,
      `handler pack${i}(Order${i}) -> [Parcel${i}] from "./handlers/shop.ts"`,
      `handler notify${i}(Parcel${i}) from "./handlers/shop.ts"`,
      "",
      `pipeline intake${i} {`,
      `  web${i}, phone${i}`,
      "    | filter(.weightKg > 0 and .weightKg < 1000)",
      "    | merge",
      `    | filter(.customer.vip or not has(.note), dropped: odd${i})`,
      "    | split {",
      "        urgent: .priority == high or (.customer.vip and .priority in [normal])",
      "        else: routine",
      "      }",
      "    | shard(6, by: .customer.id)",
      `    -> { urgent: urgent${i}, routine: routine${i} }`,
      "}",
      "",
      `pipeline bill${i} {`,
      `  urgent${i}, routine${i}`,
      "    | merge",
      "    | copy(fast, slow)",
      `    | map(receipt${i}) retry(5, backoff: 100ms..30s) timeout(10s) concurrency(4) deadLetter(failed${i})`,
      "    | merge(first)",
      `    -> receipts${i}`,
      "}",
      "",
      `pipeline packing${i} {`,
      `  routine${i} | flatMap(pack${i}) retry(3) | shard(6) -> parcels${i}`,
      "}",
      "",
      `pipeline dispatch${i} {`,
      `  parcels${i}`,
      `    | split { courier: .carrier == courier, post: .carrier == post }`,
      `    -> { courier: courier${i}, post: post${i} }`,
      "}",
      "",
      `pipeline callCourier${i} { courier${i} | map(notify${i}) }`,
      `pipeline callPost${i} { post${i} | map(notify${i}) retry(8, backoff: 1s..5m) }`,
      // Chain the modules: the odd orders of one module are the phone orders of the next.
      `pipeline forward${i} { odd${i} | filter(.priority != low, dropped: failed${i}) -> failed${next}x }`,
      `topic failed${next}x: Order${i}`,
      `pipeline settle${i} { failed${next}x -> failed${i} }`,
      "",
    );
  }
  return out.join("\n") + "\n";
}

export default async function check(ctx) {
  const dist = path.join(ctx.root, "dist/compiler/index.js");
  const { createProgram, lex, nodeHost } = await import(pathToFileURL(dist).href);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flowc-bench-check-"));
  const rows = [];
  try {
    for (const lines of [1_000, 10_000]) {
      const text = generateProgram(lines);
      const actual = text.split("\n").length - 1;
      const file = path.join(dir, `generated-${lines}.flow`);
      fs.writeFileSync(file, text);
      const label = `${actual.toLocaleString("en")} lines`;

      // Warm up, and make sure the program is what it claims: valid and clean.
      const program = createProgram([file]);
      if (program.diagnostics.length > 0) throw new Error(`generated program has diagnostics: ${program.diagnostics[0].code} ${program.diagnostics[0].message}`);
      const host = { readFile: (f) => (f === file ? { text } : nodeHost.readFile(f)) };

      const lexMs = await ctx.time(() => lex(text), 9);
      const programMs = await ctx.time(() => createProgram([file], { host }), 9);
      rows.push({
        group: "check",
        name: `createProgram, ${label}`,
        value: programMs,
        unit: "ms",
        baseline: { name: "lexer alone", value: lexMs },
        better: "lower",
        note: `${Math.round((actual / programMs) * 1000).toLocaleString("en")} lines/s in-process`,
      });

      const run = (args) => {
        const r = spawnSync(process.execPath, args, { cwd: ctx.root, encoding: "utf8" });
        if (r.status !== 0) throw new Error(`${args.join(" ")} exited ${r.status}: ${r.stderr || r.stdout}`);
      };
      const startMs = await ctx.time(() => run(["-e", "0"]), 7);
      const processMs = await ctx.time(() => run([path.join(ctx.root, "bin/flowc.js"), "check", file]), 7);
      rows.push({
        group: "check",
        name: `flowc check process, ${label}`,
        value: processMs,
        unit: "ms",
        baseline: { name: "node -e 0", value: startMs },
        better: "lower",
        note: lines === 10_000 ? `aim < 500 ms: ${processMs < 500 ? "met" : "missed"}` : "",
      });
      // CPU time of the whole process (user + sys, start-up included): on a busy shared
      // machine wall time mostly measures the other processes, CPU time much less.
      const cpuOf = (code) => {
        const r = spawnSync(process.execPath, ["--input-type=module", "-e", `${code}\nconst u = process.cpuUsage(); process.stderr.write("cpu " + (u.user + u.system) / 1000 + "\\n");`], { cwd: ctx.root, encoding: "utf8" });
        const match = /cpu ([0-9.]+)/.exec(r.stderr);
        if (!match) throw new Error(`no CPU figure: ${r.stderr}`);
        return Number(match[1]);
      };
      const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      const mainUrl = pathToFileURL(path.join(ctx.root, "dist/cli/main.js")).href;
      const checkCode = `const { main } = await import(${JSON.stringify(mainUrl)}); const sink = { write() { return true; } }; await main(["check", ${JSON.stringify(file)}], { stdout: sink, stderr: sink });`;
      const startCpu = median(Array.from({ length: 5 }, () => cpuOf("")));
      const compareDist = process.env.FLOWC_BENCH_COMPARE_DIST;
      const compareUrl = compareDist && pathToFileURL(path.join(path.resolve(compareDist), "cli/main.js")).href;
      const compareCode = compareUrl && checkCode.replace(JSON.stringify(mainUrl), JSON.stringify(compareUrl));
      const checkSamples = [];
      const compareSamples = [];
      for (let i = 0; i < 5; i++) {
        checkSamples.push(cpuOf(checkCode));
        if (compareCode) compareSamples.push(cpuOf(compareCode));
      }
      const checkCpu = median(checkSamples);
      rows.push({
        group: "check",
        name: `flowc check process CPU, ${label}`,
        value: checkCpu,
        unit: "ms",
        baseline: { name: "node start CPU", value: startCpu },
        better: "lower",
        note: lines === 10_000 ? `user+sys; aim < 500 ms: ${checkCpu < 500 ? "met" : "missed"}` : "user+sys",
      });
      if (compareCode) {
        const compareCpu = median(compareSamples);
        rows.push({
          group: "check",
          name: `flowc check process CPU against the compare build, ${label}`,
          value: checkCpu,
          unit: "ms",
          baseline: { name: "compare build", value: compareCpu },
          better: "lower",
          note: `user+sys, runs interleaved; compare build ${path.resolve(compareDist)}`,
        });
        ctx.log(`${label}: process CPU ${checkCpu.toFixed(0)} ms, compare build ${compareCpu.toFixed(0)} ms`);
      }
      ctx.log(`${label}: createProgram ${programMs.toFixed(1)} ms (lexer ${lexMs.toFixed(1)} ms), process ${processMs.toFixed(0)} ms (node start ${startMs.toFixed(0)} ms), process CPU ${checkCpu.toFixed(0)} ms (node start ${startCpu.toFixed(0)} ms)`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
