// Stored images nothing refers to any more: an image removed from its listing, a listing deleted, a form that stored
// its uploads and then failed validation. Files are shared by content hash, so an image goes only when no listing
// and no company logo uses it, and only after a grace period, so an upload whose form is still being saved stays.
import fs from 'node:fs/promises';
import path from 'node:path';
import { inArray } from 'drizzle-orm';
import { companies, listingImages, pendingUploads } from '../../../db/schema.ts';
import type { Db } from '../db.ts';
import { imageFolder } from './index.ts';
import { expirePendingUploads } from './pending.ts';
import { isImageHash } from './renditions.ts';
import { scheduleJob } from '../observability/jobs.ts';

export const UNUSED_IMAGE_GRACE_MS = 24 * 3600_000;

/** Hashes among `hashes` that a listing image, a company logo or a form still waiting to be saved refers to. */
function referenced(db: Db, hashes: string[]): Set<string> {
  const used = new Set<string>();
  for (let i = 0; i < hashes.length; i += 500) {
    const batch = hashes.slice(i, i + 500);
    for (const r of db.selectDistinct({ h: listingImages.hash }).from(listingImages).where(inArray(listingImages.hash, batch)).all()) used.add(r.h);
    for (const r of db.selectDistinct({ h: companies.logoHash }).from(companies).where(inArray(companies.logoHash, batch)).all()) {
      if (r.h) used.add(r.h);
    }
    for (const r of db.selectDistinct({ h: pendingUploads.hash }).from(pendingUploads).where(inArray(pendingUploads.hash, batch)).all()) used.add(r.h);
  }
  return used;
}

/** Removes images stored more than `graceMs` ago that nothing refers to; returns how many went. */
export async function removeUnusedImages(db: Db, dataDir: string, now: number, graceMs = UNUSED_IMAGE_GRACE_MS): Promise<number> {
  expirePendingUploads(db, now - graceMs);
  const root = path.join(dataDir, 'media');
  const old: string[] = [];
  for (const a of await fs.readdir(root).catch(() => [] as string[])) {
    if (!/^[0-9a-f]{2}$/.test(a)) continue;
    for (const b of await fs.readdir(path.join(root, a)).catch(() => [] as string[])) {
      for (const hash of await fs.readdir(path.join(root, a, b)).catch(() => [] as string[])) {
        if (!isImageHash(hash)) continue;
        const stat = await fs.stat(imageFolder(dataDir, hash)).catch(() => null);
        if (stat && now - stat.mtimeMs > graceMs) old.push(hash);
      }
    }
  }
  const used = referenced(db, old);
  let removed = 0;
  for (const hash of old) {
    if (used.has(hash)) continue;
    await fs.rm(imageFolder(dataDir, hash), { recursive: true, force: true });
    removed++;
  }
  return removed;
}

const CLEANUP_EVERY_MS = 24 * 3600_000;

/** Runs removeUnusedImages once a day in the server process (a minute after start, then daily). */
export function startImageCleanup(db: Db, dataDir: string): void {
  scheduleJob('image-cleanup', { firstAfterMs: 60_000, everyMs: CLEANUP_EVERY_MS }, () => removeUnusedImages(db, dataDir, Date.now()));
}
