import { describe, expect, it } from 'vitest';
import { roundPrice } from '../../src/server/demo/generate.ts';
import { Random } from '../../src/server/demo/random.ts';

describe('Random', () => {
  it('repeats the same sequence for the same seed and differs for another', () => {
    const a = new Random(1);
    const b = new Random(1);
    const c = new Random(2);
    const seqA = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(seqA);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(seqA);
  });

  it('stays inside its ranges', () => {
    const r = new Random(7);
    for (let i = 0; i < 1000; i++) {
      const n = r.int(3, 5);
      expect(n).toBeGreaterThanOrEqual(3);
      expect(n).toBeLessThanOrEqual(5);
      expect(['a', 'b']).toContain(r.pick(['a', 'b']));
    }
  });

  it('samples distinct items and respects weights', () => {
    const r = new Random(3);
    const sample = r.sample([1, 2, 3, 4, 5], 3);
    expect(new Set(sample).size).toBe(3);
    const tally = { x: 0, y: 0 };
    for (let i = 0; i < 2000; i++) tally[r.weighted(['x', 'y'] as const, [9, 1])]++;
    expect(tally.x).toBeGreaterThan(tally.y * 5);
    expect(r.weighted(['only'], [0])).toBe('only');
  });
});

describe('roundPrice (demo prices as people quote them)', () => {
  it('keeps three significant digits, whole yuan from 10 元, jiao below', () => {
    expect(roundPrice(38_917_644)).toBe(38_900_000);
    expect(roundPrice(6512)).toBe(6500); // 65.12 元 -> 65 元
    expect(roundPrice(1234)).toBe(1200);
    expect(roundPrice(123)).toBe(120); // 1.23 元 -> 1.2 元
    expect(roundPrice(5)).toBe(10); // never rounds to zero
  });
});
