/** The language server's entry points: `flowc lsp --stdio` calls startStdioServer. */
import { createConnection, ProposedFeatures } from "vscode-languageserver/node.js";
import { format } from "node:util";
import { startServer, type ServerOptions } from "./server.js";

export { startServer, type ServerOptions } from "./server.js";

/** Serves the protocol on stdin/stdout. Anything printed goes to the client's log, never to stdout. */
export function startStdioServer(options: ServerOptions = {}): void {
  const connection = createConnection(ProposedFeatures.all, process.stdin, process.stdout);
  const toLog = (...args: unknown[]) => connection.console.log(format(...args));
  console.log = toLog;
  console.info = toLog;
  console.debug = toLog;
  console.warn = (...args: unknown[]) => connection.console.warn(format(...args));
  console.error = (...args: unknown[]) => connection.console.error(format(...args));
  // A bug in one handler must not end the session: report it and carry on.
  process.on("uncaughtException", (error) => connection.console.error(`flowc lsp: uncaught: ${error.stack ?? error.message}`));
  process.on("unhandledRejection", (reason) => connection.console.error(`flowc lsp: unhandled rejection: ${String((reason as Error)?.stack ?? reason)}`));
  startServer(connection, options);
}
