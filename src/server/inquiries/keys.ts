// What the inquiry forms and links sign: a form's start time (so a form sent within seconds of being shown is
// refused) and a visitor's private thread link. The key is made on first use and kept in the database, so it
// survives restarts and every process of one site signs alike.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { siteKeys } from '../../../db/schema.ts';
import type { Db } from '../db.ts';
import { InvalidError } from '../errors.ts';

const keys = new WeakMap<Db, Buffer>();

function signingKey(db: Db): Buffer {
  let key = keys.get(db);
  if (key) return key;
  const name = 'inquiries';
  db.insert(siteKeys).values({ name, value: randomBytes(32).toString('base64'), createdAt: Date.now() }).onConflictDoNothing().run();
  key = Buffer.from(db.select().from(siteKeys).where(eq(siteKeys.name, name)).get()!.value, 'base64');
  keys.set(db, key);
  return key;
}

export function sign(db: Db, purpose: string, payload: string): string {
  return createHmac('sha256', signingKey(db)).update(`${purpose}\n${payload}`).digest('base64url');
}

export function verifySignature(db: Db, purpose: string, payload: string, signature: string): boolean {
  const expected = Buffer.from(sign(db, purpose, payload));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** A form stays usable this long after it was shown; older ones are refused with "reload the page". */
const FORM_LIFETIME_MS = 24 * 3_600_000;
/**
 * Stamps are rounded up to the next half minute, so a listing page (which carries the form) stays byte-identical,
 * and answers 304 by ETag, for half a minute at a time. The form counts as shown from that boundary: a form posted
 * at once is refused, one posted after a person's typing (3 to 33 s) is not.
 */
export const STAMP_GRANULARITY_MS = 30_000;

/** The hidden `started` field of an inquiry form: from when it counts as shown, signed. */
export function formStamp(db: Db, now: number): string {
  const shown = Math.ceil(now / STAMP_GRANULARITY_MS) * STAMP_GRANULARITY_MS;
  return `${shown}.${sign(db, 'form', String(shown))}`;
}

/** Refuses a form without a valid stamp, one sent too soon after it was shown, or one shown too long ago. */
export function checkFormStamp(db: Db, stamp: string | undefined, now: number, minFillMs: number): void {
  const m = /^(\d{1,15})\.([\w-]{43})$/.exec(stamp ?? '');
  if (!m || !verifySignature(db, 'form', m[1]!, m[2]!)) throw new InvalidError('form stamp', { _: 'inquiry.formStale' });
  const shown = Number(m[1]);
  if (now - shown > FORM_LIFETIME_MS) throw new InvalidError('form stamp', { _: 'inquiry.formStale' });
  if (minFillMs > 0 && now - shown < minFillMs) throw new InvalidError('form stamp', { _: 'inquiry.tooFast' });
}
