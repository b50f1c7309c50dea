/**
 * The fault harness: the photos pipeline (`flowc build examples/photos.flow`) on Kafka, its
 * workers in separate processes (test/kafka/support/photos-worker.ts) under a small supervisor
 * that restarts a process that dies on its own, like a deployment would. A scenario kills,
 * adds, removes processes or stops the broker while the run goes; the harness then compares
 * every output with the expected set, message by message.
 *
 * Input: `messages` photos, keyed and identified by photo id (the `flowc-id` header). Every
 * `poisonEvery`-th photo has no pixels (the render handler throws NonRetriableError in every
 * lane: it lands in each lane's dead-letter topic at once); every `malformedEvery`-th record is not
 * JSON (the route worker dead-letters it at once).
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "../../../compiler/emit/build.js";
import { render, type Photo, type Rendition } from "../../../examples/handlers/photos.js";
import { listDeadLetters, type DeadLetter } from "../../../runtime/dlq.js";
import { applyTopicPlan, createKafkaTransport, type KafkaTransport } from "../../../runtime/kafka/index.js";
import { readTopic } from "../../../runtime/read.js";
import type { Topology } from "../../../runtime/topology.js";
import type { Consumer, ConsumedRecord } from "../../../runtime/transport.js";
import type { HandlerContext } from "../../../stdlib/index.js";
import { Headers } from "../../../stdlib/headers.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(here, "../../..");
const WORKER_SCRIPT = path.join(here, "photos-worker.ts");
export const FORMATS = ["4k", "1080p", "gif"] as const;
/** The render handler throws NonRetriableError for a photo without pixels: dead-lettered at
 *  its first attempt, no retry topic involved. */
export const POISON_ATTEMPTS = 1;

// ---- the build ----------------------------------------------------------------------------------

export interface PhotosBuild {
  readonly dir: string;
  readonly topology: Topology;
}

/** `flowc build examples/photos.flow` into a temp dir. */
export async function buildPhotos(): Promise<PhotosBuild> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "flowc-photos-"));
  const result = await build([path.join(REPO, "examples/photos.flow")], { outDir: dir, cwd: REPO });
  if (result.hasErrors) {
    throw new Error(`flowc build examples/photos.flow failed: ${result.diagnostics.map((d) => d.message).join("; ")}`);
  }
  for (const [rel, text] of result.files) {
    const file = path.join(dir, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  // The generated modules are ESM (a deployment builds inside a "type": "module" project).
  writeFileSync(path.join(dir, "package.json"), `${JSON.stringify({ type: "module", private: true })}\n`);
  const topology = JSON.parse(readFileSync(path.join(dir, "topology.json"), "utf8")) as Topology;
  return { dir, topology };
}

export function removeBuild(b: PhotosBuild): void {
  rmSync(b.dir, { recursive: true, force: true });
}

// ---- the input and what it must give -----------------------------------------------------------

const SIZES = [
  [4032, 3024],
  [6000, 4000],
  [3000, 2000],
  [1920, 1080],
  [5472, 3648],
  [3024, 4032],
  [1080, 1350],
  [320, 200],
] as const;
const TAGS = [["beach", "sunset"], ["city"], [], ["family", "birthday", "cake"]];

export type Kind = "photo" | "poison" | "malformed";

export function kindOf(i: number, poisonEvery: number, malformedEvery: number): Kind {
  if (malformedEvery > 0 && i % malformedEvery === malformedEvery - 1) return "malformed";
  if (poisonEvery > 0 && i % poisonEvery === poisonEvery - 2) return "poison";
  return "photo";
}

export function photo(i: number, poison = false): Photo {
  const [width, height] = SIZES[i % SIZES.length];
  const owner = `user-${i % 997}`;
  const id = `photo-${i}`;
  return {
    id,
    owner,
    url: `https://img.example.com/${owner}/${id}.jpg`,
    width: poison ? 0 : width,
    height,
    tags: TAGS[i % TAGS.length],
  };
}

export function photoIndex(id: string): number {
  return id.startsWith("photo-") ? Number(id.slice(6)) : -1;
}

export function expected(i: number, format: (typeof FORMATS)[number]): Rendition {
  return render(photo(i), { lane: format } as HandlerContext);
}

// ---- processes ----------------------------------------------------------------------------------

interface Proc {
  readonly name: string;
  child: ChildProcess;
  /** What we asked of it: its exit is then not a crash. */
  expecting: "nothing" | "stop" | "kill";
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  consumed: number;
}

export interface FaultRunOptions {
  readonly brokers: string;
  readonly messages: number;
  readonly poisonEvery: number;
  readonly malformedEvery: number;
  readonly delivery: "exactly-once" | "at-least-once";
  readonly log?: (line: string) => void;
  /** Environment for the worker processes (session timeout, in-flight bound...). */
  readonly env?: Readonly<Record<string, string>>;
  /** Worker process exits (restarted) tolerated before the run counts as broken (default 20). */
  readonly maxCrashes?: number;
}

export interface Verification {
  readonly renditions: number;
  readonly distinct: number;
  readonly missing: number;
  readonly duplicates: number;
  readonly wrong: string[];
  readonly deadLetters: Record<string, { count: number; distinct: number; bad: string[] }>;
  /** Per stage, from the topics: in, out, dead (and retries for the lanes). */
  readonly stages: Record<string, { in: number; out: number; dead: number; retried?: number }>;
  readonly problems: string[];
}

export class PhotosRun {
  readonly prefix: string;
  readonly transport: KafkaTransport;
  readonly procs = new Map<string, Proc>();
  readonly events: string[] = [];
  private readonly started = Date.now();
  private verifier: Consumer | undefined;
  private verifying: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly seen = FORMATS.map(() => new Uint8Array(0));
  /** Renditions seen by the live verifier (distinct photo x format). */
  progressDistinct = 0;
  crashes = 0;
  readonly valid: number;
  readonly poison: number;
  readonly malformed: number;

  constructor(
    readonly build: PhotosBuild,
    readonly options: FaultRunOptions,
  ) {
    this.prefix = `fault-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}-`;
    this.transport = createKafkaTransport({
      brokers: options.brokers,
      clientId: `${this.prefix}harness`,
      topicPrefix: this.prefix,
      groupPrefix: this.prefix,
      transactional: options.delivery === "exactly-once",
      logLevel: "nothing",
      heartbeatIntervalMs: 500,
    });
    let valid = 0;
    let poison = 0;
    let malformed = 0;
    for (let i = 0; i < options.messages; i++) {
      const k = kindOf(i, options.poisonEvery, options.malformedEvery);
      if (k === "photo") valid++;
      else if (k === "poison") poison++;
      else malformed++;
    }
    this.valid = valid;
    this.poison = poison;
    this.malformed = malformed;
    for (let f = 0; f < FORMATS.length; f++) this.seen[f] = new Uint8Array(options.messages);
  }

  log(line: string): void {
    this.options.log?.(`[${((Date.now() - this.started) / 1000).toFixed(1)}s] ${line}`);
  }

  /** Topics from the build's topology.json, then the input. */
  async setup(): Promise<void> {
    const report = await applyTopicPlan(this.transport, this.build.topology);
    if (report.differing.length > 0) throw new Error(`topics differ from the plan: ${JSON.stringify(report.differing)}`);
    const producer = await this.transport.producer();
    const t0 = Date.now();
    const chunk = 5000;
    for (let from = 0; from < this.options.messages; from += chunk) {
      const records = [];
      for (let i = from; i < Math.min(this.options.messages, from + chunk); i++) {
        const k = kindOf(i, this.options.poisonEvery, this.options.malformedEvery);
        const id = `photo-${i}`;
        const value = k === "malformed" ? `{"id":"${id}","width":` : JSON.stringify(photo(i, k === "poison"));
        records.push({ topic: "photos", key: id, value, headers: { [Headers.id]: id } });
      }
      await producer.send(records);
    }
    await producer.close();
    const marks = await this.transport.watermarks("photos");
    const stored = marks.reduce((n, m) => n + m.high - m.low, 0);
    if (stored !== this.options.messages) throw new Error(`the input load stored ${stored} records for ${this.options.messages} sent: ${JSON.stringify(marks)}`);
    this.log(`loaded ${this.options.messages} photos (${this.poison} poison, ${this.malformed} malformed) in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    await this.startVerifier();
  }

  /** Reads renditions as they come (read_committed with transactions) for progress. */
  private async startVerifier(): Promise<void> {
    const consumer = await this.transport.consumer({ groupId: "verify", topics: ["renditions"], clientId: "verify" });
    this.verifier = consumer;
    const last = new Map<number, number>();
    this.verifying = (async () => {
      while (!this.closed) {
        const batches = await consumer.poll({ maxRecords: 5000, maxWaitMs: 200 });
        for (const b of batches) {
          const seenUpTo = last.get(b.partition) ?? -1;
          for (const r of b.records) {
            // A re-read after a rejoin (the verifier commits nothing) is not a duplicate.
            if (r.offset <= seenUpTo) continue;
            const v = JSON.parse(r.value ?? "null") as Rendition | null;
            const f = FORMATS.indexOf(v?.format as (typeof FORMATS)[number]);
            const i = photoIndex(v?.photoId ?? "");
            if (f >= 0 && i >= 0 && i < this.options.messages && this.seen[f][i] === 0) {
              this.seen[f][i] = 1;
              this.progressDistinct++;
            }
          }
          last.set(b.partition, b.records[b.records.length - 1].offset);
        }
      }
    })().catch((error: unknown) => {
      if (!this.closed) this.log(`verifier stopped: ${(error as Error).message}`);
    });
  }

  get expectedRenditions(): number {
    return this.valid * FORMATS.length;
  }

  get fraction(): number {
    return this.progressDistinct / this.expectedRenditions;
  }

  spawn(name: string, extraEnv: Record<string, string> = {}): void {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      FLOWC_BROKERS: this.options.brokers,
      FLOWC_CLIENT_ID: `${this.prefix}${name}`,
      FLOWC_GROUP_PREFIX: this.prefix,
      FLOWC_TOPIC_PREFIX: this.prefix,
      FLOWC_TRANSACTIONAL: this.options.delivery === "exactly-once" ? "1" : "0",
      FLOWC_DELIVERY: this.options.delivery,
      FLOWC_KAFKA_LOG_LEVEL: "nothing",
      FLOWC_KAFKA_SESSION_TIMEOUT_MS: "6000",
      FLOWC_KAFKA_HEARTBEAT_MS: "500",
      ...this.options.env,
      ...extraEnv,
    };
    delete env.VITEST;
    delete env.VITEST_POOL_ID;
    delete env.VITEST_WORKER_ID;
    const child = fork(WORKER_SCRIPT, [this.build.dir], {
      execArgv: ["--import", "tsx"],
      env,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const proc: Proc = {
      name,
      child,
      expecting: "nothing",
      consumed: 0,
      exited: new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal }))),
    };
    child.on("message", (m: { type?: string; workers?: Array<{ consumed: number }> }) => {
      if (m?.type === "progress" && m.workers) proc.consumed = m.workers.reduce((n, w) => n + w.consumed, 0);
    });
    this.procs.set(name, proc);
    this.events.push(`start ${name}`);
    void proc.exited.then(({ code, signal }) => {
      if (this.procs.get(name) !== proc) return;
      if (proc.expecting !== "nothing" || this.closed) return;
      // Died on its own (a failed run): a supervisor starts it again.
      this.crashes++;
      this.events.push(`${name} exited (code ${code}, signal ${signal}); restarting`);
      this.log(`${name} exited by itself (code ${code}, signal ${signal}); restarting it`);
      setTimeout(() => {
        if (!this.closed && this.procs.get(name) === proc) this.spawn(name, extraEnv);
      }, 500);
    });
  }

  /** SIGKILL: no graceful anything. */
  async kill(name: string): Promise<void> {
    const proc = this.procs.get(name);
    if (proc === undefined) throw new Error(`no process ${name}`);
    proc.expecting = "kill";
    proc.child.kill("SIGKILL");
    await proc.exited;
    this.procs.delete(name);
    this.events.push(`SIGKILL ${name}`);
  }

  /** SIGTERM: finishes running handlers, commits, leaves the group. */
  async stop(name: string): Promise<void> {
    const proc = this.procs.get(name);
    if (proc === undefined) throw new Error(`no process ${name}`);
    proc.expecting = "stop";
    proc.child.kill("SIGTERM");
    const exit = await proc.exited;
    this.procs.delete(name);
    this.events.push(`SIGTERM ${name} -> code ${exit.code}`);
    if (exit.code !== 0) throw new Error(`${name} did not stop cleanly on SIGTERM (code ${exit.code}, signal ${exit.signal})`);
  }

  /** Resolves once the live verifier has seen `fraction` of the renditions. */
  async waitFor(fraction: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastLog = 0;
    while (this.fraction < fraction) {
      if (this.crashes > (this.options.maxCrashes ?? 20)) throw new Error(`worker processes keep dying (${this.crashes} exits): ${this.events.slice(-5).join("; ")}`);
      if (Date.now() > deadline) throw new Error(`only ${this.progressDistinct} of ${this.expectedRenditions} renditions after ${timeoutMs} ms (waiting for ${fraction})`);
      if (Date.now() - lastLog > 5000) {
        lastLog = Date.now();
        this.log(`${this.progressDistinct} of ${this.expectedRenditions} renditions`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Every group caught up on its input and retry topics, every rendition and dead letter there. */
  async waitDone(timeoutMs: number): Promise<void> {
    await this.waitFor(1, timeoutMs);
    const deadline = Date.now() + timeoutMs;
    const groups = this.build.topology.workers.map((w) => ({ group: w.group, topics: [w.input, ...w.retryTopics] }));
    for (;;) {
      let lagging: string | undefined;
      for (const g of groups) {
        for (const topic of g.topics) {
          const [marks, committed] = await Promise.all([this.transport.watermarks(topic), this.transport.committed(g.group, topic)]);
          if (!marks.every((m) => (committed[m.partition] ?? m.low) >= m.high)) lagging ??= `${g.group} on ${topic}`;
        }
      }
      if (lagging === undefined) {
        const dead = await this.deadLetterCount();
        if (dead >= this.poison * FORMATS.length + this.malformed) return;
        lagging = `dead letters (${dead} of ${this.poison * FORMATS.length + this.malformed})`;
      }
      if (Date.now() > deadline) throw new Error(`not drained after ${timeoutMs} ms: ${lagging}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  private async deadLetterCount(): Promise<number> {
    let n = 0;
    for (const w of this.build.topology.workers) n += (await listDeadLetters(this.transport, w.deadLetter)).length;
    return n;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.procs.keys()].map((name) => this.stop(name)));
  }

  /** Reads every topic back and checks it against the input, message by message. */
  async verify(): Promise<Verification> {
    const problems: string[] = [];
    const n = this.options.messages;
    const kinds = Array.from({ length: n }, (_, i) => kindOf(i, this.options.poisonEvery, this.options.malformedEvery));

    // Renditions: exactly one per valid photo and format, each the render of that photo.
    const renditions = await readTopic(this.transport, "renditions");
    const counts = FORMATS.map(() => new Uint16Array(n));
    const wrong: string[] = [];
    for (const r of renditions) {
      const v = JSON.parse(r.value ?? "null") as Rendition;
      const f = FORMATS.indexOf(v.format as (typeof FORMATS)[number]);
      const i = photoIndex(v.photoId);
      if (f < 0 || i < 0 || i >= n || kinds[i] !== "photo") {
        wrong.push(`unexpected rendition ${r.value}`);
        continue;
      }
      const want = expected(i, FORMATS[f]);
      if (JSON.stringify(v) !== JSON.stringify(want)) wrong.push(`photo-${i}/${FORMATS[f]}: got ${r.value}, expected ${JSON.stringify(want)}`);
      counts[f][i]++;
    }
    let missing = 0;
    let duplicates = 0;
    let distinct = 0;
    for (let f = 0; f < FORMATS.length; f++) {
      for (let i = 0; i < n; i++) {
        if (kinds[i] !== "photo") continue;
        const c = counts[f][i];
        if (c === 0) missing++;
        else distinct++;
        if (c > 1) duplicates += c - 1;
      }
    }

    // Dead letters: every malformed record in the route's, every poison photo in each lane's.
    const deadLetters: Verification["deadLetters"] = {};
    const stages: Verification["stages"] = {};
    const route = this.build.topology.workers.find((w) => w.input === "photos")!;
    for (const w of this.build.topology.workers) {
      const list = await listDeadLetters(this.transport, w.deadLetter);
      const isRoute = w === route;
      const bad: string[] = [];
      const ids = new Set<string>();
      for (const d of list) {
        ids.add(d.id);
        // Lane inputs carry ids derived by the route; the photo is in the original value.
        const i = isRoute ? photoIndex(d.id) : photoIndex(photoIdOf(d.value));
        const kind = i >= 0 && i < n ? kinds[i] : undefined;
        if (isRoute ? kind !== "malformed" || d.reason !== "malformed" : kind !== "poison" || d.reason !== "handler-error" || d.attempts !== POISON_ATTEMPTS) {
          bad.push(describeDead(d));
        }
      }
      deadLetters[w.id] = { count: list.length, distinct: ids.size, bad };
      const want = isRoute ? this.malformed : this.poison;
      if (ids.size !== want) problems.push(`${w.deadLetter}: ${ids.size} distinct dead letters, expected ${want}`);
    }

    // Conservation, from the topics: in = out + dead at every stage.
    const photos = await readTopic(this.transport, "photos");
    const laneTopics = route.outputs;
    const laneIn = new Map<string, ConsumedRecord[]>();
    for (const t of laneTopics) laneIn.set(t, await readTopic(this.transport, t));
    stages[route.id] = {
      in: photos.length,
      out: [...laneIn.values()].reduce((s, l) => s + l.length, 0),
      dead: deadLetters[route.id].count,
    };
    if (stages[route.id].in !== n) {
      const offsets = new Set(photos.map((r) => `${r.partition}/${r.offset}`)).size;
      const ids = new Set(photos.map((r) => r.headers[Headers.id])).size;
      const marks = await this.transport.watermarks("photos");
      problems.push(`photos holds ${stages[route.id].in} records (${offsets} distinct offsets, ${ids} distinct ids), ${n} were produced; ${JSON.stringify(marks)}`);
    }
    if (stages[route.id].out !== (this.valid + this.poison) * FORMATS.length) {
      problems.push(`route emitted ${stages[route.id].out} records, expected ${(this.valid + this.poison) * FORMATS.length}`);
    }
    for (const w of this.build.topology.workers) {
      if (w === route) continue;
      const input = laneIn.get(w.input) ?? [];
      const ids = new Set(input.map((r) => r.headers[Headers.id]));
      let retried = 0;
      for (const t of w.retryTopics) retried += (await readTopic(this.transport, t)).length;
      const format = FORMATS.find((f) => w.id.includes(`.${f}.`))!;
      const out = renditions.filter((r) => (JSON.parse(r.value ?? "{}") as Rendition).format === format).length;
      stages[w.id] = { in: input.length, out, dead: deadLetters[w.id].count, retried };
      if (ids.size !== input.length) problems.push(`${w.input}: ${input.length - ids.size} duplicate records`);
      if (input.length !== out + deadLetters[w.id].count) problems.push(`${w.id}: in ${input.length} != out ${out} + dead ${deadLetters[w.id].count}`);
    }
    return { renditions: renditions.length, distinct, missing, duplicates, wrong, deadLetters, stages, problems };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.procs.values()) {
      p.expecting = "kill";
      p.child.kill("SIGKILL");
    }
    await Promise.all([...this.procs.values()].map((p) => p.exited));
    this.procs.clear();
    this.verifier?.wakeup();
    await this.verifying;
    await this.transport.close();
  }
}

function photoIdOf(value: string | null): string {
  try {
    return (JSON.parse(value ?? "null") as { id?: string } | null)?.id ?? "";
  } catch {
    return "";
  }
}

function describeDead(d: DeadLetter): string {
  return `${d.id} ${d.reason} after ${d.attempts}: ${d.error}`;
}
