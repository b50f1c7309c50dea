#!/usr/bin/env node
// The flowc command. The TypeScript sources are compiled to dist/ by `npm install`
// (the package's prepare script) or `npm run build`.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const main = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  console.error("flowc: not built yet; run `npm run build` (or `npm install`) in the flowc package first");
  process.exit(2);
}
const { main: run } = await import(main.href);
process.exitCode = await run(process.argv.slice(2));
