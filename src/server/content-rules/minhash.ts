// Near-duplicate detection: MinHash over character shingles of a listing's normalised title, description and
// attribute values, banded for lookup (LSH). Each listing stores BANDS band keys; a listing sharing a band key with
// another is a candidate, and a candidate is a near-duplicate when the exact Jaccard similarity of the two shingle
// sets reaches THRESHOLD. The specification numbers are part of every band key and must be equal: catalogue
// variants (无缝钢管 Φ89×4 and Φ108×5) share almost every shingle and differ only there. Pure.
import { normalizeText, widthFold } from './normalize.ts';

export const SHINGLE = 2;
export const BANDS = 6;
export const ROWS = 3;
/** Jaccard similarity of shingle sets from which two listings are the same listing posted twice. */
export const THRESHOLD = 0.7;

export interface Fingerprint {
  shingles: Set<string>;
  /** The numbers of the text in order of appearance (Φ89×4 -> "89,4"). */
  numbers: string;
  /** BANDS signed 32-bit keys, band i at index i. */
  bands: number[];
}

function hash32(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ Math.imul(seed, 0x9e3779b1)) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** What two texts are compared by: their shingle sets and their specification numbers (cheap: no MinHash). */
export function textShape(parts: readonly string[]): Pick<Fingerprint, 'shingles' | 'numbers'> {
  const joined = parts.join(' ');
  const text = normalizeText(joined);
  const shingles = new Set<string>();
  for (let i = 0; i + SHINGLE <= text.length; i++) shingles.add(text.slice(i, i + SHINGLE));
  if (shingles.size === 0 && text) shingles.add(text);
  return { shingles, numbers: (widthFold(joined).match(/\d+(?:\.\d+)?/g) ?? []).join(',') };
}

export function fingerprint(parts: readonly string[]): Fingerprint {
  const { shingles, numbers } = textShape(parts);
  const base = [...shingles].map((s) => hash32(s, 0));
  const bands: number[] = [];
  for (let b = 0; b < BANDS; b++) {
    let key = numbers;
    for (let r = 0; r < ROWS; r++) {
      // The min over the shingles of one hash function (a permutation of the shingle space).
      const seed = Math.imul(b * ROWS + r + 1, 0x27d4eb2d) >>> 0;
      let min = 0xffffffff;
      for (const h of base) {
        let x = (h ^ seed) >>> 0;
        x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d);
        x = Math.imul(x ^ (x >>> 12), 0x297a2d39);
        x = (x ^ (x >>> 15)) >>> 0;
        if (x < min) min = x;
      }
      key += `|${min}`;
    }
    bands.push(hash32(key, b) | 0);
  }
  return { shingles, numbers, bands };
}

export function jaccard(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let common = 0;
  for (const s of a) if (b.has(s)) common++;
  return common / (a.size + b.size - common);
}

/** Whether two fingerprints are of near-duplicate listings. */
export function isNearDuplicate(a: Pick<Fingerprint, 'shingles' | 'numbers'>, b: Pick<Fingerprint, 'shingles' | 'numbers'>): boolean {
  return a.numbers === b.numbers && jaccard(a.shingles, b.shingles) >= THRESHOLD;
}

/** Whether the bands would have brought the two together as candidates. */
export function shareBand(a: Fingerprint, b: Fingerprint): boolean {
  return a.bands.some((v, i) => b.bands[i] === v);
}
