// Uploaded images: decoded, checked and re-encoded by sharp, stored by content hash under the data folder.
//
// The hash is the SHA-256 of the uploaded bytes (as the `listing_images.hash` column says: "of the original"), not
// of the WebP output: it is known before anything is decoded, so the same upload twice costs one hash and a stat,
// and it does not change when a newer sharp encodes the same image to different bytes.
//
// Layout: <dataDir>/media/<hash 0-2>/<hash 2-4>/<hash>/<width>.webp. The three renditions are encoded into a
// private folder under <dataDir>/media/.tmp and moved into place with one rename, so a refusal or a crash never
// leaves a partial image where it would be served.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type Sharp from 'sharp';
import type { Metadata, OutputInfo, SharpOptions, WebpOptions } from 'sharp';
import { InvalidError } from '../errors.ts';
import { sniffImageType, type ImageType } from './detect.ts';
import { IMAGE_WIDTHS, MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, renditionSize, type ImageWidth } from './renditions.ts';

// sharp (libvips) is loaded with the first image, not at start-up: 26 MB resident (measured: 18 of library code
// touched at load, 7 anonymous) that a server only serving pages never needs. Its operation cache is off: each
// upload is decoded once, so cached results are never reused and would hold up to 50 MB.
let loaded: Promise<typeof Sharp> | undefined;
function loadSharp(): Promise<typeof Sharp> {
  loaded ??= import('sharp').then((m) => {
    m.default.cache(false);
    return m.default;
  });
  return loaded;
}

export {
  ACCEPTED_IMAGE_TYPES,
  IMAGE_WIDTHS,
  MAX_IMAGE_BYTES,
  MAX_IMAGE_PIXELS,
  imageUrl,
  isImageHash,
  parseRenditionName,
  renditionSize,
  type ImageWidth,
} from './renditions.ts';

export interface StoredImage {
  /** Content hash naming the stored renditions. */
  hash: string;
  width: number;
  height: number;
}

/** Why an image was refused: a message key of the media catalogue. */
export type ImageProblem =
  | 'media.empty'
  | 'media.tooBig'
  | 'media.tooManyPixels'
  | 'media.notImage'
  | 'media.heicUnsupported'
  | 'media.damaged';

const refuse = (problem: ImageProblem) => new InvalidError(`image refused: ${problem}`, { image: problem });

/** What sharp's metadata calls each type the magic bytes can announce. */
const SHARP_FORMAT: Record<ImageType, string> = { jpeg: 'jpeg', png: 'png', webp: 'webp', avif: 'heif', heic: 'heif' };

// Decoding stops at the first warning (a truncated JPEG is a warning to libjpeg) and at the pixel limit, whatever
// the header claimed.
const INPUT_OPTIONS: SharpOptions = { limitInputPixels: MAX_IMAGE_PIXELS, failOn: 'warning' };
const WEBP_OPTIONS: WebpOptions = { quality: 80, effort: 4 };

export function imageFolder(dataDir: string, hash: string): string {
  return path.join(dataDir, 'media', hash.slice(0, 2), hash.slice(2, 4), hash);
}

/** Where one rendition lives on disk; callers check the hash and width first (see parseRenditionName). */
export function renditionPath(dataDir: string, hash: string, width: ImageWidth): string {
  return path.join(imageFolder(dataDir, hash), `${width}.webp`);
}

/** An image checked and encoded, not yet visible: `commit` moves it into place, `discard` removes it. */
export interface PreparedImage extends StoredImage {
  commit(): Promise<void>;
  discard(): Promise<void>;
}

/** sharp says "exceeds pixel limit" for an image over limitInputPixels; any other failure to read is damage. */
const problemOf = (e: unknown): ImageProblem => (/pixel limit/i.test(String(e)) ? 'media.tooManyPixels' : 'media.damaged');

/** Checks the bytes and reads the header; nothing is decoded yet. */
async function inspect(bytes: Uint8Array): Promise<{ hash: string; width: number; height: number }> {
  if (bytes.length === 0) throw refuse('media.empty');
  if (bytes.length > MAX_IMAGE_BYTES) throw refuse('media.tooBig');
  const type = sniffImageType(bytes);
  if (!type) throw refuse('media.notImage');
  const sharp = await loadSharp();
  let meta: Metadata;
  try {
    meta = await sharp(bytes, INPUT_OPTIONS).metadata();
  } catch (e) {
    throw refuse(problemOf(e));
  }
  // The magic bytes and the decoder must agree: a file that starts like one type and parses as another is refused.
  if (meta.format !== SHARP_FORMAT[type]) throw refuse('media.notImage');
  if (meta.format === 'heif' && meta.compression !== 'av1') throw refuse('media.heicUnsupported');
  if (!meta.width || !meta.height) throw refuse('media.damaged');
  if (meta.width * meta.height > MAX_IMAGE_PIXELS) throw refuse('media.tooManyPixels');
  const oriented = meta.autoOrient ?? { width: meta.width, height: meta.height };
  return { hash: createHash('sha256').update(bytes).digest('hex'), width: oriented.width, height: oriented.height };
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

/**
 * Encodes the renditions into a private folder. One decode serves all three: the image is oriented and scaled to the
 * largest rendition once (JPEG decodes at a reduced scale for that), and the smaller ones are made from it.
 */
async function encode(bytes: Uint8Array, image: StoredImage, folder: string): Promise<void> {
  const largest = renditionSize(image.width, image.height, IMAGE_WIDTHS.at(-1)!);
  const sharp = await loadSharp();
  let raw: { data: Buffer; info: OutputInfo };
  try {
    raw = await sharp(bytes, INPUT_OPTIONS)
      .autoOrient()
      .resize(largest.width, largest.height, { fit: 'fill' })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw refuse(problemOf(e));
  }
  const { width, height, channels } = raw.info;
  for (const target of IMAGE_WIDTHS) {
    const size = renditionSize(image.width, image.height, target);
    let pipeline = sharp(raw.data, { raw: { width, height, channels } });
    if (size.width !== width || size.height !== height) pipeline = pipeline.resize(size.width, size.height, { fit: 'fill' });
    // sharp writes no metadata unless asked: EXIF (with any GPS position), XMP and ICC are all left behind.
    await pipeline.webp(WEBP_OPTIONS).toFile(path.join(folder, `${target}.webp`));
  }
}

/**
 * Checks and encodes one upload without making it visible. Throws InvalidError (message key in `fields.image`);
 * nothing stays on disk after a refusal.
 */
export async function prepareImage(bytes: Uint8Array, dataDir: string): Promise<PreparedImage> {
  const image = await inspect(bytes);
  const final = imageFolder(dataDir, image.hash);
  // The folder appears whole in one rename, so its existence means all renditions are there. Its time is renewed,
  // so the clean-up of unused images (cleanup.ts) gives this upload the same grace as a new one.
  if (await exists(final)) {
    const renew = () => fs.utimes(final, new Date(), new Date()).catch(() => {});
    await renew();
    return { ...image, commit: renew, discard: async () => {} };
  }

  const tmpRoot = path.join(dataDir, 'media', '.tmp');
  await fs.mkdir(tmpRoot, { recursive: true });
  if (!swept.has(dataDir)) {
    swept.add(dataDir);
    void sweepUnfinishedUploads(dataDir, Date.now()).catch(() => {});
  }
  const tmp = await fs.mkdtemp(path.join(tmpRoot, `${image.hash.slice(0, 8)}-`));
  const discard = () => fs.rm(tmp, { recursive: true, force: true });
  try {
    await encode(bytes, image, tmp);
  } catch (e) {
    await discard();
    throw e;
  }
  return {
    ...image,
    discard,
    async commit() {
      await fs.mkdir(path.dirname(final), { recursive: true });
      try {
        await fs.rename(tmp, final);
      } catch (e) {
        // The same image arrived twice at once and the other upload won: its copy is identical.
        if (!['EEXIST', 'ENOTEMPTY', 'EPERM'].includes((e as NodeJS.ErrnoException).code ?? '') || !(await exists(final))) {
          await discard();
          throw e;
        }
        await discard();
      }
    },
  };
}

/**
 * Checks and stores one upload. Throws InvalidError (message key in `fields.image`) for anything that is not a
 * readable image within the limits; a refused file leaves nothing on disk.
 */
export async function storeImage(bytes: Uint8Array, dataDir: string): Promise<StoredImage> {
  const prepared = await prepareImage(bytes, dataDir);
  await prepared.commit();
  return { hash: prepared.hash, width: prepared.width, height: prepared.height };
}

const swept = new Set<string>();

/**
 * Removes the private folders of uploads a crash interrupted (older than an hour, so no upload still running is
 * touched). Runs once per process, with the first upload.
 */
export async function sweepUnfinishedUploads(dataDir: string, now: number): Promise<number> {
  const tmpRoot = path.join(dataDir, 'media', '.tmp');
  const entries = await fs.readdir(tmpRoot).catch(() => [] as string[]);
  let removed = 0;
  for (const name of entries) {
    const dir = path.join(tmpRoot, name);
    const stat = await fs.stat(dir).catch(() => null);
    if (stat && now - stat.mtimeMs > 3600_000) {
      await fs.rm(dir, { recursive: true, force: true });
      removed++;
    }
  }
  return removed;
}
