#!/usr/bin/env node
// npm run kafka -- start|stop|status|topics|reset
// A local single-node Kafka broker from Maven Central jars. See docs/kafka-dev.md.

import {
  ensureKafka,
  stopKafka,
  kafkaStatus,
  resetKafka,
  kafkaAvailable,
  kafkaConfig,
  kafkajsAdmin,
  runKafkaTool,
} from "./kafka-broker.mjs";

const USAGE = `usage: npm run kafka -- <command>

  start           start the broker (resolves jars with Maven on first run); no-op if one is up
  stop            stop the broker started by start (SIGTERM, SIGKILL after 30s)
  restart         stop, then start
  status          is it running and ready? exit 0 if ready, 1 if not
  topics          list topics with partition counts
  topics ARGS...  run Kafka's TopicCommand with ARGS, e.g. topics --create --topic t --partitions 3
  reset           stop and delete this version's data dir (all topics)

env: FLOWC_KAFKA_VERSION (default 4.1.2; '4.1', '3.9' or a full version)
     FLOWC_KAFKA_PORT (default 9092; the controller uses port + 1)
     FLOWC_KAFKA_HEAP (default 768m)  FLOWC_KAFKA_HOME (default <repo>/.kafka)
     FLOWC_KAFKA_START_TIMEOUT_MS (default 120000)  FLOWC_KAFKA_STOP_TIMEOUT_MS (default 30000)`;

const log = (msg) => console.log(`kafka: ${msg}`);

async function main(argv) {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case "start": {
      const avail = kafkaAvailable();
      if (!avail.ok) {
        // A broker may still be up (started elsewhere); ensureKafka would report it.
        const st = await kafkaStatus();
        if (!st.ready) {
          console.error(`kafka: cannot start: ${avail.reason}`);
          return 1;
        }
      }
      await ensureKafka({ log });
      return 0;
    }
    case "stop": {
      const how = await stopKafka({ log });
      return how === "not-ours" ? 1 : 0;
    }
    case "restart": {
      const how = await stopKafka({ log });
      if (how === "not-ours") return 1;
      await ensureKafka({ log });
      return 0;
    }
    case "status": {
      const cfg = kafkaConfig();
      const st = await kafkaStatus();
      const parts = [];
      if (st.ours) parts.push(`pid ${st.pid}`);
      if (st.version) parts.push(`Kafka ${st.version}`);
      if (st.rss) parts.push(`RSS ${(st.rss / 1048576).toFixed(0)} MiB`);
      const extra = parts.length ? ` (${parts.join(", ")})` : "";
      if (st.ready) {
        console.log(
          `kafka: running and ready on ${st.brokers}${extra}${st.ours ? "" : " (not started by this script)"}`,
        );
      } else if (st.running) {
        console.log(
          `kafka: running but not ready on ${st.brokers}${extra}${st.error ? `: ${st.error}` : ""}`,
        );
      } else {
        console.log(
          `kafka: not running on ${st.brokers} (would start Kafka ${cfg.version})`,
        );
      }
      return st.ready ? 0 : 1;
    }
    case "topics": {
      const cfg = kafkaConfig();
      if (rest.length) {
        return runKafkaTool(
          "org.apache.kafka.tools.TopicCommand",
          ["--bootstrap-server", cfg.brokers, ...rest],
          { log },
        );
      }
      const admin = kafkajsAdmin(cfg.brokers);
      try {
        await admin.connect();
        const names = (await admin.listTopics()).sort();
        if (!names.length) {
          console.log("(no topics)");
          return 0;
        }
        const meta = await admin.fetchTopicMetadata({ topics: names });
        for (const t of meta.topics.sort((a, b) =>
          a.name.localeCompare(b.name),
        ))
          console.log(`${t.name}\t${t.partitions.length} partition(s)`);
        return 0;
      } catch (e) {
        console.error(
          `kafka: cannot list topics on ${cfg.brokers}: ${e.message}`,
        );
        return 1;
      } finally {
        await admin.disconnect().catch(() => {});
      }
    }
    case "reset": {
      await resetKafka({ log });
      return 0;
    }
    case undefined:
    case "help":
    case "-h":
    case "--help":
      console.log(USAGE);
      return cmd ? 0 : 1;
    default:
      console.error(`kafka: unknown command '${cmd}'\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`kafka: ${err?.message ?? err}`);
    process.exit(1);
  },
);
