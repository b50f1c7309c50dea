// Handlers of examples/photos.flow: render a photo in the format of the lane it runs in.
//
// Rendering is simulated, but the arithmetic is real: each format has a target size and a
// compression ratio, and the rendition's width, height and byte size follow from the photo.
import { NonRetriableError, type HandlerContext } from "flowc/runtime";

export type Format = "4k" | "1080p" | "gif";

export interface Photo {
  readonly id: string;
  readonly owner: string;
  readonly url: string;
  readonly width: number;
  readonly height: number;
  readonly takenAt?: string;
  readonly tags: readonly string[];
}

export interface Rendition {
  readonly photoId: string;
  readonly format: Format;
  readonly url: string;
  readonly width: number;
  readonly height: number;
  readonly bytes: number;
}

/** Longest side in pixels, and bytes per pixel after compression. */
const FORMATS: Record<Format, { readonly longSide: number; readonly bytesPerPixel: number; readonly extension: string }> = {
  "4k": { longSide: 3840, bytesPerPixel: 0.35, extension: "jpg" },
  "1080p": { longSide: 1920, bytesPerPixel: 0.25, extension: "jpg" },
  gif: { longSide: 480, bytesPerPixel: 0.6, extension: "gif" },
};

const isFormat = (lane: string | undefined): lane is Format => lane === "4k" || lane === "1080p" || lane === "gif";

/** Scales the photo to the lane's format (never up), keeping its aspect ratio. */
export function render(photo: Photo, context: HandlerContext): Rendition {
  const format = context.lane;
  if (!isFormat(format)) throw new Error(`render runs in the lanes 4k, 1080p and gif, not ${format ?? "outside a lane"}`);
  // Retrying cannot give a photo pixels: straight to the dead-letter topic.
  if (photo.width <= 0 || photo.height <= 0) throw new NonRetriableError(`photo ${photo.id} has no pixels (${photo.width}x${photo.height})`);
  const spec = FORMATS[format];
  const scale = Math.min(1, spec.longSide / Math.max(photo.width, photo.height));
  const width = Math.max(1, Math.round(photo.width * scale));
  const height = Math.max(1, Math.round(photo.height * scale));
  const base = photo.url.replace(/\.[A-Za-z0-9]+$/, "");
  return {
    photoId: photo.id,
    format,
    url: `${base}.${format}.${spec.extension}`,
    width,
    height,
    bytes: Math.round(width * height * spec.bytesPerPixel),
  };
}
