// Without a trusted proxy in front, a client cannot pick the address the per-IP limits count by sending its own
// X-Forwarded-For: the 11th registration from one machine is refused whatever address each request claims.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../scripts/lib/server-process.ts';
import { tempDir } from '../helpers/db.ts';

let server: RunningServer;

beforeAll(async () => {
  server = await startServer({ DATA_DIR: path.join(tempDir(), 'data'), DEMO_LISTINGS: '0' });
});

afterAll(async () => {
  await server?.stop();
});

function register(n: number, forwardedFor: string) {
  const body = new URLSearchParams({
    email: `forwarded${n}@example.com`,
    displayName: `转发测试${n}`,
    password: 'Xunwu-Navel-Orange-88',
    passwordRepeat: 'Xunwu-Navel-Orange-88',
  });
  return fetch(`${server.url}/register`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url, 'x-forwarded-for': forwardedFor },
    body,
  });
}

describe('forwarded headers from an untrusted client (TRUST_PROXY not set)', () => {
  it('are ignored by the per-IP registration limit', async () => {
    const statuses: number[] = [];
    for (let n = 1; n <= 11; n++) statuses.push((await register(n, `203.0.113.${n}`)).status);
    expect(statuses.slice(0, 10).every((s) => s === 303)).toBe(true);
    const refused = await register(12, '198.51.100.7');
    expect(statuses[10]).toBe(429);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
