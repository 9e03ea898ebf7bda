// Several uploads of one form or API call: all stored, or none (a refused file names itself and nothing of the
// batch is kept); and the existing images rearranged by the form's "remove" and "make first" choices.
import { InvalidError } from '../errors.ts';
import type { Params, Translate } from '../i18n/index.ts';
import { isImageHash, prepareImage, type ImageProblem, type PreparedImage, type StoredImage } from './index.ts';

export interface UploadedFile {
  bytes: Uint8Array;
  /** The name the browser sent: shown to the person in messages, never used for anything else. */
  name: string;
}

/**
 * A posted form as the edge read it: the text fields in order (a name may repeat) and every uploaded file with the
 * field it came in (a file input left empty sends a nameless, empty file).
 */
export interface PostedForm {
  fields: [string, string][];
  files: (UploadedFile & { field: string })[];
}

/**
 * A refused upload; `fields.images` (or the field given) holds the reason's message key, `describeUploadError` the
 * full sentence naming the file.
 */
export class ImageUploadError extends InvalidError {
  constructor(
    readonly problem: ImageProblem | 'media.tooMany',
    /** The refused file's name (cleaned), or null when the batch as a whole was refused. */
    readonly fileName: string | null,
    readonly params: Params = {},
    field = 'images',
  ) {
    super(`images refused: ${problem}${fileName === null ? '' : ` (${fileName})`}`, { [field]: problem });
    this.name = 'ImageUploadError';
  }
}

/** The sentence for a person, e.g. “样品.jpg”：图片已损坏或不完整，无法读取. Pages escape it like any text. */
export function describeUploadError(t: Translate, e: ImageUploadError): string {
  const reason = t(e.problem, e.params);
  return e.fileName === null ? reason : t('media.fileRefused', { name: e.fileName, reason });
}

/** A browser-sent name, fit to show: no folders (old browsers send C:\fakepath\...), no control or bidi characters. */
export function cleanFileName(name: string): string {
  const base = name.split('\\').pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '').trim();
  return clean.length > 80 ? `${clean.slice(0, 77)}...` : clean;
}

/**
 * Stores up to `max` uploads. A form with no file chosen sends one nameless empty part: that is skipped, not refused.
 * When any file is refused, none of the batch is stored and the error names the file; the same image twice is
 * stored once and returned once.
 */
export async function storeImages(
  files: UploadedFile[],
  dataDir: string,
  max: number,
  /** The form field the error is reported on (e.g. `logo` on the company form). */
  { field = 'images' }: { field?: string } = {},
): Promise<StoredImage[]> {
  const chosen = files.filter((f) => !(f.name === '' && f.bytes.length === 0));
  if (chosen.length > max) throw new ImageUploadError('media.tooMany', null, { max: Math.max(0, max) }, field);
  const prepared: PreparedImage[] = [];
  try {
    // One at a time: each decode may hold tens of MB, and sharp already uses every core for one image.
    for (const file of chosen) {
      try {
        prepared.push(await prepareImage(file.bytes, dataDir));
      } catch (e) {
        if (e instanceof InvalidError && e.fields.image) {
          throw new ImageUploadError(e.fields.image as ImageProblem, cleanFileName(file.name) || '?', {}, field);
        }
        throw e;
      }
    }
  } catch (e) {
    await Promise.all(prepared.map((p) => p.discard()));
    throw e;
  }
  const stored = new Map<string, StoredImage>();
  for (const p of prepared) {
    if (stored.has(p.hash)) {
      await p.discard();
      continue;
    }
    await p.commit();
    stored.set(p.hash, { hash: p.hash, width: p.width, height: p.height });
  }
  return [...stored.values()];
}

export interface ImageChoice {
  /** Hashes ticked "remove" (the form's `removeImages` values); anything that is not a hash is ignored. */
  remove?: readonly string[];
  /** The hash chosen as the first image (the form's `firstImage` value). */
  first?: string | null;
}

/** How many more images fit once the ones ticked "remove" are gone: the `max` to give storeImages. */
export function roomForImages(existing: readonly StoredImage[], choice: ImageChoice, max: number): number {
  const remove = new Set(choice.remove ?? []);
  return Math.max(0, max - existing.filter((img) => !remove.has(img.hash)).length);
}

/**
 * The images after an edit, in order: the existing ones not removed, then the new ones, with the chosen first image
 * moved to the front; an image is listed once. Refuses more than `max`.
 */
export function arrangeImages(
  existing: readonly StoredImage[],
  choice: ImageChoice,
  added: readonly StoredImage[],
  max: number,
): StoredImage[] {
  const remove = new Set((choice.remove ?? []).filter(isImageHash));
  const byHash = new Map<string, StoredImage>();
  for (const img of [...existing.filter((i) => !remove.has(i.hash)), ...added]) {
    if (!byHash.has(img.hash)) byHash.set(img.hash, img);
  }
  const list = [...byHash.values()];
  const firstAt = choice.first ? list.findIndex((i) => i.hash === choice.first) : -1;
  if (firstAt > 0) list.unshift(...list.splice(firstAt, 1));
  if (list.length > max) throw new ImageUploadError('media.tooMany', null, { max });
  return list;
}
