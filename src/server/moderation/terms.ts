// The prohibited words and categories, as administrators edit them in the console. Words are stored in the content
// rules' normal form, so one entry covers its full-width, traditional and spaced-out spellings. An edit applies to
// the next listing write without a restart, in every process (content-rules reads the lists again when they change).
import { asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { PROHIBITED_KINDS, prohibitedTerms } from '../../../db/schema.ts';
import { assertAdmin } from '../admin.ts';
import { recordAudit } from '../audit/index.ts';
import { normalizeText } from '../content-rules/normalize.ts';
import type { Db } from '../db.ts';
import { InvalidError, NotFoundError } from '../errors.ts';
import { getTaxonomy } from '../taxonomy/taxonomy.ts';
import { parseInput } from '../validation.ts';
import { confirm, confirmOnly } from './confirm.ts';

export type ProhibitedTerm = typeof prohibitedTerms.$inferSelect;

export function listProhibitedTerms(db: Db, adminId: string): ProhibitedTerm[] {
  assertAdmin(db, adminId);
  return db.select().from(prohibitedTerms).orderBy(asc(prohibitedTerms.kind), asc(prohibitedTerms.value)).all();
}

const addSchema = z.object({
  confirm,
  kind: z.enum(PROHIBITED_KINDS, { error: 'admin.terms.kindInvalid' }),
  value: z.string({ error: 'admin.terms.valueRequired' }).trim().min(1, 'admin.terms.valueRequired').max(60, 'admin.terms.valueTooLong'),
});

/** Adds a word (fields kind=word, value, confirm) or a category by slug (kind=category); adding twice is harmless. */
export function addProhibitedTerm(db: Db, adminId: string, input: unknown, now: number, ip?: string): ProhibitedTerm {
  assertAdmin(db, adminId);
  const { kind, value } = parseInput(addSchema, input);
  let stored = value;
  if (kind === 'word') {
    stored = normalizeText(value);
    if (!stored) throw new InvalidError('empty word', { value: 'admin.terms.valueRequired' });
  } else if (!getTaxonomy(db).categories.bySlug.has(value)) {
    throw new InvalidError('unknown category', { value: 'admin.terms.unknownCategory' }, { value: { slug: value } });
  }
  const row = db.transaction(
    (tx) => {
      const inserted = tx.insert(prohibitedTerms).values({ kind, value: stored, createdAt: now }).onConflictDoNothing().returning().get();
      if (inserted) recordAudit(tx, { actorId: adminId, action: 'prohibitedTerm.add', targetType: 'prohibitedTerm', targetId: inserted.id, after: { kind, value: stored }, ip }, now);
      return inserted ?? tx.select().from(prohibitedTerms).where(eq(prohibitedTerms.value, stored)).get()!;
    },
    { behavior: 'immediate' },
  );
  return row;
}

export function removeProhibitedTerm(db: Db, adminId: string, id: number, input: unknown, now: number, ip?: string): void {
  assertAdmin(db, adminId);
  parseInput(confirmOnly, input);
  db.transaction(
    (tx) => {
      const row = tx.select().from(prohibitedTerms).where(eq(prohibitedTerms.id, id)).get();
      if (!row) throw new NotFoundError(`prohibited term ${id}`);
      tx.delete(prohibitedTerms).where(eq(prohibitedTerms.id, id)).run();
      recordAudit(tx, { actorId: adminId, action: 'prohibitedTerm.remove', targetType: 'prohibitedTerm', targetId: id, before: { kind: row.kind, value: row.value }, ip }, now);
    },
    { behavior: 'immediate' },
  );
}
