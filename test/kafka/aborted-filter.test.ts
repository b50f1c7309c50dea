import { describe, expect, it } from "vitest";
import { abortedFilterInstalled, filterAbortedMessages, type RawFetchedMessage } from "../../runtime/kafka/client.js";

const ABORT = Buffer.from([0, 0, 0, 0]);
const COMMIT = Buffer.from([0, 0, 0, 1]);
const data = (offset: number, producerId: string, inTransaction = true): RawFetchedMessage & { v: string } => ({
  offset: String(offset),
  key: Buffer.from(`k${offset}`),
  batchContext: { producerId, inTransaction },
  v: `${producerId}@${offset}`,
});
const marker = (offset: number, producerId: string, key: Buffer) => ({ ...data(offset, producerId), key, isControlRecord: true });

describe("read_committed filter for kafkajs (no broker)", () => {
  it("is installed in place of kafkajs' own", () => {
    expect(abortedFilterInstalled).toBe(true);
  });

  it("drops every aborted transaction's records when several producers' aborts overlap", () => {
    // Producers 1, 2 and 3 interleave in one partition; 1 and 3 abort, 2 commits.
    const messages = [
      data(10, "1"),
      data(11, "2"),
      data(12, "3"),
      data(13, "1"),
      data(14, "3"),
      marker(15, "1", ABORT),
      data(16, "2"),
      marker(17, "3", ABORT),
      marker(18, "2", COMMIT),
      data(19, "1"),
      data(20, "9", false),
    ];
    // The broker's list, not sorted by first offset.
    const abortedTransactions = [
      { producerId: "3", firstOffset: "12" },
      { producerId: "1", firstOffset: "10" },
    ];
    const kept = filterAbortedMessages({ messages, abortedTransactions })
      .filter((m) => !m.isControlRecord)
      .map((m) => (m as { v: string }).v);
    // 19 is producer 1's next transaction (after its abort marker): kept.
    expect(kept).toEqual(["2@11", "2@16", "1@19", "9@20"]);
  });

  it("enters every aborted transaction that began before the fetch position", () => {
    // The fetch starts at 12; producers 1 and 3 began aborted transactions at 5 and 8.
    const messages = [data(12, "3"), data(13, "1"), marker(14, "1", ABORT), marker(15, "3", ABORT), data(16, "2")];
    const abortedTransactions = [
      { producerId: "1", firstOffset: "5" },
      { producerId: "3", firstOffset: "8" },
    ];
    const kept = filterAbortedMessages({ messages, abortedTransactions })
      .filter((m) => !m.isControlRecord)
      .map((m) => (m as { v: string }).v);
    expect(kept).toEqual(["2@16"]);
  });

  it("keeps everything when nothing was aborted", () => {
    const messages = [data(0, "1"), data(1, "2")];
    expect(filterAbortedMessages({ messages, abortedTransactions: [] })).toBe(messages);
  });
});
