// A single-node Apache Kafka broker (KRaft, broker + controller in one JVM) for development
// and tests, built from Maven Central jars: no Docker, no Kafka download from elsewhere.
//
//   import { ensureKafka, kafkaAvailable } from './scripts/kafka-broker.mjs';
//   const avail = kafkaAvailable();            // { ok: true } | { ok: false, reason }
//   const kafka = await ensureKafka({ log: console.log });
//   kafka.brokers      // '127.0.0.1:9092'
//   kafka.startedByUs  // false when a broker was already up on the port
//   await kafka.stop() // stops the broker only if this call started it
//
// Plain Node ESM, Node built-ins only. kafkajs (from the project's node_modules) is used for the
// readiness probe when it is installed; without it a raw Kafka ApiVersions request is used.
// See docs/kafka-dev.md.

import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const SCRIPTS_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(SCRIPTS_DIR, "..");
const KAFKA_CONF_DIR = path.join(SCRIPTS_DIR, "kafka");

/** Newest patch release of each line that Maven Central serves (checked 4.1.3 / 3.9.3: not served). */
export const KAFKA_LINES = { 4.1: "4.1.2", 3.9: "3.9.2" };
export const DEFAULT_VERSION = KAFKA_LINES["4.1"];
export const DEFAULT_PORT = 9092;
export const HOST = "127.0.0.1";

const DEFAULT_HEAP = "768m";
const DEFAULT_START_TIMEOUT_MS = 120_000;
const DEFAULT_STOP_TIMEOUT_MS = 30_000;
const MARKER_PROP = "flowc.kafka.port";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const noop = () => {};

// ---------------------------------------------------------------------------------------------
// configuration

/** Maps '4.1' / '3.9' to the newest patch release; full versions pass through. */
export function normalizeVersion(v) {
  const s = String(v ?? "").trim();
  if (!s) return DEFAULT_VERSION;
  if (KAFKA_LINES[s]) return KAFKA_LINES[s];
  if (!/^\d+\.\d+\.\d+$/.test(s)) {
    throw new Error(
      `FLOWC_KAFKA_VERSION must look like 4.1.2 or 4.1, got '${s}'`,
    );
  }
  return s;
}

function parsePort(p) {
  const n = Number(p);
  if (!Number.isInteger(n) || n < 1 || n > 65534)
    throw new Error(`bad Kafka port '${p}'`);
  return n;
}

/**
 * Every path and setting of one broker. Options win over env vars
 * (FLOWC_KAFKA_VERSION, FLOWC_KAFKA_PORT, FLOWC_KAFKA_HOME, FLOWC_KAFKA_HEAP).
 */
export function kafkaConfig(opts = {}) {
  const env = process.env;
  const version = normalizeVersion(opts.version ?? env.FLOWC_KAFKA_VERSION);
  const port = parsePort(opts.port ?? env.FLOWC_KAFKA_PORT ?? DEFAULT_PORT);
  const home = path.resolve(
    opts.home ?? env.FLOWC_KAFKA_HOME ?? path.join(REPO_ROOT, ".kafka"),
  );
  const [major, minor] = version.split(".").map(Number);
  const log4j2 = major >= 4;
  const versionDir = path.join(home, version);
  return {
    version,
    major,
    minor,
    port,
    controllerPort: port + 1,
    host: HOST,
    brokers: `${HOST}:${port}`,
    heap: opts.heap ?? env.FLOWC_KAFKA_HEAP ?? DEFAULT_HEAP,
    home,
    versionDir,
    libsDir: path.join(versionDir, "libs"),
    dataDir: path.join(versionDir, `data-${port}`),
    propsFile: path.join(versionDir, `server-${port}.properties`),
    logFile: path.join(home, `broker-${port}.log`),
    pidFile: path.join(home, `broker-${port}.pid`),
    stateFile: path.join(home, `broker-${port}.json`),
    lockFile: path.join(home, `broker-${port}.lock`),
    // Kafka 4.x logs through log4j2, 3.x through reload4j (log4j 1.x API).
    loggingProfile: log4j2 ? "log4j2" : "reload4j",
    log4j2Version:
      major > 4 || (major === 4 && minor >= 2) ? "2.25.3" : "2.24.3",
    loggingJvmProp: log4j2
      ? `-Dlog4j2.configurationFile=${path.join(KAFKA_CONF_DIR, "log4j2.properties")}`
      : `-Dlog4j.configuration=file:${path.join(KAFKA_CONF_DIR, "log4j.properties")}`,
    minJava: major >= 4 ? 17 : 11,
    startTimeoutMs: Number(
      opts.timeoutMs ??
        env.FLOWC_KAFKA_START_TIMEOUT_MS ??
        DEFAULT_START_TIMEOUT_MS,
    ),
  };
}

export function serverProperties(cfg) {
  const lines = [
    "# Written by scripts/kafka-broker.mjs on every start; edits here are lost.",
    "# Single-node KRaft: broker and controller in one process.",
    "process.roles=broker,controller",
    "node.id=1",
    `controller.quorum.voters=1@${cfg.host}:${cfg.controllerPort}`,
    `listeners=PLAINTEXT://${cfg.host}:${cfg.port},CONTROLLER://${cfg.host}:${cfg.controllerPort}`,
    `advertised.listeners=PLAINTEXT://${cfg.host}:${cfg.port}`,
    "controller.listener.names=CONTROLLER",
    "inter.broker.listener.name=PLAINTEXT",
    "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
    `log.dirs=${cfg.dataDir}`,
    "num.partitions=1",
    "auto.create.topics.enable=true",
    // One node: every internal topic must have replication factor 1, or the group and
    // transaction coordinators never become available.
    "offsets.topic.replication.factor=1",
    "transaction.state.log.replication.factor=1",
    "transaction.state.log.min.isr=1",
    // Fewer partitions for the internal topics (default 50): the first consumer group and
    // the first transaction on a fresh data dir come up much faster.
    "offsets.topic.num.partitions=1",
    "transaction.state.log.num.partitions=1",
    "group.initial.rebalance.delay.ms=0",
    // Small machine: fewer threads and a smaller log-cleaner buffer (default 128 MiB).
    "num.network.threads=2",
    "num.io.threads=4",
    "log.cleaner.dedupe.buffer.size=16777216",
  ];
  if (cfg.major >= 4) {
    lines.push(
      "share.coordinator.state.topic.replication.factor=1",
      "share.coordinator.state.topic.min.isr=1",
    );
  }
  return lines.join("\n") + "\n";
}

// ---------------------------------------------------------------------------------------------
// prerequisites

function javaBin() {
  const jh = process.env.JAVA_HOME;
  if (jh && fs.existsSync(path.join(jh, "bin", "java")))
    return path.join(jh, "bin", "java");
  return "java";
}

/** Major version of the java on PATH (or JAVA_HOME), or null when there is none. */
export function javaMajorVersion() {
  const r = spawnSync(javaBin(), ["-version"], { encoding: "utf8" });
  if (r.error || r.status !== 0) return null;
  const m = /version "(\d+)(?:\.(\d+))?/.exec(r.stderr + r.stdout);
  if (!m) return 0;
  return m[1] === "1" ? Number(m[2]) : Number(m[1]);
}

function hasMaven() {
  const r = spawnSync("mvn", ["--version"], { encoding: "utf8" });
  return !r.error && r.status === 0;
}

function libsReady(cfg) {
  return fs.existsSync(path.join(cfg.libsDir, `kafka_2.13-${cfg.version}.jar`));
}

/**
 * Whether a broker can be run here: java (17+ for Kafka 4, 11+ for 3.x) and, unless the jars
 * are already cached under .kafka/<version>/libs, Maven.
 * @returns {{ ok: true } | { ok: false, reason: string }}
 */
export function kafkaAvailable(opts = {}) {
  let cfg;
  try {
    cfg = kafkaConfig(opts);
  } catch (e) {
    return { ok: false, reason: e.message };
  }
  const java = javaMajorVersion();
  if (java === null) return { ok: false, reason: "java not found on PATH" };
  if (java < cfg.minJava) {
    return {
      ok: false,
      reason: `Kafka ${cfg.version} needs Java ${cfg.minJava}+, found Java ${java}`,
    };
  }
  if (!libsReady(cfg) && !hasMaven()) {
    return {
      ok: false,
      reason: "mvn not found on PATH (needed once to fetch the Kafka jars)",
    };
  }
  return { ok: true };
}

// ---------------------------------------------------------------------------------------------
// processes and probes

/** True when pid is a live (not zombie) process. */
function isAlive(pid) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if (e.code !== "EPERM") return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(
      stat.lastIndexOf(")") + 2,
      stat.lastIndexOf(")") + 3,
    );
    return state !== "Z" && state !== "X";
  } catch {
    return process.platform !== "linux";
  }
}

/** True when pid is a broker JVM started by this script for this port (guards against pid reuse). */
function isOurBroker(pid, port) {
  if (!isAlive(pid)) return false;
  try {
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
    return (
      cmd.includes(`-D${MARKER_PROP}=${port}\0`) && cmd.includes("kafka.Kafka")
    );
  } catch {
    return process.platform !== "linux"; // no /proc: trust the pid file
  }
}

function readPid(cfg) {
  try {
    const pid = Number(fs.readFileSync(cfg.pidFile, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function readState(cfg) {
  try {
    return JSON.parse(fs.readFileSync(cfg.stateFile, "utf8"));
  } catch {
    return null;
  }
}

function rmQuiet(f) {
  try {
    fs.rmSync(f, { force: true });
  } catch {
    /* ignore */
  }
}

/** Resident set size of pid in bytes (Linux), or null. */
export function rssBytes(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(
      fs.readFileSync(`/proc/${pid}/status`, "utf8"),
    );
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

function tcpConnect(host, port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok) => {
      sock.removeAllListeners();
      sock.on("error", noop);
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
  });
}

let kafkajsCache;
function loadKafkajs() {
  if (kafkajsCache === undefined) {
    try {
      kafkajsCache = createRequire(path.join(REPO_ROOT, "package.json"))(
        "kafkajs",
      );
    } catch {
      kafkajsCache = null;
    }
  }
  return kafkajsCache;
}

/** A kafkajs admin client that fails fast and logs nothing. Caller must disconnect(). */
export function kafkajsAdmin(brokers, { timeoutMs = 5000 } = {}) {
  const kafkajs = loadKafkajs();
  if (!kafkajs) throw new Error("kafkajs is not installed (run npm install)");
  const kafka = new kafkajs.Kafka({
    clientId: "flowc-kafka-script",
    brokers: [brokers],
    logLevel: kafkajs.logLevel.NOTHING,
    connectionTimeout: Math.min(timeoutMs, 3000),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  });
  return kafka.admin({ retry: { retries: 0 } });
}

/** Raw Kafka ApiVersions v0 request: proves a Kafka broker answers on host:port. */
function apiVersionsProbe(host, port, timeoutMs) {
  return new Promise((resolve) => {
    const clientId = Buffer.from("flowc-kafka-script");
    const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length);
    body.writeInt16BE(18, 0); // ApiVersions
    body.writeInt16BE(0, 2); // v0
    body.writeInt32BE(7, 4); // correlation id
    body.writeInt16BE(clientId.length, 8);
    clientId.copy(body, 10);
    const size = Buffer.alloc(4);
    size.writeInt32BE(body.length, 0);
    let buf = Buffer.alloc(0);
    const sock = net.connect({ host, port });
    const done = (ok) => {
      sock.removeAllListeners();
      sock.on("error", noop);
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once("error", () => done(false));
    sock.once("connect", () => sock.write(Buffer.concat([size, body])));
    sock.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        // correlation id, then error code 0
        done(
          buf.length >= 10 &&
            buf.readInt32BE(4) === 7 &&
            buf.readInt16BE(8) === 0,
        );
      }
    });
  });
}

/**
 * Whether a Kafka broker on host:port accepts clients: a TCP connect, then a metadata request
 * (kafkajs admin.listTopics) that lists at least one broker.
 * @returns {Promise<{ ready: boolean, listening: boolean, error?: string }>}
 */
export async function probeBroker(host, port, timeoutMs = 5000) {
  if (!(await tcpConnect(host, port, Math.min(timeoutMs, 1000))))
    return { ready: false, listening: false };
  if (!loadKafkajs()) {
    const ok = await apiVersionsProbe(host, port, timeoutMs);
    return ok
      ? { ready: true, listening: true }
      : { ready: false, listening: true, error: "no Kafka ApiVersions answer" };
  }
  const admin = kafkajsAdmin(`${host}:${port}`, { timeoutMs });
  try {
    await admin.connect();
    await admin.listTopics();
    const cluster = await admin.describeCluster();
    if (!cluster.brokers.length)
      return {
        ready: false,
        listening: true,
        error: "metadata lists no broker yet",
      };
    return { ready: true, listening: true };
  } catch (e) {
    return { ready: false, listening: true, error: e?.message ?? String(e) };
  } finally {
    await admin.disconnect().catch(noop);
  }
}

/** Last n lines of a file, or '' */
export function tail(file, n = 40) {
  try {
    const fd = fs.openSync(file, "r");
    try {
      const size = fs.fstatSync(fd).size;
      const len = Math.min(size, 64 * 1024);
      const b = Buffer.alloc(len);
      fs.readSync(fd, b, 0, len, size - len);
      return b
        .toString("utf8")
        .split("\n")
        .slice(-n - 1)
        .join("\n")
        .trimEnd();
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return "";
  }
}

function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: ["ignore", "pipe", "pipe"],
      ...opts,
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, out }));
  });
}

// ---------------------------------------------------------------------------------------------
// lock: one ensureKafka/stop at a time per port, across processes

async function withLock(cfg, timeoutMs, fn) {
  fs.mkdirSync(cfg.home, { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = fs.openSync(cfg.lockFile, "wx");
      fs.writeSync(fd, `${process.pid}\n`);
      fs.closeSync(fd);
      break;
    } catch (e) {
      if (e.code !== "EEXIST") throw e;
      let holder = null;
      try {
        holder = Number(fs.readFileSync(cfg.lockFile, "utf8").trim());
      } catch {
        continue; // removed meanwhile
      }
      if (!holder || !isAlive(holder) || holder === process.pid) {
        // Stale lock of a dead process (or half-written): take it over. Rename first so that
        // two waiters cannot both delete a fresh lock.
        const stale = `${cfg.lockFile}.stale-${process.pid}`;
        try {
          fs.renameSync(cfg.lockFile, stale);
          rmQuiet(stale);
        } catch {
          /* someone else did */
        }
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `timed out waiting for ${cfg.lockFile} (held by pid ${holder})`,
        );
      }
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    rmQuiet(cfg.lockFile);
  }
}

// ---------------------------------------------------------------------------------------------
// jars

async function resolveJars(cfg, log) {
  if (libsReady(cfg)) return false;
  if (!hasMaven())
    throw new Error(
      "mvn not found on PATH (needed once to fetch the Kafka jars)",
    );
  log(`resolving Kafka ${cfg.version} jars with Maven (first run only)...`);
  const t0 = Date.now();
  fs.mkdirSync(cfg.versionDir, { recursive: true });
  const tmp = `${cfg.libsDir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  const args = [
    "-B",
    "-q",
    "-f",
    path.join(KAFKA_CONF_DIR, "pom.xml"),
    `-Dkafka.version=${cfg.version}`,
    `-Dlog4j2.version=${cfg.log4j2Version}`,
    "-P",
    cfg.loggingProfile,
    "dependency:copy-dependencies",
    "-DincludeScope=runtime",
    `-DoutputDirectory=${tmp}`,
  ];
  const { code, out } = await run("mvn", args);
  if (
    code !== 0 ||
    !fs.existsSync(path.join(tmp, `kafka_2.13-${cfg.version}.jar`))
  ) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw new Error(
      `Maven could not resolve Kafka ${cfg.version} (mvn ${args.join(" ")}):\n${out.trim().split("\n").slice(-30).join("\n")}`,
    );
  }
  fs.rmSync(cfg.libsDir, { recursive: true, force: true });
  fs.renameSync(tmp, cfg.libsDir);
  const jars = fs.readdirSync(cfg.libsDir).filter((f) => f.endsWith(".jar"));
  const mb =
    jars.reduce((s, f) => s + fs.statSync(path.join(cfg.libsDir, f)).size, 0) /
    1048576;
  log(
    `resolved ${jars.length} jars (${mb.toFixed(0)} MB) in ${((Date.now() - t0) / 1000).toFixed(1)}s`,
  );
  return true;
}

function classpath(cfg) {
  return path.join(cfg.libsDir, "*");
}

// ---------------------------------------------------------------------------------------------
// storage

/** A Kafka cluster id: 16 random bytes, base64url without padding, not starting with '-'. */
function randomClusterId() {
  for (;;) {
    const id = randomBytes(16).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}

async function formatStorage(cfg, log) {
  if (fs.existsSync(path.join(cfg.dataDir, "meta.properties"))) return false;
  log("formatting storage");
  fs.mkdirSync(cfg.dataDir, { recursive: true });
  const args = [
    "-Xmx256m",
    cfg.loggingJvmProp,
    "-cp",
    classpath(cfg),
    "kafka.tools.StorageTool",
    "format",
    "-t",
    randomClusterId(),
    "-c",
    cfg.propsFile,
  ];
  const { code, out } = await run(javaBin(), args);
  if (code !== 0)
    throw new Error(`formatting Kafka storage failed:\n${out.trim()}`);
  return true;
}

// ---------------------------------------------------------------------------------------------
// start / stop / status

function jvmArgs(cfg) {
  return [
    `-Xmx${cfg.heap}`,
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-XX:MaxDirectMemorySize=256m",
    "-Djava.awt.headless=true",
    `-D${MARKER_PROP}=${cfg.port}`,
    cfg.loggingJvmProp,
    "-cp",
    classpath(cfg),
    "kafka.Kafka",
    cfg.propsFile,
  ];
}

function displayPath(p) {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith("..") ? rel : p;
}

function rotateLog(cfg) {
  try {
    if (fs.statSync(cfg.logFile).size > 0)
      fs.renameSync(cfg.logFile, `${cfg.logFile}.1`);
  } catch {
    /* no previous log */
  }
}

async function waitReady(cfg, pid, deadline) {
  let last = "";
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return { ok: false, why: "the broker process exited" };
    const p = await probeBroker(cfg.host, cfg.port, 3000);
    if (p.ready) return { ok: true };
    last =
      p.error ?? (p.listening ? "listening, not ready" : "not listening yet");
    await sleep(250);
  }
  return {
    ok: false,
    why: `not ready after ${(cfg.startTimeoutMs / 1000).toFixed(1)}s (${last})`,
  };
}

async function startBroker(cfg, log) {
  // The controller port must be free too.
  if (await tcpConnect(cfg.host, cfg.controllerPort, 500)) {
    throw new Error(
      `port ${cfg.controllerPort} (controller port = Kafka port + 1) is in use by another program`,
    );
  }
  fs.mkdirSync(cfg.versionDir, { recursive: true });
  fs.writeFileSync(cfg.propsFile, serverProperties(cfg));
  await formatStorage(cfg, log);

  log("starting broker");
  const t0 = Date.now();
  rotateLog(cfg);
  const logFd = fs.openSync(cfg.logFile, "a");
  fs.writeSync(
    logFd,
    `# ${new Date().toISOString()} Kafka ${cfg.version} on ${cfg.brokers}\n# ${javaBin()} ${jvmArgs(cfg).join(" ")}\n`,
  );
  const child = spawn(javaBin(), jvmArgs(cfg), {
    cwd: cfg.versionDir,
    detached: true,
    stdio: ["ignore", logFd, logFd],
  });
  fs.closeSync(logFd);
  const spawnError = await new Promise((resolve) => {
    child.once("error", resolve);
    child.once("spawn", () => resolve(null));
  });
  if (spawnError) throw new Error(`could not run java: ${spawnError.message}`);
  child.unref();
  const pid = child.pid;
  fs.writeFileSync(cfg.pidFile, `${pid}\n`);
  fs.writeFileSync(
    cfg.stateFile,
    JSON.stringify(
      {
        pid,
        version: cfg.version,
        port: cfg.port,
        brokers: cfg.brokers,
        dataDir: cfg.dataDir,
        logFile: cfg.logFile,
        startedAt: new Date().toISOString(),
      },
      null,
      2,
    ) + "\n",
  );

  const r = await waitReady(cfg, pid, t0 + cfg.startTimeoutMs);
  if (!r.ok) {
    const logTail = tail(cfg.logFile, 40);
    await killBroker(cfg, pid, 10_000).catch(noop);
    rmQuiet(cfg.pidFile);
    rmQuiet(cfg.stateFile);
    throw new Error(
      `Kafka ${cfg.version} did not start on ${cfg.brokers}: ${r.why}.\n--- last lines of ${cfg.logFile} ---\n${logTail}\n---`,
    );
  }
  const secs = (Date.now() - t0) / 1000;
  log(
    `ready on ${cfg.brokers} in ${secs.toFixed(1)}s (Kafka ${cfg.version}, pid ${pid}, log ${displayPath(cfg.logFile)})`,
  );
  return { pid, startMs: Date.now() - t0 };
}

async function killBroker(cfg, pid, timeoutMs) {
  if (isOurBroker(pid, cfg.port)) {
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      /* gone */
    }
    const deadline = Date.now() + timeoutMs;
    while (isAlive(pid) && Date.now() < deadline) await sleep(100);
    if (isAlive(pid)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* gone */
      }
      while (isAlive(pid)) await sleep(50);
      return "killed";
    }
    return "stopped";
  }
  return "gone";
}

/**
 * Starts a broker unless one already answers on the port. Idempotent; safe when several
 * processes call it at once (they wait on .kafka/broker-<port>.lock).
 * @param {{ version?: string, port?: number, log?: (msg: string) => void, timeoutMs?: number, heap?: string, home?: string }} [opts]
 * @returns {Promise<{ brokers: string, startedByUs: boolean, version: string|null, pid: number|null, logFile: string, stop(): Promise<void> }>}
 */
export async function ensureKafka(opts = {}) {
  const cfg = kafkaConfig(opts);
  const log = opts.log ?? noop;
  const result = (startedByUs, pid, version) => ({
    brokers: cfg.brokers,
    startedByUs,
    version,
    pid,
    logFile: cfg.logFile,
    stop: startedByUs
      ? () => stopKafka({ ...opts, log }).then(noop)
      : async () => {},
  });

  const already = async () => {
    const p = await probeBroker(cfg.host, cfg.port, 3000);
    if (p.ready) {
      const st = readState(cfg);
      const pid = readPid(cfg);
      const ours = pid && isOurBroker(pid, cfg.port);
      const version = ours && st?.version ? st.version : null;
      log(
        `Kafka already running on ${cfg.brokers}` +
          (version
            ? ` (Kafka ${version}, pid ${pid})`
            : ours
              ? ""
              : " (not started by this script)"),
      );
      if (version && version !== cfg.version) {
        log(
          `warning: the running broker is Kafka ${version}, not ${cfg.version}; run 'npm run kafka -- stop' first to switch`,
        );
      }
      return result(false, ours ? pid : null, version);
    }
    if (p.listening) {
      // Something answers TCP but is not (yet) a ready Kafka broker.
      const pid = readPid(cfg);
      if (!(pid && isOurBroker(pid, cfg.port))) {
        throw new Error(
          `port ${cfg.port} on ${cfg.host} is in use by something that is not a ready Kafka broker (${p.error ?? "no answer"})`,
        );
      }
    }
    return null;
  };

  const fast = await already();
  if (fast) return fast;

  // Jar download can take minutes on a slow first run; waiters get that much patience.
  return withLock(cfg, cfg.startTimeoutMs + 10 * 60_000, async () => {
    const again = await already();
    if (again) return again;

    const pid = readPid(cfg);
    if (pid && isOurBroker(pid, cfg.port)) {
      // Our broker is alive but not ready: still starting (or stuck). Wait for it.
      log(`broker pid ${pid} is starting; waiting`);
      const r = await waitReady(cfg, pid, Date.now() + cfg.startTimeoutMs);
      if (r.ok) return result(false, pid, readState(cfg)?.version ?? null);
      throw new Error(
        `Kafka (pid ${pid}) on ${cfg.brokers}: ${r.why}.\n--- last lines of ${cfg.logFile} ---\n${tail(cfg.logFile, 40)}\n---`,
      );
    }
    rmQuiet(cfg.pidFile);
    rmQuiet(cfg.stateFile);

    const avail = kafkaAvailable(opts);
    if (!avail.ok) throw new Error(`cannot start Kafka: ${avail.reason}`);
    await resolveJars(cfg, log);
    const started = await startBroker(cfg, log);
    return result(true, started.pid, cfg.version);
  });
}

/**
 * Stops the broker that this script started on the port: SIGTERM, wait, SIGKILL after the
 * timeout (FLOWC_KAFKA_STOP_TIMEOUT_MS, default 30 s). Returns what happened.
 * @returns {Promise<'stopped'|'killed'|'not-running'|'not-ours'>}
 */
export async function stopKafka(opts = {}) {
  const cfg = kafkaConfig(opts);
  const log = opts.log ?? noop;
  const timeoutMs = Number(
    opts.stopTimeoutMs ??
      process.env.FLOWC_KAFKA_STOP_TIMEOUT_MS ??
      DEFAULT_STOP_TIMEOUT_MS,
  );
  return withLock(cfg, timeoutMs + 60_000, async () => {
    const pid = readPid(cfg);
    if (!pid || !isOurBroker(pid, cfg.port)) {
      rmQuiet(cfg.pidFile);
      rmQuiet(cfg.stateFile);
      if (await tcpConnect(cfg.host, cfg.port, 500)) {
        log(
          `something listens on ${cfg.brokers} but it was not started by this script (no live pid file); left alone`,
        );
        return "not-ours";
      }
      log(`Kafka is not running on ${cfg.brokers}`);
      return "not-running";
    }
    const t0 = Date.now();
    log(`stopping Kafka (pid ${pid})`);
    const how = await killBroker(cfg, pid, timeoutMs);
    try {
      fs.appendFileSync(
        cfg.logFile,
        `# ${new Date().toISOString()} ${how === "killed" ? "killed (SIGKILL) after SIGTERM timed out" : "stopped (SIGTERM)"}\n`,
      );
    } catch {
      /* log gone */
    }
    rmQuiet(cfg.pidFile);
    rmQuiet(cfg.stateFile);
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    log(
      how === "killed"
        ? `broker did not exit within ${timeoutMs / 1000}s: killed (SIGKILL)`
        : `stopped in ${secs}s`,
    );
    return how === "gone" ? "stopped" : how;
  });
}

/**
 * @returns {Promise<{ running: boolean, ready: boolean, ours: boolean, pid: number|null, version: string|null, brokers: string, rss: number|null, error?: string }>}
 */
export async function kafkaStatus(opts = {}) {
  const cfg = kafkaConfig(opts);
  const pid = readPid(cfg);
  const ours = !!(pid && isOurBroker(pid, cfg.port));
  const probe = await probeBroker(cfg.host, cfg.port, 3000);
  return {
    running: ours || probe.listening,
    ready: probe.ready,
    ours,
    pid: ours ? pid : null,
    version: ours ? (readState(cfg)?.version ?? null) : null,
    brokers: cfg.brokers,
    rss: ours ? rssBytes(pid) : null,
    logFile: cfg.logFile,
    error: probe.error,
  };
}

/**
 * Stops the broker on the port and deletes its data dir: the one of the configured version
 * and, if the running broker was another version, that one's too.
 */
export async function resetKafka(opts = {}) {
  const cfg = kafkaConfig(opts);
  const log = opts.log ?? noop;
  const running = readState(cfg)?.version;
  const how = await stopKafka(opts);
  if (how === "not-ours")
    throw new Error(
      `a broker not started by this script runs on ${cfg.brokers}; not wiping`,
    );
  const dirs = new Set([cfg.dataDir]);
  if (running) dirs.add(kafkaConfig({ ...opts, version: running }).dataDir);
  for (const dir of dirs) {
    if (!fs.existsSync(dir)) continue;
    fs.rmSync(dir, { recursive: true, force: true });
    log(`deleted ${dir}`);
  }
}

/** Runs a Kafka command-line tool class (e.g. org.apache.kafka.tools.TopicCommand) with the cached jars. */
export async function runKafkaTool(mainClass, args, opts = {}) {
  const cfg = kafkaConfig(opts);
  if (!libsReady(cfg)) await resolveJars(cfg, opts.log ?? noop);
  return new Promise((resolve, reject) => {
    const child = spawn(
      javaBin(),
      [
        "-Xmx256m",
        cfg.loggingJvmProp,
        "-cp",
        classpath(cfg),
        mainClass,
        ...args,
      ],
      { stdio: "inherit" },
    );
    child.once("error", reject);
    child.once("close", (code) => resolve(code ?? 1));
  });
}
