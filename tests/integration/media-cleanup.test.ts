// Removing stored images nothing uses any more, and keeping everything that is used or recent.
import fs from 'node:fs';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { companies, listingImages } from '../../db/schema.ts';
import { removeUnusedImages } from '../../src/server/media/cleanup.ts';
import { imageFolder, storeImage } from '../../src/server/media/index.ts';
import { pendingUploadsOf, recordPendingUploads } from '../../src/server/media/pending.ts';
import { freshDb, makeCompany, makeListing, makeUser, tempDir } from '../helpers/db.ts';
import { solid } from '../helpers/images.ts';

const DAY = 86_400_000;

function age(dir: string, ms: number) {
  const t = new Date(Date.now() - ms);
  fs.utimesSync(dir, t, t);
}

describe('removeUnusedImages', () => {
  it('removes old unreferenced images and keeps listing images, logos and recent uploads', async () => {
    const db = freshDb();
    const dataDir = tempDir();
    const [onListing, asLogo, orphan, recent] = await Promise.all(
      [10, 11, 12, 13].map(async (w) => storeImage(await solid(w, 10, 'png'), dataDir)),
    );
    const company = makeCompany(db);
    const listing = makeListing(db, company.id);
    db.insert(listingImages).values({ listingId: listing.id, position: 0, ...onListing!, createdAt: Date.now() }).run();
    db.update(companies).set({ logoHash: asLogo!.hash }).where(eq(companies.id, company.id)).run();
    for (const img of [onListing!, asLogo!, orphan!]) age(imageFolder(dataDir, img.hash), 2 * DAY);

    expect(await removeUnusedImages(db, dataDir, Date.now())).toBe(1);
    expect(fs.existsSync(imageFolder(dataDir, orphan!.hash))).toBe(false);
    for (const kept of [onListing!, asLogo!, recent!]) expect(fs.existsSync(imageFolder(dataDir, kept.hash))).toBe(true);
  });

  it('gives an old unused image uploaded again a fresh grace period', async () => {
    const db = freshDb();
    const dataDir = tempDir();
    const bytes = await solid(20, 10, 'png');
    const img = await storeImage(bytes, dataDir);
    age(imageFolder(dataDir, img.hash), 2 * DAY);
    // Someone uploads the same picture while their form is being saved.
    await storeImage(bytes, dataDir);
    expect(await removeUnusedImages(db, dataDir, Date.now())).toBe(0);
    expect(fs.existsSync(imageFolder(dataDir, img.hash))).toBe(true);
  });

  it('keeps an image a form is still waiting for, and forgets pending uploads after the grace period', async () => {
    const db = freshDb();
    const dataDir = tempDir();
    const user = makeUser(db);
    const img = await storeImage(await solid(21, 10, 'png'), dataDir);
    recordPendingUploads(db, user.id, [img], Date.now());
    age(imageFolder(dataDir, img.hash), 2 * DAY);
    expect(await removeUnusedImages(db, dataDir, Date.now())).toBe(0);
    expect(pendingUploadsOf(db, user.id, [img.hash])).toEqual([img]);
    // Two days on, the form was never sent again: the record and then the file go.
    expect(await removeUnusedImages(db, dataDir, Date.now() + 2 * DAY)).toBe(1);
    expect(pendingUploadsOf(db, user.id, [img.hash])).toEqual([]);
  });
});
