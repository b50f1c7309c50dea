import type { Logger } from "pino";
import type { HandlerContext } from "../../stdlib/handler.js";

/** A handler's context. The abort controller and child logger are created on first use:
 *  most handlers touch neither, and both cost more than the call itself. */
export class Context implements HandlerContext {
  private controller: AbortController | undefined;
  private logger: Logger | undefined;

  constructor(
    readonly messageId: string,
    readonly stage: string,
    readonly lane: string | undefined,
    readonly shard: number | undefined,
    readonly partition: number,
    readonly attempt: number,
    private readonly baseLogger: Logger,
  ) {}

  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    return this.controller.signal;
  }

  get log(): Logger {
    this.logger ??= this.baseLogger.child({ stage: this.stage, messageId: this.messageId, attempt: this.attempt });
    return this.logger;
  }

  abort(reason: unknown): void {
    this.controller ??= new AbortController();
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }
}

export class HandlerTimeoutError extends Error {
  override readonly name = "HandlerTimeoutError";
}
