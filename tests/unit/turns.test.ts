// The hashing queue's order, driven step by step: no timing, so it holds on any machine.
import { describe, expect, it } from 'vitest';
import { Turns } from '../../src/server/auth/passwords.ts';

describe('Turns (the scrypt queue)', () => {
  it('runs at most the limit at once, then the lowest priority first, in arrival order among equals', async () => {
    const turns = new Turns(2);
    const started: string[] = [];
    const releases = new Map<string, () => void>();
    const take = (name: string, priority: number) =>
      turns.take(priority).then((release) => {
        started.push(name);
        releases.set(name, release);
      });
    const all = [take('a', 2), take('b', 2)];
    await Promise.all(all);
    const waiting = [take('guess1', 2), take('guess2', 2), take('owner', 0), take('clean', 1)];
    await Promise.resolve();
    expect(started).toEqual(['a', 'b']);
    expect(turns.waitingAt(0)).toBe(1);
    expect(turns.waitingAt()).toBe(4);
    releases.get('a')!();
    releases.get('b')!();
    // A newcomer arriving as turns free up does not slip ahead of those waiting.
    const late = take('late', 0);
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual(['a', 'b', 'owner', 'clean']);
    for (const name of ['owner', 'clean']) releases.get(name)!();
    await new Promise((r) => setImmediate(r));
    expect(started.slice(4)).toEqual(['late', 'guess1']);
    for (const name of ['late', 'guess1']) releases.get(name)!();
    await Promise.all([...waiting, late]);
    expect(started.slice(6)).toEqual(['guess2']);
  });
});
