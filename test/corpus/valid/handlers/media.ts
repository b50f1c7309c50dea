// Handlers of test/corpus/valid/handlers.flow.
export interface Photo {
  id: string;
  url: string;
  width: number;
  height: number;
}

export interface Thumbnail {
  photoId: string;
  url: string;
}

export function thumbnail(input: Photo, ctx?: unknown): Thumbnail {
  void ctx;
  return { photoId: input.id, url: `${input.url}?w=128` };
}

export function crops(input: Photo, ctx?: unknown): Thumbnail[] {
  void ctx;
  return [64, 128, 256].map((w) => ({ photoId: input.id, url: `${input.url}?w=${w}` }));
}

export function publish(input: Thumbnail, ctx?: unknown): void {
  void ctx;
  void input;
}

export function measure(input: { url: string }, ctx?: unknown): { url: string; bytes: number } {
  void ctx;
  return { url: input.url, bytes: input.url.length };
}
