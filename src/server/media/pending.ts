// Uploads waiting for their form: a submission that fails on a field keeps the images it stored, and the form sends
// their hashes back so nobody uploads twice. The hashes come back from the browser, so they are trusted only as far as
// this record goes: a member may reuse only images they uploaded themselves, with the dimensions measured when they
// were stored (never another company's image, never made-up dimensions).
import { and, eq, inArray, lt } from 'drizzle-orm';
import { pendingUploads } from '../../../db/schema.ts';
import type { Db } from '../db.ts';
import type { StoredImage } from './index.ts';

/** Remembers images a member just uploaded with a form that did not save. */
export function recordPendingUploads(db: Db, userId: string, images: readonly StoredImage[], now: number): void {
  if (images.length === 0) return;
  db.insert(pendingUploads)
    .values(images.map((i) => ({ userId, hash: i.hash, width: i.width, height: i.height, createdAt: now })))
    .onConflictDoUpdate({ target: [pendingUploads.hash, pendingUploads.userId], set: { createdAt: now } })
    .run();
}

/** Of `hashes`, the ones this member uploaded and has not used yet, in the order asked, with their recorded sizes. */
export function pendingUploadsOf(db: Db, userId: string, hashes: readonly string[]): StoredImage[] {
  if (hashes.length === 0) return [];
  const rows = db
    .select({ hash: pendingUploads.hash, width: pendingUploads.width, height: pendingUploads.height })
    .from(pendingUploads)
    .where(and(eq(pendingUploads.userId, userId), inArray(pendingUploads.hash, [...hashes])))
    .all();
  const byHash = new Map(rows.map((r) => [r.hash, r]));
  return hashes.flatMap((h) => (byHash.has(h) ? [byHash.get(h)!] : []));
}

/** The images are part of a listing or logo now: no longer pending. */
export function forgetPendingUploads(db: Db, userId: string, hashes: readonly string[]): void {
  if (hashes.length === 0) return;
  db.delete(pendingUploads).where(and(eq(pendingUploads.userId, userId), inArray(pendingUploads.hash, [...hashes]))).run();
}

/** Forgets pending uploads older than `before` (their files go with the unused-image cleanup). */
export function expirePendingUploads(db: Db, before: number): number {
  return db.delete(pendingUploads).where(lt(pendingUploads.createdAt, before)).run().changes;
}
