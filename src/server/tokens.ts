// Secrets handed to a client (session tokens, API tokens): random, and kept at rest only as their SHA-256, so a
// leaked database file hands out nothing that works.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 160 random bits, base32-lowercase (URL- and header-safe). */
export function newToken(): string {
  const bytes = randomBytes(20);
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Compares a presented secret with the expected one in constant time (their hashes have one length). */
export function sameSecret(presented: string, expected: string): boolean {
  return timingSafeEqual(Buffer.from(hashToken(presented), 'hex'), Buffer.from(hashToken(expected), 'hex'));
}
