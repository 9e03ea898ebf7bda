// A deploy stops the server with SIGTERM while members are posting and visitors reading: every request that reached
// the server is answered (a refused connection, which the client knows never arrived, is the only other outcome),
// every acknowledged write and every counted view is in the database afterwards, and the process exits 0.
import { once } from 'node:events';
import http from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../scripts/lib/server-process.ts';
import { tempDir } from '../helpers/db.ts';
import { withSiteDb } from '../helpers/site-db.ts';

const PASSWORD = 'Ganjiang-River-2026';
const PERSON_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function exited(s: RunningServer): Promise<number | null> {
  if (s.process.exitCode === null && s.process.signalCode === null) await once(s.process, 'exit');
  return s.process.exitCode;
}

/** Resolves when the server's output contains `text` (what it prints is what the test waits for, not a clock). */
async function printed(s: RunningServer, text: string): Promise<void> {
  while (!s.output().includes(text)) {
    if (s.process.exitCode !== null) throw new Error(`exited before printing "${text}":\n${s.output()}`);
    await once(s.process.stdout!, 'data');
  }
}

async function signUp(s: RunningServer): Promise<string> {
  const post = (pathname: string, fields: Record<string, string>, cookie = '') =>
    fetch(s.url + pathname, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: s.url, cookie },
      body: new URLSearchParams(fields),
    });
  const res = await post('/register', { email: 'deploy@example.com', displayName: '部署测试', password: PASSWORD, passwordRepeat: PASSWORD });
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  expect((await post('/dashboard/company', { name: '南昌部署测试有限公司', region: 'xihu', phone: '13812345678' }, cookie)).status).toBe(303);
  return cookie;
}

const listingFields = (title: string) => ({ kind: 'supply', category: 'grain-oil', region: 'xihu', title, priceType: 'negotiable', validityDays: '30' });

type Outcome = 'answered' | 'refused' | 'failed';
const outcomeOf = (e: unknown): Outcome => {
  const code = (e as { cause?: { code?: string } }).cause?.code;
  return code === 'ECONNREFUSED' ? 'refused' : 'failed';
};

describe('SIGTERM during writes and page views', () => {
  it('answers every request that arrived, keeps every acknowledged write and counted view, and exits 0', async () => {
    const dataDir = path.join(tempDir(), 'data');
    // Views are written only at shutdown here, so every counted view must come from the stop itself.
    const s = (server = await startServer({ DATA_DIR: dataDir, DEMO_LISTINGS: '0', VIEW_FLUSH_MS: '0' }));
    const cookie = await signUp(s);
    const first = await fetch(s.url + '/dashboard/listings/new', {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: s.url, cookie },
      body: new URLSearchParams(listingFields('供应停机测试大米')),
    });
    expect(first.status).toBe(303);
    const listingId = withSiteDb(dataDir, (db) => db.prepare('select max(id) from listings').pluck().get() as number);

    const acknowledged: string[] = [];
    let views = 0;
    const failures: string[] = [];
    let answered = 0;
    let signalled = false;
    const stopAfter = 30; // answers before the signal: the load is well under way, whatever the machine's speed

    const afterAnswer = () => {
      answered++;
      if (answered === stopAfter && !signalled) {
        signalled = true;
        s.process.kill('SIGTERM');
      }
    };
    const writer = async (w: number) => {
      for (let n = 0; ; n++) {
        const title = `停机期间发布的第${w}-${n}条信息`;
        try {
          const res = await fetch(s.url + '/dashboard/listings/new', {
            method: 'POST',
            redirect: 'manual',
            headers: { 'content-type': 'application/x-www-form-urlencoded', origin: s.url, cookie },
            body: new URLSearchParams(listingFields(title)),
          });
          await res.arrayBuffer();
          if (res.status === 303) acknowledged.push(title);
          else failures.push(`write ${title}: ${res.status}`);
          afterAnswer();
        } catch (e) {
          if (outcomeOf(e) === 'failed') failures.push(`write ${title}: ${(e as Error).message} ${String((e as { cause?: unknown }).cause)}`);
          return;
        }
      }
    };
    const reader = async () => {
      for (;;) {
        try {
          const res = await fetch(`${s.url}/listing/${listingId}`, { headers: { 'user-agent': PERSON_UA } });
          await res.arrayBuffer();
          if (res.status === 200) views++;
          else failures.push(`view: ${res.status}`);
          afterAnswer();
        } catch (e) {
          if (outcomeOf(e) === 'failed') failures.push(`view: ${(e as Error).message} ${String((e as { cause?: unknown }).cause)}`);
          return;
        }
      }
    };
    await Promise.all([writer(1), writer(2), writer(3), writer(4), reader(), reader()]);

    expect(await exited(s)).toBe(0);
    expect(failures).toEqual([]);
    expect(signalled).toBe(true);
    expect(s.output()).toContain('shutdown: done.');
    withSiteDb(dataDir, (db) => {
      const titles = new Set(db.prepare('select title from listings').pluck().all() as string[]);
      expect(acknowledged.filter((t) => !titles.has(t))).toEqual([]);
      expect(db.prepare('select views from listings where id = ?').pluck().get(listingId)).toBe(views);
    });
    expect(views).toBeGreaterThan(0);
    expect(acknowledged.length).toBeGreaterThan(0);

    // And the next start serves the same data.
    const again = (server = await startServer({ DATA_DIR: dataDir, DEMO_LISTINGS: '0' }));
    const page = await (await fetch(`${again.url}/listing/${listingId}`, { headers: { 'user-agent': 'curl/8' } })).text();
    expect(page).toContain('供应停机测试大米');
  });

  it('cuts off a request still running after SHUTDOWN_GRACE_MS, still saves and exits 0; a second signal exits at once', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const s = (server = await startServer({ DATA_DIR: dataDir, DEMO_LISTINGS: '0', SHUTDOWN_GRACE_MS: '300' }));
    // An upload that never finishes: in flight until the grace period ends. `Expect: 100-continue` makes the server
    // say when it has taken the request in, so the signal is sent only once the request is in flight.
    const hold = async (to: RunningServer) => {
      const req = http.request(to.url + '/login', {
        method: 'POST',
        headers: { origin: to.url, 'content-type': 'application/x-www-form-urlencoded', 'transfer-encoding': 'chunked', expect: '100-continue' },
      });
      req.on('error', () => {});
      req.flushHeaders();
      await once(req, 'continue');
      req.write('email=');
      return req;
    };
    const held = await hold(s);
    s.process.kill('SIGTERM');
    expect(await exited(s)).toBe(0);
    expect(s.output()).toContain('request(s) still running after 0.3 s are cut off');
    expect(s.output()).toContain('shutdown: done.');
    held.destroy();

    const t = (server = await startServer({ DATA_DIR: dataDir, DEMO_LISTINGS: '0' }));
    const held2 = await hold(t);
    t.process.kill('SIGTERM');
    await printed(t, 'no new connections');
    t.process.kill('SIGTERM');
    expect(await exited(t)).toBe(1);
    expect(t.output()).toContain('SIGTERM again: exiting now.');
    held2.destroy();
  });
});
