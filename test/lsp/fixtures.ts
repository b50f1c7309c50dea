/** A small workspace on disk for the language server tests: two .flow files and a handler module. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

export const COMMON = `// Shared declarations, imported by main.flow.
enum Format { 4k, 1080p, gif }

schema Photo {
  id: string
  owner: string
  width: int
  format: Format
  meta: { camera: string, iso?: int }
  public: bool
}

schema Rendition { photoId: string, url: string }

topic photos: Photo (partitions: 10, key: .id)
`;

export const MAIN = `import "./common.flow"

topic renditions: Rendition (partitions: 10, key: .photoId)

handler render(Photo) -> Rendition from "./handlers.ts"

/* Every photo in three formats,
   merged back into one topic. */
pipeline renderPhotos {
  photos
    | copy(4k, 1080p, gif)
    | shard(10, by: .id)
    | map(render) retry(5, backoff: 100ms..30s) timeout(10s)
    | merge
    -> renditions
}
`;

export const HANDLERS = `import type { Photo, Rendition } from "./types.js";

/** Renders one photo. */
export async function render(photo: Photo): Promise<Rendition> {
  return { photoId: photo.id, url: photo.url };
}
`;

export interface Workspace {
  readonly dir: string;
  readonly common: string;
  readonly main: string;
  readonly handlers: string;
  uri(file: string): string;
  remove(): void;
}

export function createWorkspace(files: Record<string, string> = {}): Workspace {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flowc-lsp-"));
  const all = { "common.flow": COMMON, "main.flow": MAIN, "handlers.ts": HANDLERS, ...files };
  for (const [name, text] of Object.entries(all)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return {
    dir,
    common: path.join(dir, "common.flow"),
    main: path.join(dir, "main.flow"),
    handlers: path.join(dir, "handlers.ts"),
    uri: (file) => pathToFileURL(file).href,
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** The position of the n-th occurrence (0-based) of a string in a text, plus an offset into it. */
export function positionOf(text: string, needle: string, occurrence = 0, into = 0): { line: number; character: number } {
  let index = -1;
  for (let i = 0; i <= occurrence; i++) {
    index = text.indexOf(needle, index + 1);
    if (index < 0) throw new Error(`'${needle}' (occurrence ${occurrence}) not in text`);
  }
  const before = text.slice(0, index + into).split("\n");
  return { line: before.length - 1, character: before[before.length - 1].length };
}
