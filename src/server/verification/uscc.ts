// The unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters from a 31-character alphabet (no
// I, O, Z, S, V), the last one a check character over the first 17. Codes from any province are valid: a company
// may be registered elsewhere. Pure.
const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

export type UsccProblem = 'length' | 'characters' | 'checkCharacter';

/** The code as people type it: spaces dropped, upper case, full-width folded. */
export function normalizeUscc(raw: string): string {
  return raw.normalize('NFKC').replace(/[\s-]+/g, '').toUpperCase();
}

/** The check character the first 17 characters call for. */
export function usccCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += ALPHABET.indexOf(first17[i]!) * WEIGHTS[i]!;
  return ALPHABET[(31 - (sum % 31)) % 31]!;
}

/** What is wrong with a code, or null for a valid one. */
export function usccProblem(raw: string): UsccProblem | null {
  const code = normalizeUscc(raw);
  if (code.length !== 18) return 'length';
  if ([...code].some((c) => !ALPHABET.includes(c))) return 'characters';
  return usccCheckCharacter(code.slice(0, 17)) === code[17] ? null : 'checkCharacter';
}
