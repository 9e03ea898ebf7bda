// What reaches the log: secrets by field name never, e-mail addresses only masked, and the request's id on every
// line written while a request is answered.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, inRequest, maskEmails, outsideRequest, requestIdFrom } from '../../src/server/observability/log.ts';
import { droppedLogLines } from '../../src/server/observability/metrics.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      raw.push(String(chunk));
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', destination }), lines, raw };
}

describe('log lines', () => {
  it('never carry passwords, tokens, cookies or authorization headers', () => {
    const { logger, raw } = capture();
    logger.info({ password: 'Xunwu-Navel-Orange-88', body: { passwordRepeat: 'Xunwu-Navel-Orange-88', token: 'tok_abc123' } }, 'sign-up');
    logger.info({ req: { headers: { cookie: 'session=s3cr3t', authorization: 'Bearer b2b_live_xyz' } } }, 'request');
    logger.warn({ cfg: { apiKey: 'meili-master-key' } }, 'search');
    const text = raw.join('');
    for (const secret of ['Xunwu-Navel-Orange-88', 'tok_abc123', 's3cr3t', 'b2b_live_xyz', 'meili-master-key']) expect(text).not.toContain(secret);
    expect(text).toContain('[redacted]');
  });

  it('mask e-mail addresses in fields, messages and errors', () => {
    const { logger, raw, lines } = capture();
    logger.info({ email: 'zhang.wei@example.com', user: { email: 'li.na@example.cn' } }, 'mail to wang@example.org queued');
    logger.error({ err: new Error('unknown account chen@example.com') }, 'sign-in failed');
    const text = raw.join('');
    expect(text).not.toMatch(/zhang\.wei@|li\.na@|wang@|chen@/);
    expect(lines[0]!.email).toBe('z***@example.com');
    expect(lines[0]!.msg).toBe('mail to w***@example.org queued');
  });

  it('carry the request id while a request is answered, and only then', async () => {
    const { logger, lines } = capture();
    await inRequest('req-1', async () => {
      logger.info('before');
      await new Promise((r) => setImmediate(r));
      logger.info('after an await');
    });
    logger.info('outside');
    // A job started while a request is answered runs on its own, not as part of that request.
    await inRequest('req-2', () => outsideRequest(() => new Promise<void>((r) => setImmediate(() => r(logger.info('job'))))));
    expect(lines.map((l) => l.requestId)).toEqual(['req-1', 'req-1', undefined, undefined]);
  });
});

describe('request ids', () => {
  it('come from X-Request-Id only behind a trusted proxy, and only when well-formed', () => {
    expect(requestIdFrom('proxy-abc-123', true)).toBe('proxy-abc-123');
    expect(requestIdFrom('proxy-abc-123', false)).not.toBe('proxy-abc-123');
    expect(requestIdFrom('bad id\nforged: line', true)).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdFrom(null, true)).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('masks every address in a text', () => {
    expect(maskEmails('a@b.cn, bob.smith+x@mail.example.com')).toBe('a***@b.cn, b***@mail.example.com');
  });
});

describe('a reader of the log slower than the server', () => {
  it('costs at most the buffer: lines past it are dropped, counted, and reported once the reader catches up', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'log-fifo-'));
    const fifo = path.join(dir, 'stdout');
    execFileSync('mkfifo', [fifo]);
    // Read-write and non-blocking: the pipe has no reader yet, as a log shipper that fell behind.
    const fd = fs.openSync(fifo, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
    const droppedBefore = await droppedLogLines();
    const logger = createLogger({ fd, bufferBytes: 64 * 1024 });
    const written = 5_000;
    for (let i = 0; i < written; i++) logger.info({ i, pad: 'x'.repeat(150) }, 'line');
    const dropped = (await droppedLogLines()) - droppedBefore;
    // 5,000 lines of ~250 bytes against a 64 KiB buffer and a 64 KiB pipe: most could not be held.
    expect(dropped).toBeGreaterThan(written / 2);

    const reader = fs.createReadStream(fifo);
    let text = '';
    await new Promise<void>((resolve) => {
      reader.on('data', (d) => {
        text += d;
        if (text.includes('log lines dropped')) resolve();
      });
    });
    reader.destroy();
    fs.closeSync(fd);
    fs.rmSync(dir, { recursive: true, force: true });
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as { i?: number; dropped?: number });
    const kept = lines.filter((l) => l.i !== undefined);
    expect(kept.length + dropped).toBe(written);
    // The lines that were held reach the reader whole and in order.
    expect(kept.map((l) => l.i)).toEqual([...kept.map((l) => l.i)].sort((a, b) => a! - b!));
    expect(lines.at(-1)!.dropped).toBe(dropped);
  });
});
