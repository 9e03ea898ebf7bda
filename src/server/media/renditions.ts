// What the stored renditions of an image are called and how big they are: pure, so components and the serving
// route can use it without loading sharp.

/** The widths every image is stored in (WebP). */
export const IMAGE_WIDTHS = [320, 800, 1600] as const;
export type ImageWidth = (typeof IMAGE_WIDTHS)[number];

/** The largest upload accepted, in bytes (10 MB). */
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
/** The most pixels an upload may declare (40 MP); checked from the header, before anything is decoded. */
export const MAX_IMAGE_PIXELS = 40_000_000;
/** WebP cannot be taller than this; a very long image is scaled to fit. */
export const MAX_RENDITION_SIDE = 16_383;

/**
 * The types a file input offers. HEIC is left out on purpose: the sharp build has no HEVC decoder, and when a page
 * does not accept image/heic, iPhones convert their photos to JPEG before uploading them.
 */
export const ACCEPTED_IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/avif'] as const;

/** A stored image's name: the SHA-256 of the uploaded bytes, 64 lowercase hex digits. */
const HASH_PATTERN = /^[0-9a-f]{64}$/;
const FILE_PATTERN = /^([0-9a-f]{64})-(320|800|1600)\.webp$/;

export function isImageHash(value: unknown): value is string {
  return typeof value === 'string' && HASH_PATTERN.test(value);
}

/** The public URL of one rendition. */
export function imageUrl(hash: string, width: ImageWidth): string {
  return `/media/${hash}-${width}.webp`;
}

/** `<hash>-<width>.webp` -> its parts; anything else (other names, other widths, path tricks) -> null. */
export function parseRenditionName(name: string): { hash: string; width: ImageWidth } | null {
  const m = FILE_PATTERN.exec(name);
  return m ? { hash: m[1]!, width: Number(m[2]) as ImageWidth } : null;
}

/**
 * The pixel size of one rendition of an image of the given (oriented) size: scaled to the rendition's width, never
 * up, and never beyond what WebP can hold. The encoder and the `<img>` markup both use this, so `srcset` widths and
 * `width`/`height` attributes are what the files really are.
 */
export function renditionSize(width: number, height: number, target: ImageWidth): { width: number; height: number } {
  const scale = Math.min(1, target / width, MAX_RENDITION_SIDE / height, MAX_RENDITION_SIDE / width);
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}
