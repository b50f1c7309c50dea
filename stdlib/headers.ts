/**
 * Header names the runtime reads and writes. They are part of the wire contract with other
 * flowc workers (and with `flowc dlq`), so they never change meaning.
 */
export const Headers = {
  /** The message id. Outputs carry a derived id; sources may set their own. */
  id: "flowc-id",
  /** The id of the input an output was derived from (lineage, for people reading topics). */
  parent: "flowc-parent",
  /** Set by a hedging copy: the id shared by all its lanes, so merge(first) can pair results. */
  hedge: "flowc-hedge",
  /** On retry records: the attempt number the record is waiting for (2 = first retry). */
  attempt: "flowc-attempt",
  /** On retry records: epoch milliseconds before which the record must not be processed. */
  dueAt: "flowc-due-at",
  /** On retry and dead-letter records: the last error message. */
  error: "flowc-error",
  /** On retry and dead-letter records: where the message was first consumed. */
  originalTopic: "flowc-original-topic",
  originalPartition: "flowc-original-partition",
  originalOffset: "flowc-original-offset",
  /** On dead-letter records. */
  stage: "flowc-stage",
  worker: "flowc-worker",
  attempts: "flowc-attempts",
  reason: "flowc-reason",
  /** On replayed records: which dead letter they came from (keeps replays out of dedupe). */
  replay: "flowc-replay",
} as const;
