/** What every `flowc <command>` module exports. */
export interface CommandContext {
  readonly args: readonly string[];
  readonly cwd: string;
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  /** Returns the exit code: 0 clean, 1 problems in the program or the run, 2 usage or I/O errors. */
  run(context: CommandContext): Promise<number>;
}

/** A usage error: printed with the command's usage line, exit code 2. */
export class UsageError extends Error {}

export const EXIT_OK = 0;
export const EXIT_PROGRAM_ERRORS = 1;
export const EXIT_USAGE = 2;
