/**
 * The server's view of the files: open documents (their text as typed), files
 * on disk (read once, until the client says they changed), one parse cache for
 * the server's life, and one program per open document, rooted at it, like
 * `flowc check <file>`. A program is rebuilt only when a file it loaded has
 * changed; the cache re-parses only the files whose text changed, and in an
 * edited file only the declarations the edit touched (lsp/incremental.ts), so
 * an edit costs a small parse plus resolve and check of the programs that
 * contain the file.
 */
import fs from "node:fs";
import path from "node:path";
import type { TextDocument } from "vscode-languageserver-textdocument";
import { nodeHost, createProgram, type CompilerHost, type Program } from "../compiler/program.js";
import type { ParsedFile } from "../compiler/build-ast.js";
import { UriMap } from "./convert.js";
import { IncrementalParseCache } from "./incremental.js";

export interface OpenDocument {
  readonly uri: string;
  readonly file: string;
  readonly document: TextDocument;
}

type Read = { text: string } | { error: string };

/** Bounds for the scan of workspace folders, used by find-references and rename. */
const SCAN_LIMIT = 5_000;
const SKIPPED_FOLDERS = new Set(["node_modules", ".git", "dist", "out", "build", "coverage"]);

export class Workspace {
  readonly uris = new UriMap();
  readonly cache = new IncrementalParseCache();
  private readonly disk = new Map<string, Read>();
  private readonly open = new Map<string, OpenDocument>();
  private readonly programs = new Map<string, Program>();
  private folders: string[] = [];

  readonly host: CompilerHost = {
    readFile: (file) => {
      const doc = this.open.get(file);
      if (doc !== undefined) return { text: doc.document.getText() };
      let read = this.disk.get(file);
      if (read === undefined) {
        read = nodeHost.readFile(file);
        this.disk.set(file, read);
      }
      return read;
    },
  };

  setFolders(folders: readonly string[]): void {
    this.folders = [...folders];
  }

  // --- documents ------------------------------------------------------------
  opened(document: TextDocument): OpenDocument {
    const file = this.uris.remember(document.uri);
    const entry = { uri: document.uri, file, document };
    this.open.set(file, entry);
    return entry;
  }

  changed(document: TextDocument): OpenDocument {
    return this.opened(document);
  }

  closed(uri: string): string {
    const file = this.uris.pathOf(uri);
    this.open.delete(file);
    // From now on the file is what is on disk.
    this.disk.delete(file);
    return file;
  }

  /** The client saw files change on disk (created, changed or deleted). */
  diskChanged(files: readonly string[]): void {
    for (const file of files) {
      this.disk.delete(file);
      if (!this.open.has(file)) this.cache.delete(file);
    }
  }

  openDocuments(): OpenDocument[] {
    return [...this.open.values()];
  }

  documentOf(file: string): OpenDocument | undefined {
    return this.open.get(file);
  }

  isOpen(file: string): boolean {
    return this.open.has(file);
  }

  // --- programs -------------------------------------------------------------
  /** True when a file the program read has changed since, or a missing one has appeared. */
  isStale(program: Program): boolean {
    for (const [file, parsed] of program.files) {
      const read = this.host.readFile(file);
      if ("error" in read || read.text !== parsed.source.text) return true;
    }
    for (const file of program.unreadable.keys()) {
      if ("text" in this.host.readFile(file)) return true;
    }
    return false;
  }

  /** The up-to-date program rooted at a file, and whether it had to be rebuilt. */
  programFor(file: string): { program: Program; rebuilt: boolean } {
    const existing = this.programs.get(file);
    if (existing !== undefined && !this.isStale(existing)) return { program: existing, rebuilt: false };
    const program = createProgram([file], { host: this.host, cache: this.cache });
    this.programs.set(file, program);
    return { program, rebuilt: true };
  }

  /** The parsed form of a file as the programs see it (open text first). */
  parsed(file: string): ParsedFile | undefined {
    const read = this.host.readFile(file);
    return "text" in read ? this.cache.get(file, read.text) : undefined;
  }

  /** Programs of every open document, up to date. */
  openPrograms(): Program[] {
    return this.openDocuments().map((d) => this.programFor(d.file).program);
  }

  /**
   * Programs for every .flow file the server knows: the open ones and those in
   * the workspace folders. Find-references and rename search these, so a topic
   * renamed in an imported file is renamed in the files that import it too.
   */
  allPrograms(): Program[] {
    const roots = new Set(this.openDocuments().map((d) => d.file));
    for (const file of this.scanFolders()) roots.add(file);
    return [...roots].map((file) => this.programFor(file).program);
  }

  private scanFolders(): string[] {
    const found: string[] = [];
    const visit = (dir: string, depth: number) => {
      if (found.length >= SCAN_LIMIT || depth > 12) return;
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        if (found.length >= SCAN_LIMIT) return;
        if (entry.isDirectory()) {
          if (!SKIPPED_FOLDERS.has(entry.name) && !entry.name.startsWith(".")) visit(path.join(dir, entry.name), depth + 1);
        } else if (entry.isFile() && entry.name.endsWith(".flow")) found.push(path.join(dir, entry.name));
      }
    };
    for (const folder of this.folders) visit(folder, 0);
    return found;
  }
}
