// A listing form reports every problem at once: a field the schema refuses does not hide the checks across fields
// (a price range the wrong way round, an attribute outside its list) until the next submit.
import { describe, expect, it } from 'vitest';
import { InvalidError } from '../../src/server/errors.ts';
import { resolveListing } from '../../src/server/listings/input.ts';
import { referenceTaxonomy } from '../helpers/taxonomy.ts';

const { regions, categories, taxonomy } = referenceTaxonomy();
const leaf = categories.find((c) => c.parentId !== null)!;

function fieldsOf(input: Record<string, unknown>): Record<string, string> {
  try {
    resolveListing(taxonomy, input, null);
  } catch (e) {
    if (e instanceof InvalidError) return e.fields;
    throw e;
  }
  throw new Error('expected InvalidError');
}

const valid = { kind: 'supply', title: '优质早籼稻大量现货', category: leaf.slug, region: 'xihu', priceType: 'range', priceMin: '2600', priceMax: '2800', priceUnit: '吨', description: '产地直供，欢迎来电洽谈。' };

describe('every invalid field at once', () => {
  it('a short title and a reversed price range come back together', () => {
    expect(() => resolveListing(taxonomy, valid, null)).not.toThrow();
    const fields = fieldsOf({ ...valid, title: '米', priceMin: '3000', priceMax: '2000' });
    expect(Object.keys(fields).sort()).toEqual(['priceMax', 'title']);
    expect(fields.priceMax).toBe('posting.priceRangeOrder');
  });

  it('an unreadable price, an unknown region and a missing kind together', () => {
    const fields = fieldsOf({ ...valid, kind: '', priceMin: 'abc', region: 'atlantis' });
    expect(Object.keys(fields).sort()).toEqual(['kind', 'priceMin', 'region']);
  });
});
