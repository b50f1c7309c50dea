/**
 * Producers over kafkajs. A plain producer is idempotent and sends with acks=all (kafkajs
 * resends a whole request when one partition in it fails; sequence numbers let the broker drop
 * the copies). A transactional producer is a
 * kafkajs producer with `transactionalId`, `idempotent: true` and `maxInFlightRequests: 1`
 * (kafkajs' documented settings for exactly-once; one send at a time also avoids the
 * OUT_OF_ORDER_SEQUENCE_NUMBER kafkajs can hit with overlapping sends, kafkajs #598). It is
 * initialised (InitProducerId) when it is opened, which fences any older producer with the same
 * transactional id and aborts (or waits out) that producer's open transaction.
 *
 * kafkajs sends AddOffsetsToTxn once and gives up on CONCURRENT_TRANSACTIONS (kafkajs #430),
 * which the broker answers while the previous transaction of the same id is still completing;
 * `sendOffsets` retries it with a short backoff. A commit that fails leaves kafkajs' transaction
 * manager in COMMITTING, from which it cannot recover: the producer is then unusable and says
 * so; open a new one (which fences the old epoch and aborts whatever it left open).
 */
import type { KafkaJS, KafkaLog } from "./client.js";
import { COORDINATOR_ERRORS, errorMessage, errorType, FENCED_ERRORS, isConnectionError, sleep } from "./client.js";
import type { KafkaConsumer, PreparedOffsets } from "./consumer.js";
import {
  ClosedError,
  ProducerFencedError,
  TransportError,
  UnknownTopicError,
  type Consumer,
  type Producer,
  type ProducerRecord,
  type TopicPartitionOffset,
  type Transaction,
} from "../transport.js";

export interface ProducerHost {
  readonly kafka: KafkaJS.Kafka;
  readonly log: KafkaLog;
  readonly retry: KafkaJS.RetryOptions;
  readonly transactionTimeoutMs: number;
  /** Messages per produce call (kafkajs groups a call's messages with a quadratic spread). */
  readonly maxSendMessages: number;
  topicName(logical: string): string;
  ownsConsumer(consumer: Consumer): consumer is KafkaConsumer;
  forget(producer: KafkaProducer): void;
}

const TXN_INITIAL_RETRY_MS = 20;

type TopicMessages = { topic: string; messages: KafkaJS.Message[] };

function toMessages(host: ProducerHost, records: readonly ProducerRecord[]): TopicMessages[][] {
  const chunks: TopicMessages[][] = [];
  let current = new Map<string, KafkaJS.Message[]>();
  let count = 0;
  const flush = () => {
    if (count === 0) return;
    chunks.push([...current].map(([topic, messages]) => ({ topic, messages })));
    current = new Map();
    count = 0;
  };
  for (const r of records) {
    const topic = host.topicName(r.topic);
    let list = current.get(topic);
    if (list === undefined) current.set(topic, (list = []));
    const message: KafkaJS.Message = { key: r.key, value: r.value };
    if (r.partition !== undefined) message.partition = r.partition;
    if (r.headers !== undefined) message.headers = r.headers as Record<string, string>;
    list.push(message);
    if (++count >= host.maxSendMessages) flush();
  }
  flush();
  return chunks;
}

function mapError(error: unknown, what: string): Error {
  if (error instanceof TransportError) return error;
  const type = errorType(error);
  if (type !== undefined && FENCED_ERRORS.has(type)) return new ProducerFencedError(`${what}: fenced by a newer producer (${type})`);
  if (type === "UNKNOWN_TOPIC_OR_PARTITION") return new UnknownTopicError(`${what}: ${errorMessage(error)}`);
  return new TransportError(`${what}: ${errorMessage(error)}`);
}

export class KafkaProducer implements Producer {
  private closed = false;
  private open: KafkaTransaction | undefined;
  /** Set when kafkajs' transaction state can no longer be used (a failed commit, fencing). */
  private broken: Error | undefined;

  private constructor(
    private readonly host: ProducerHost,
    private readonly kp: KafkaJS.Producer,
    readonly transactionalId: string | undefined,
  ) {}

  static async open(host: ProducerHost, transactionalId: string | undefined): Promise<KafkaProducer> {
    const kp =
      transactionalId === undefined
        ? // Idempotent: kafkajs resends a whole produce request when one partition in it fails
          // (a leader moving, a topic just created), and without sequence numbers the
          // partitions that had succeeded would get their records twice.
          host.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry: host.retry })
        : host.kafka.producer({
            transactionalId,
            idempotent: true,
            maxInFlightRequests: 1,
            allowAutoTopicCreation: false,
            transactionTimeout: host.transactionTimeoutMs,
            // The broker answers CONCURRENT_TRANSACTIONS to the first AddPartitionsToTxn of a
            // transaction while the previous one of this id is still completing (a few ms):
            // kafkajs retries it with this policy, so start short.
            retry: { ...host.retry, initialRetryTime: Math.min(host.retry.initialRetryTime ?? 300, TXN_INITIAL_RETRY_MS) },
          });
    try {
      await kp.connect();
      if (transactionalId !== undefined) {
        // InitProducerId now: fences the previous holder of the id before we return.
        const txn = await kp.transaction();
        await txn.abort();
      }
    } catch (error) {
      await kp.disconnect().catch(() => {});
      throw mapError(error, transactionalId === undefined ? "opening a producer" : `opening transactional producer '${transactionalId}'`);
    }
    return new KafkaProducer(host, kp, transactionalId);
  }

  ensureUsable(): void {
    if (this.closed) throw new ClosedError("producer is closed");
    if (this.broken) throw this.broken;
  }

  markBroken(error: Error): void {
    this.broken ??=
      error instanceof ProducerFencedError
        ? error
        : new TransportError(`transactional producer '${this.transactionalId}' is unusable after: ${error.message}; open a new one`);
  }

  async send(records: readonly ProducerRecord[]): Promise<void> {
    this.ensureUsable();
    for (const topicMessages of toMessages(this.host, records)) {
      try {
        await this.kp.sendBatch({ topicMessages, acks: -1 });
      } catch (error) {
        throw mapError(error, "send");
      }
    }
  }

  async transaction(): Promise<Transaction> {
    if (this.transactionalId === undefined) throw new TransportError("transaction() needs a transactional producer");
    this.ensureUsable();
    if (this.open) throw new TransportError("a transaction is already open on this producer");
    let txn: KafkaJS.Transaction;
    try {
      txn = await this.kp.transaction();
    } catch (error) {
      const mapped = mapError(error, `beginning a transaction of '${this.transactionalId}'`);
      this.markBroken(mapped);
      throw mapped;
    }
    this.open = new KafkaTransaction(this.host, this, txn);
    return this.open;
  }

  finishTransaction(txn: KafkaTransaction): void {
    if (this.open === txn) this.open = undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // An open transaction is aborted by the broker when this producer's id is opened again
    // or its timeout passes; abort it now when we can.
    await this.open?.abort().catch(() => {});
    try {
      await this.kp.disconnect();
    } catch {
      // Nothing to do: the connection is gone either way.
    } finally {
      this.host.forget(this);
    }
  }
}

class KafkaTransaction implements Transaction {
  private done = false;
  private readonly offsets: PreparedOffsets[] = [];

  constructor(
    private readonly host: ProducerHost,
    private readonly producer: KafkaProducer,
    private readonly txn: KafkaJS.Transaction,
  ) {}

  private ensureOpen(): void {
    if (this.done) throw new TransportError("transaction already finished");
    this.producer.ensureUsable();
  }

  private fail(error: unknown, what: string): Error {
    const mapped = mapError(error, what);
    if (mapped instanceof ProducerFencedError) this.producer.markBroken(mapped);
    return mapped;
  }

  async send(records: readonly ProducerRecord[]): Promise<void> {
    this.ensureOpen();
    // One request at a time (maxInFlightRequests 1 does the same inside kafkajs).
    for (const topicMessages of toMessages(this.host, records)) {
      try {
        await this.txn.sendBatch({ topicMessages, acks: -1 });
      } catch (error) {
        throw this.fail(error, "transactional send");
      }
    }
  }

  async sendOffsets(consumer: Consumer, offsets: readonly TopicPartitionOffset[]): Promise<void> {
    this.ensureOpen();
    if (!this.host.ownsConsumer(consumer)) throw new TransportError("sendOffsets needs a consumer of this transport");
    if (offsets.length === 0) return;
    const prepared = consumer.prepareTransaction(offsets);
    this.offsets.push(prepared);
    const topics = consumer.topicsForTransaction(prepared);
    for (let attempt = 0; ; attempt++) {
      try {
        await this.txn.sendOffsets({ consumerGroupId: consumer.kafkaGroupId, topics });
        return;
      } catch (error) {
        const type = errorType(error);
        const retriable =
          type === "CONCURRENT_TRANSACTIONS" || (type !== undefined && COORDINATOR_ERRORS.has(type)) || isConnectionError(error);
        if (!retriable || attempt >= 30) throw this.fail(error, "sendOffsets");
        await sleep(Math.min(500, 10 * 2 ** attempt));
      }
    }
  }

  async commit(): Promise<void> {
    this.ensureOpen();
    this.done = true;
    this.producer.finishTransaction(this);
    try {
      // Offsets of partitions that moved on must not be committed by this member.
      for (const p of this.offsets) p.consumer.checkStillOwned(p);
    } catch (error) {
      await this.txn.abort().catch(() => {});
      this.ended(false);
      throw error;
    }
    try {
      await this.txn.commit();
    } catch (error) {
      const mapped = mapError(error, "commit");
      this.producer.markBroken(mapped);
      this.ended(false);
      throw mapped;
    }
    this.ended(true);
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.producer.finishTransaction(this);
    try {
      await this.txn.abort();
    } catch (error) {
      this.producer.markBroken(mapError(error, "abort"));
    } finally {
      this.ended(false);
    }
  }

  private ended(committed: boolean): void {
    for (const p of this.offsets) p.consumer.transactionEnded(p, committed);
    this.offsets.length = 0;
  }
}
