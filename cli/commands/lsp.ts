import { UsageError, type Command } from "../command.js";

/**
 * `flowc lsp --stdio`: the language server, speaking the protocol on stdin and
 * stdout. Editors start it; it runs until the client says exit or closes stdin.
 */
const lsp: Command = {
  name: "lsp",
  summary: "start the language server on stdio",
  usage: "flowc lsp --stdio [--diagnostics-delay <ms>]",
  async run({ args }) {
    let delay: number | undefined;
    for (let i = 0; i < args.length; i++) {
      const arg = args[i];
      if (arg === "--stdio") continue;
      // Clients add these; the server watches its parent through initialize's processId anyway.
      if (arg.startsWith("--clientProcessId")) {
        if (!arg.includes("=")) i++;
        continue;
      }
      if (arg === "--diagnostics-delay" || arg.startsWith("--diagnostics-delay=")) {
        const value = arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : args[++i];
        delay = Number(value);
        if (!Number.isFinite(delay) || delay < 0) throw new UsageError(`--diagnostics-delay takes milliseconds, got '${value}'`);
        continue;
      }
      if (arg === "--node-ipc" || arg.startsWith("--socket") || arg.startsWith("--pipe")) throw new UsageError(`${arg} is not supported: flowc lsp speaks over stdio`);
      throw new UsageError(`unknown option '${arg}'`);
    }
    const { startStdioServer } = await import("../../lsp/index.js");
    startStdioServer(delay !== undefined ? { diagnosticsDelay: delay } : {});
    // The server ends the process itself (on exit, or when stdin closes).
    return new Promise<number>(() => undefined);
  },
};

export default lsp;
