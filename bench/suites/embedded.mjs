// The runtime on its embedded broker against hand-written in-memory loops doing the same work.
//
// (a) copy(3) | shard(10) | merge over 1M messages: defineWorker + runPipeline on the embedded
//     broker, at-least-once and exactly-once, against a loop that parses each record, copies it
//     to 3 lanes, places it on one of 10 shards with murmur2, merges the lanes and serializes.
// (b) examples/signup.flow: its generated workers (loaded through tsx, as `flowc run` does)
//     against a loop calling the same handlers with the same routing.
// (c) 10M messages through (a) at-least-once, reporting the peak RSS: memory stays bounded.
//     Runs when FLOWC_BENCH_LARGE=1, or when the 1M rate says it takes under 3 minutes.
//
// Every measurement runs in a child process of its own, so each peak RSS
// (process.resourceUsage().maxRSS) belongs to that measurement alone.
// FLOWC_BENCH_COMPARE_DIST=<dir>: also run (a) on the runtime built in <dir> (e.g. an earlier
// commit's `dist`), so before/after figures come from one run on the same machine load.
// Messages: FLOWC_BENCH_MESSAGES (default 1,000,000); signup users: FLOWC_BENCH_SIGNUPS (100,000).
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = fileURLToPath(import.meta.url);
const root = path.resolve(path.dirname(here), "../..");
// A child runs the runtime of FLOWC_BENCH_RUNTIME_DIST when set (an earlier build, to compare).
const runtimeUrl = pathToFileURL(path.join(process.env.FLOWC_BENCH_RUNTIME_DIST ?? path.join(root, "dist"), "runtime/index.js")).href;

const LANES = ["a", "b", "c"];
const SHARDS = 10;

/** The input of (a): the same JSON text for the runtime and the hand loop. */
function messageText(n) {
  return `{"id":"m${n}","n":${n},"tag":"t${n % 7}"}`;
}

// ---- child side ------------------------------------------------------------------------------

async function childRouting(total, delivery) {
  const rt = await import(runtimeUrl);
  const decode = (raw) =>
    typeof raw === "object" && raw !== null && typeof raw.id === "string" && typeof raw.n === "number"
      ? { ok: true, value: raw }
      : { ok: false, reason: "expected { id: string, n: number }" };
  const lanes = Object.fromEntries(
    LANES.map((lane) => [lane, rt.shard(`route/${lane}`, SHARDS, (m) => m.id, rt.emit("out", { stage: "merge" }))]),
  );
  const worker = rt.defineWorker({ id: "route", input: { topic: "in", decode }, route: rt.copy("route/copy", lanes) });
  let received = 0;
  let bytes = 0;
  const started = process.hrtime.bigint();
  const summary = await rt.runPipeline({
    workers: [worker],
    delivery,
    logLevel: "silent",
    sources: [
      {
        topic: "in",
        records: (function* () {
          for (let n = 0; n < total; n++) yield { id: `in-${n}`, raw: messageText(n) };
        })(),
      },
    ],
    sinks: {
      onRecord(_topic, record) {
        received++;
        bytes += record.value.length;
      },
    },
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (received !== LANES.length * total) throw new Error(`expected ${LANES.length * total} outputs, got ${received}`);
  return { ms, received, bytes, delivery: summary.delivery };
}

async function childRoutingHand(total) {
  const rt = await import(runtimeUrl);
  const started = process.hrtime.bigint();
  let received = 0;
  let bytes = 0;
  const CHUNK = 500;
  const shards = Array.from({ length: SHARDS }, () => []);
  for (let base = 0; base < total; base += CHUNK) {
    const end = Math.min(total, base + CHUNK);
    // copy to the lanes, shard each lane
    for (let n = base; n < end; n++) {
      const m = JSON.parse(messageText(n));
      if (typeof m.id !== "string" || typeof m.n !== "number") throw new Error("bad input");
      for (const lane of LANES) {
        const s = rt.partitionForKey(m.id, SHARDS);
        shards[s].push({ key: m.id, lane, value: m });
      }
    }
    // merge the shards into one output, serialized
    for (const list of shards) {
      for (const out of list) {
        const text = JSON.stringify(out.value);
        received++;
        bytes += text.length;
      }
      list.length = 0;
    }
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (received !== LANES.length * total) throw new Error("hand loop lost messages");
  return { ms, received, bytes };
}

function signupUser(n) {
  const channel = n % 3 === 0 ? "sms" : "email";
  const user = { id: `u${n}`, email: `user${n}@example.com`, name: `User Number${n}`, prefs: { channel, marketing: n % 4 !== 0 } };
  if (channel === "sms" || n % 5 === 0) user.phone = `+1555${String(n).padStart(7, "0")}`;
  return user;
}

async function loadSignup() {
  const { register, tsImport } = await import("tsx/esm/api");
  register();
  const gen = path.join(root, "examples/gen/bench-signup/index.ts");
  const entry = await import(pathToFileURL(gen).href);
  const handlers = await tsImport(pathToFileURL(path.join(root, "examples/handlers/signup.ts")).href, import.meta.url);
  return { entry, handlers };
}

async function childSignup(total) {
  const rt = await import(runtimeUrl);
  const { entry } = await loadSignup();
  const workers = await entry.load();
  // A topic declared without partitions has one (the work-in-progress topology emitter may
  // leave the field out).
  const topology = { ...entry.topology, topics: entry.topology.topics.map((t) => (t.partitions === undefined ? { ...t, partitions: 1 } : t)) };
  const counts = new Map();
  const started = process.hrtime.bigint();
  const verifiedAt = "2026-01-02T03:04:05Z";
  const summary = await rt.runPipeline({
    workers,
    topology,
    logLevel: "silent",
    sources: [
      {
        topic: "signups",
        records: (function* () {
          for (let n = 0; n < total; n++) yield { id: `s${n}`, key: `u${n}`, raw: JSON.stringify(signupUser(n)) };
        })(),
      },
      {
        topic: "verified",
        records: (function* () {
          for (let n = 0; n < total; n++) yield { id: `v${n}`, key: `u${n}`, raw: JSON.stringify({ user: signupUser(n), verifiedAt }) };
        })(),
      },
    ],
    sinks: {
      onRecord(topic) {
        counts.set(topic, (counts.get(topic) ?? 0) + 1);
      },
    },
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const dead = summary.deadLetters.reduce((n, d) => n + d.records, 0);
  return { ms, outputs: Object.fromEntries(counts), dead };
}

async function childSignupHand(total) {
  const rt = await import(runtimeUrl);
  const { handlers } = await loadSignup();
  const types = await import(pathToFileURL(path.join(root, "examples/gen/bench-signup/types.ts")).href);
  const verifiedAt = "2026-01-02T03:04:05Z";
  const counts = {};
  const out = (topic, value) => {
    JSON.stringify(value);
    counts[topic] = (counts[topic] ?? 0) + 1;
  };
  const ctx = (stage) => ({ stage, messageId: "", attempt: 1, signal: new AbortController().signal });
  const verifyCtx = ctx("verify/verificationFor");
  const started = process.hrtime.bigint();
  for (let n = 0; n < total; n++) {
    // verify: signups | map(verificationFor) -> verifications
    const user = types.decodeUser(JSON.parse(JSON.stringify(signupUser(n))));
    if (!user.ok) throw new Error(user.reason);
    try {
      out("verifications", handlers.verificationFor(user.value, verifyCtx));
    } catch {
      counts.dead = (counts.dead ?? 0) + 1;
    }
    // onboard: verified | copy(welcome, notify)
    const text = JSON.stringify({ user: signupUser(n), verifiedAt });
    const v = types.decodeVerified(JSON.parse(text));
    if (!v.ok) throw new Error(v.reason);
    // welcome: welcomes | map(welcomeEmail) -> emails
    out("emails", handlers.welcomeEmail(types.decodeVerified(JSON.parse(text)).value));
    // notify: filter, shard(6), split
    const notice = types.decodeVerified(JSON.parse(text)).value;
    if (!notice.user.prefs.marketing) {
      out("noMarketing", notice);
      continue;
    }
    rt.partitionForKey(notice.user.id, 6);
    const lane = notice.user.prefs.channel === "email" ? "emailNotices" : "textNotices";
    const forwarded = types.decodeVerified(JSON.parse(JSON.stringify(notice))).value;
    try {
      if (lane === "emailNotices") out("emails", handlers.noticeEmail(forwarded));
      else out("texts", handlers.noticeText(forwarded));
    } catch {
      counts.dead = (counts.dead ?? 0) + 1;
    }
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { ms, outputs: counts };
}

async function child(kind, total, delivery) {
  const result =
    kind === "routing"
      ? await childRouting(total, delivery)
      : kind === "routing-hand"
        ? await childRoutingHand(total)
        : kind === "signup"
          ? await childSignup(total)
          : await childSignupHand(total);
  const usage = process.resourceUsage();
  process.stdout.write(JSON.stringify({ ...result, maxRssMiB: usage.maxRSS / 1024, cpuS: (usage.userCPUTime + usage.systemCPUTime) / 1e6 }) + "\n");
}

// ---- parent side -----------------------------------------------------------------------------

function measure(ctx, kind, total, delivery = "", runtimeDist = undefined) {
  const args = [...(process.env.FLOWC_BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean), here, "--child", kind, String(total), delivery];
  const env = { ...process.env };
  if (runtimeDist === undefined) delete env.FLOWC_BENCH_RUNTIME_DIST;
  else env.FLOWC_BENCH_RUNTIME_DIST = runtimeDist;
  const run = spawnSync(process.execPath, args, { cwd: root, encoding: "utf8", maxBuffer: 1 << 24, env });
  if (run.status !== 0) throw new Error(`${kind} ${delivery} failed: ${run.stderr.slice(-2000)}`);
  const result = JSON.parse(run.stdout.trim().split("\n").pop());
  ctx.log(`${kind}${delivery ? ` (${delivery})` : ""}${runtimeDist ? " [compare build]" : ""} ${total}: ${(result.ms / 1000).toFixed(2)} s, ${Math.round(total / (result.ms / 1000))} msg/s, ${result.cpuS.toFixed(1)} CPU s, peak RSS ${result.maxRssMiB.toFixed(0)} MiB`);
  return result;
}

export default async function embedded(ctx) {
  const total = Number(process.env.FLOWC_BENCH_MESSAGES ?? 1_000_000);
  const signups = Number(process.env.FLOWC_BENCH_SIGNUPS ?? 100_000);
  const rows = [];
  const group = "embedded";
  const rate = (n, r) => n / (r.ms / 1000);
  // Per CPU second (user + system, GC threads included): steadier than wall time on a busy machine.
  const cpuRate = (n, r) => n / r.cpuS;
  const label = total >= 1e6 ? `${total / 1e6}M` : `${total / 1e3}k`;

  // (a) routing
  const hand = measure(ctx, "routing-hand", total);
  const handRate = rate(total, hand);
  rows.push({ group, name: `hand loop copy(3)|shard(10)|merge ${label}`, value: handRate, unit: "msg/s", better: "higher", note: `peak RSS ${hand.maxRssMiB.toFixed(0)} MiB` });
  let alo;
  for (const delivery of ["at-least-once", "exactly-once"]) {
    const r = measure(ctx, "routing", total, delivery);
    if (delivery === "at-least-once") alo = r;
    rows.push({
      group,
      name: `copy(3)|shard(10)|merge ${label} ${delivery}`,
      value: rate(total, r),
      unit: "msg/s",
      baseline: { name: "hand loop", value: handRate },
      better: "higher",
      note: `${(r.ms / 1000).toFixed(1)} s, ${(r.cpuS).toFixed(1)} CPU s, peak RSS ${r.maxRssMiB.toFixed(0)} MiB`,
    });
    rows.push({
      group,
      name: `copy(3)|shard(10)|merge ${label} ${delivery} per CPU s`,
      value: cpuRate(total, r),
      unit: "msg/CPU s",
      baseline: { name: "hand loop", value: cpuRate(total, hand) },
      better: "higher",
    });
    rows.push({ group, name: `peak RSS ${label} ${delivery}`, value: r.maxRssMiB, unit: "MiB", better: "lower" });
    const compare = process.env.FLOWC_BENCH_COMPARE_DIST;
    if (compare) {
      const before = measure(ctx, "routing", total, delivery, path.resolve(compare));
      rows.push({
        group,
        name: `compare build ${label} ${delivery}`,
        value: rate(total, before),
        unit: "msg/s",
        baseline: { name: "hand loop", value: handRate },
        better: "higher",
        note: `${(before.ms / 1000).toFixed(1)} s, ${before.cpuS.toFixed(1)} CPU s, peak RSS ${before.maxRssMiB.toFixed(0)} MiB`,
      });
      rows.push({
        group,
        name: `compare build ${label} ${delivery} per CPU s`,
        value: cpuRate(total, before),
        unit: "msg/CPU s",
        baseline: { name: "hand loop", value: cpuRate(total, hand) },
        better: "higher",
      });
      rows.push({
        group,
        name: `this build vs compare build ${label} ${delivery}, per CPU s`,
        value: cpuRate(total, r),
        unit: "msg/CPU s",
        baseline: { name: "compare build", value: cpuRate(total, before) },
        better: "higher",
      });
    }
  }

  // (b) the signup DAG
  try {
    const b = spawnSync(process.execPath, ["bin/flowc.js", "build", "examples/signup.flow", "--out", "examples/gen/bench-signup"], { cwd: root, encoding: "utf8" });
    if (b.status !== 0) throw new Error(`flowc build failed: ${b.stderr}`);
    const signupHand = measure(ctx, "signup-hand", signups);
    const signup = measure(ctx, "signup", signups);
    const signupLabel = `${signups / 1e3}k users`;
    rows.push({ group, name: `hand loop signup ${signupLabel}`, value: rate(signups, signupHand), unit: "users/s", better: "higher" });
    rows.push({
      group,
      name: `signup.flow ${signupLabel} (6 workers)`,
      value: rate(signups, signup),
      unit: "users/s",
      baseline: { name: "hand loop", value: rate(signups, signupHand) },
      better: "higher",
      note: `${(signup.ms / 1000).toFixed(1)} s, ${signup.cpuS.toFixed(1)} CPU s (hand ${signupHand.cpuS.toFixed(1)}), peak RSS ${signup.maxRssMiB.toFixed(0)} MiB, outputs ${JSON.stringify(signup.outputs)}, dead ${signup.dead}`,
    });
  } catch (error) {
    rows.push({ group, name: "signup.flow", value: NaN, unit: "", note: String(error.message ?? error).slice(0, 300) });
  }

  // (c) 10M messages, bounded memory
  const large = 10 * total;
  const projectedS = large / rate(total, alo);
  if (process.env.FLOWC_BENCH_LARGE === "1" || projectedS < 180) {
    const r = measure(ctx, "routing", large, "at-least-once");
    rows.push({
      group,
      name: `copy(3)|shard(10)|merge ${large / 1e6}M at-least-once`,
      value: rate(large, r),
      unit: "msg/s",
      baseline: { name: "hand loop", value: handRate },
      better: "higher",
      note: `${(r.ms / 1000).toFixed(1)} s, ${r.cpuS.toFixed(1)} CPU s`,
    });
    rows.push({ group, name: `peak RSS ${large / 1e6}M at-least-once`, value: r.maxRssMiB, unit: "MiB", baseline: { name: `${label} run`, value: alo.maxRssMiB }, better: "lower", note: "bounded: close to the 1M run's" });
  } else {
    rows.push({ group, name: `${large / 1e6}M run`, value: NaN, unit: "", note: `skipped: projected ${projectedS.toFixed(0)} s; set FLOWC_BENCH_LARGE=1` });
  }
  return rows;
}

if (process.argv[2] === "--child") {
  await child(process.argv[3], Number(process.argv[4]), process.argv[5] || undefined);
}
