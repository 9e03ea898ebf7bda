// Uploaded images: decoded, checked and re-encoded by sharp, stored by content hash under the data folder.
// CONTRACT (filled in by the media work): the signatures below are what listing and company code call.
import { InvalidError } from '../errors.ts';

export interface StoredImage {
  /** Content hash naming the stored renditions. */
  hash: string;
  width: number;
  height: number;
}

/** The widths every image is stored in (WebP). */
export const IMAGE_WIDTHS = [320, 800, 1600] as const;

/**
 * Checks and stores one upload. Throws InvalidError (message key in `fields.image`) for anything that is not a
 * readable image within the limits; a refused file leaves nothing on disk.
 */
export async function storeImage(_bytes: Uint8Array, _dataDir: string): Promise<StoredImage> {
  throw new InvalidError('media not built yet', { image: 'media.notBuilt' });
}

/** The public URL of one rendition. */
export function imageUrl(hash: string, width: (typeof IMAGE_WIDTHS)[number]): string {
  return `/media/${hash}-${width}.webp`;
}
