/** Tokenizing with the VS Code extension's TextMate grammar, as VS Code does (vscode-textmate + oniguruma). */
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import vsctm from "vscode-textmate";
import oniguruma from "vscode-oniguruma";
import { repoRoot } from "./client.js";

const require = createRequire(import.meta.url);
export const grammarFile = path.join(repoRoot, "editors/vscode/syntaxes/flow.tmLanguage.json");

let registry: Promise<vsctm.IGrammar> | undefined;

export function loadGrammar(): Promise<vsctm.IGrammar> {
  registry ??= (async () => {
    const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
    await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
    const reg = new vsctm.Registry({
      onigLib: Promise.resolve({ createOnigScanner: (p: string[]) => new oniguruma.OnigScanner(p), createOnigString: (s: string) => new oniguruma.OnigString(s) }),
      loadGrammar: async (scope: string) => (scope === "source.flow" ? vsctm.parseRawGrammar(fs.readFileSync(grammarFile, "utf8"), grammarFile) : null),
    });
    const grammar = await reg.loadGrammar("source.flow");
    if (grammar === null) throw new Error("grammar not loaded");
    return grammar;
  })();
  return registry;
}

export interface TmToken {
  readonly line: number;
  readonly start: number;
  readonly end: number;
  /** Offset in the whole text. */
  readonly offset: number;
  readonly text: string;
  readonly scopes: readonly string[];
}

export async function tokenize(text: string): Promise<TmToken[]> {
  const grammar = await loadGrammar();
  const out: TmToken[] = [];
  let state = vsctm.INITIAL;
  let offset = 0;
  const lines = text.split("\n");
  for (const [i, line] of lines.entries()) {
    const result = grammar.tokenizeLine(line, state, 1000);
    for (const t of result.tokens) {
      const end = Math.min(t.endIndex, line.length);
      if (end > t.startIndex) out.push({ line: i, start: t.startIndex, end, offset: offset + t.startIndex, text: line.slice(t.startIndex, end), scopes: t.scopes });
    }
    state = result.ruleStack;
    offset += line.length + 1;
  }
  return out;
}

/** The innermost scope of the token that holds an offset. */
export function scopeAt(tokens: readonly TmToken[], offset: number): readonly string[] {
  const t = tokens.find((x) => x.offset <= offset && offset < x.offset + (x.end - x.start));
  return t?.scopes ?? [];
}
