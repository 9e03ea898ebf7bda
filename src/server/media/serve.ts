// Reading a stored rendition for the /media route. Only names of the strict form `<hash>-<width>.webp` map to a
// file, so no request can reach anything else in the data folder.
import fs from 'node:fs/promises';
import { renditionPath } from './index.ts';
import { parseRenditionName } from './renditions.ts';

export interface Rendition {
  bytes: Uint8Array<ArrayBuffer>;
  /** Names are content hashes and never change meaning; the size guards against a re-encode by a newer sharp. */
  etag: string;
}

/** The stored rendition a public file name stands for, or null (a bad name or an image never stored). */
export async function readRendition(dataDir: string, fileName: string): Promise<Rendition | null> {
  const parsed = parseRenditionName(fileName);
  if (!parsed) return null;
  try {
    const bytes = await fs.readFile(renditionPath(dataDir, parsed.hash, parsed.width));
    return { bytes, etag: `"${parsed.hash.slice(0, 16)}-${parsed.width}-${bytes.length}"` };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}
