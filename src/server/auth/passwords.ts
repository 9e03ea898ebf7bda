// Password hashing with scrypt (node:crypto, async so the event loop keeps serving while a hash is computed).
// Stored as `$scrypt$ln=17,r=8,p=1$<salt>$<key>` (base64): the cost travels with each hash, so raising it later
// leaves old hashes verifiable.
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { COMMON_PASSWORDS } from './common-passwords.ts';

export const PASSWORD_MIN = 8;
/** Long enough for any passphrase; short enough that nobody makes the server hash megabytes (hash-DoS). */
export const PASSWORD_MAX = 128;

export interface ScryptCost {
  /** log2 of N */
  ln: number;
  r: number;
  p: number;
}

/** OWASP's recommendation for scrypt: N=2^17, r=8, p=1 (128 MiB and about half a second per hash here). */
export const DEFAULT_COST: ScryptCost = { ln: 17, r: 8, p: 1 };
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
// Hashes whose stored cost is beyond this are refused rather than computed (a tampered row must not take the server down).
const MAX_LN = 20;

// scrypt shares libuv's four threads with sharp and uses 128 MiB each: two at a time keep memory bounded and leave
// threads for image work on this two-core machine; the rest wait their turn. The queue is not first come, first
// served: a lower `priority` goes first (sign-in gives 0 to an address the account signed in from lately, 1 to a
// clean attempt, 2 to anything with recent failures), so a flood of guesses cannot keep the owner waiting.
export const MAX_CONCURRENT_HASHES = 2;

/** At most `limit` holders at once; the others wait, a lower priority first, then in arrival order. */
export class Turns {
  private running = 0;
  private arrivals = 0;
  private readonly waiting: { priority: number; seq: number; start: () => void }[] = [];
  constructor(private readonly limit: number) {}

  /** Waits for a turn; call the returned function when done. */
  async take(priority: number): Promise<() => void> {
    // A freed turn is handed straight to the waiter it wakes, so no arrival in between can take it.
    if (this.running < this.limit) this.running++;
    else await new Promise<void>((start) => this.waiting.push({ priority, seq: this.arrivals++, start }));
    return () => {
      this.running--;
      this.next();
    };
  }

  /** Turns waiting at `priority` or better (lower): what a new arrival there would wait behind. */
  waitingAt(priority = Infinity): number {
    return this.waiting.filter((w) => w.priority <= priority).length;
  }

  private next(): void {
    if (this.waiting.length === 0 || this.running >= this.limit) return;
    let best = 0;
    for (let i = 1; i < this.waiting.length; i++) {
      const w = this.waiting[i]!;
      const b = this.waiting[best]!;
      if (w.priority < b.priority || (w.priority === b.priority && w.seq < b.seq)) best = i;
    }
    this.running++;
    this.waiting.splice(best, 1)[0]!.start();
  }
}

const hashTurns = new Turns(MAX_CONCURRENT_HASHES);

/** Hashes waiting for a turn at `priority` or better (lower): what a new arrival there would wait behind. */
export function hashesWaiting(priority = Infinity): number {
  return hashTurns.waitingAt(priority);
}

let computed = 0;
/** How many scrypt computations this process has run (sign-in must run one whether or not the email exists). */
export function scryptRuns(): number {
  return computed;
}

async function scrypt(password: string, salt: Buffer, cost: ScryptCost, priority = 1): Promise<Buffer> {
  const done = await hashTurns.take(priority);
  computed++;
  try {
    const N = 2 ** cost.ln;
    const options: ScryptOptions = { N, r: cost.r, p: cost.p, maxmem: 128 * N * cost.r * 2 };
    return await new Promise<Buffer>((resolve, reject) =>
      scryptCallback(password.normalize('NFKC'), salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key))),
    );
  } finally {
    done();
  }
}

export async function hashPassword(password: string, cost: ScryptCost = DEFAULT_COST, priority = 1): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await scrypt(password, salt, cost, priority);
  return `$scrypt$ln=${cost.ln},r=${cost.r},p=${cost.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

const HASH_FORMAT = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;

/** True if the password matches the stored hash; false for a wrong password or a hash no password matches. */
export async function verifyPassword(password: string, stored: string, priority = 1): Promise<boolean> {
  const m = HASH_FORMAT.exec(stored);
  if (!m) return false;
  const cost = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  if (cost.ln > MAX_LN || cost.r > 32 || cost.p > 16) return false;
  const expected = Buffer.from(m[5]!, 'base64');
  const key = await scrypt(password, Buffer.from(m[4]!, 'base64'), cost, priority);
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A password from the common lists, or one character repeated: the first things an attacker tries. */
export function isCommonPassword(password: string): boolean {
  const p = password.toLowerCase();
  return COMMON_PASSWORDS.has(p) || new Set(p).size <= 2;
}
