import { pino, type Logger, type LevelWithSilent } from "pino";

export type { Logger } from "pino";

/**
 * The runtime's structured logger. Level: the option, else FLOWC_LOG_LEVEL, else "info"
 * ("silent" under vitest, so test output stays readable).
 */
export function createLogger(options: { level?: LevelWithSilent; name?: string } = {}): Logger {
  const level =
    options.level ??
    (process.env.FLOWC_LOG_LEVEL as LevelWithSilent | undefined) ??
    (process.env.VITEST ? "silent" : "info");
  return pino({ name: options.name ?? "flowc", level });
}
