/**
 * Chevrotain's runtime, loaded from its single-file bundle. The package's main
 * entry is hundreds of small modules (lodash-es among them) that cost ~0.25 s
 * of start-up in every `flowc check`; the bundle that ships in the same package
 * is the same code in one file and loads in a fraction of that. Types still come
 * from "chevrotain".
 */
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

type Chevrotain = typeof import("chevrotain");

async function load(): Promise<Chevrotain> {
  // The package maps both import and require to lib/src/api.js; the bundle is lib/chevrotain.mjs.
  const entry = createRequire(import.meta.url).resolve("chevrotain");
  const bundle = path.join(path.dirname(entry), "..", "chevrotain.mjs");
  try {
    return (await import(pathToFileURL(bundle).href)) as Chevrotain;
  } catch {
    return await import("chevrotain");
  }
}

const chevrotain = await load();

export const { createToken, Lexer, CstParser, EOF } = chevrotain;
