// The VS Code client of the flowc language server: it starts `flowc lsp --stdio`
// for .flow files and restarts it on request. Everything else (diagnostics,
// hover, completion, navigation, rename, formatting, semantic highlighting) is
// the server's.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const vscode = require("vscode");
const { LanguageClient, State } = require("vscode-languageclient/node");

/** @type {LanguageClient | undefined} */
let client;

/** The flowc to run: the setting, else the workspace's own, else the one on PATH. */
function serverCommand() {
  const config = vscode.workspace.getConfiguration("flowc");
  const extra = config.get("server.args", []);
  const configured = config.get("server.path", "");
  if (configured) return { command: configured, args: ["lsp", "--stdio", ...extra] };
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const root = folder.uri.fsPath;
    const local = path.join(root, "node_modules", ".bin", process.platform === "win32" ? "flowc.cmd" : "flowc");
    if (fs.existsSync(local)) return { command: local, args: ["lsp", "--stdio", ...extra] };
    // The flowc repository itself: its bin runs the build in dist/.
    const bin = path.join(root, "bin", "flowc.js");
    if (fs.existsSync(bin) && fs.existsSync(path.join(root, "dist", "cli", "main.js"))) {
      return { command: "node", args: [bin, "lsp", "--stdio", ...extra] };
    }
  }
  return { command: process.platform === "win32" ? "flowc.cmd" : "flowc", args: ["lsp", "--stdio", ...extra] };
}

async function start(context) {
  const { command, args } = serverCommand();
  const serverOptions = { command, args, options: { cwd: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath } };
  const clientOptions = {
    documentSelector: [
      { scheme: "file", language: "flow" },
      { scheme: "untitled", language: "flow" },
    ],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.flow") },
    outputChannelName: "flowc",
  };
  client = new LanguageClient("flowc", "flowc language server", serverOptions, clientOptions);
  try {
    await client.start();
  } catch (error) {
    void vscode.window.showErrorMessage(
      `flowc: could not start \`${command} ${args.join(" ")}\` (${error instanceof Error ? error.message : error}). Install flowc in the workspace (npm install -D flowc) or set flowc.server.path.`,
    );
  }
  context.subscriptions.push({ dispose: () => void client?.stop() });
}

/** @param {import("vscode").ExtensionContext} context */
async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand("flowc.restartServer", async () => {
      if (client && client.state === State.Running) await client.stop();
      client = undefined;
      await start(context);
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("flowc.server")) await vscode.commands.executeCommand("flowc.restartServer");
    }),
  );
  await start(context);
}

async function deactivate() {
  if (client) await client.stop();
}

module.exports = { activate, deactivate };
