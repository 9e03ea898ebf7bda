// Request bodies of forms: each route's limit, the streaming multipart reader (limits per part, malformed framing),
// all without a server: Requests built here, bodies streamed from generators so nothing large is held by the test.
import { describe, expect, it } from 'vitest';
import { BodyError, bodyLimitFor, LARGEST_BODY_BYTES, MAX_FIELD_BYTES, MAX_PARTS, readPostedForm, SMALL_FORM, type BodyLimits } from '../../src/lib/body.ts';
import { MAX_FILE_BYTES } from '../../src/server/import/csv.ts';
import { MAX_IMAGE_BYTES } from '../../src/server/media/renditions.ts';

const MiB = 1024 * 1024;

function post(body: BodyInit | ReadableStream<Uint8Array>, headers: Record<string, string>): Request {
  return new Request('http://localhost/x', { method: 'POST', body, headers, duplex: 'half' } as RequestInit);
}

/** A body of `total` bytes made of `chunk`-sized pieces, produced as it is read (never all in memory). */
function streamed(prefix: string, total: number, suffix = '', chunk = 64 * 1024): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  let sent = 0;
  const filler = new Uint8Array(chunk).fill(0x61);
  let stage = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (stage === 0) {
        stage = 1;
        sent += Buffer.byteLength(prefix);
        return controller.enqueue(Buffer.from(prefix));
      }
      if (stage === 1 && sent < total) {
        const n = Math.min(chunk, total - sent);
        sent += n;
        return controller.enqueue(filler.subarray(0, n));
      }
      if (stage === 1) {
        stage = 2;
        if (suffix) return controller.enqueue(Buffer.from(suffix));
      }
      controller.close();
    },
  });
  return { stream, pulled: () => sent };
}

async function refusal(promise: Promise<unknown>): Promise<BodyError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof BodyError) return e;
    throw e;
  }
  throw new Error('expected a BodyError');
}

const B = 'b2bBoundary7MA4YWxk';
const multipart = (parts: string[]) => parts.map((p) => `--${B}\r\n${p}\r\n`).join('') + `--${B}--\r\n`;
const field = (name: string, value: string) => `Content-Disposition: form-data; name="${name}"\r\n\r\n${value}`;
const MP = { 'content-type': `multipart/form-data; boundary=${B}` };

describe('body limits per route', () => {
  it('sizes each route by what it takes', () => {
    expect(bodyLimitFor('/login')).toBe(SMALL_FORM);
    expect(bodyLimitFor('/register').maxBytes).toBeLessThanOrEqual(8 * 1024);
    expect(bodyLimitFor('/en/register')).toBe(SMALL_FORM);
    expect(bodyLimitFor('/dashboard/listings/12/close')).toBe(SMALL_FORM);
    // Other text forms (an inquiry of 2,000 Chinese characters is 18 KB urlencoded) take more, and no files.
    expect(bodyLimitFor('/inquiries/new')).toEqual({ maxBytes: 64 * 1024, maxFileBytes: 0 });
    expect(bodyLimitFor('/dashboard/inbox/12').maxBytes).toBeGreaterThanOrEqual(2000 * 9 + 4096);
    expect(bodyLimitFor('/dashboard/listings/new').maxBytes).toBeGreaterThan(8 * MAX_IMAGE_BYTES);
    expect(bodyLimitFor('/dashboard/listings/12/edit').maxFileBytes).toBe(MAX_IMAGE_BYTES);
    expect(bodyLimitFor('/dashboard/company').maxBytes).toBeLessThan(MAX_IMAGE_BYTES + MiB);
    expect(bodyLimitFor('/dashboard/import').maxFileBytes).toBe(MAX_FILE_BYTES);
  });

  it('has the adapter refuse anything above the largest route limit (astro.config.mjs bodySizeLimit)', async () => {
    const { readFile } = await import('node:fs/promises');
    const config = await readFile('astro.config.mjs', 'utf8');
    const m = /bodySizeLimit:\s*(\d+)\s*\*\s*1024\s*\*\s*1024/.exec(config);
    expect(m, 'astro.config.mjs sets bodySizeLimit').not.toBeNull();
    const limit = Number(m![1]) * MiB;
    expect(limit).toBeGreaterThanOrEqual(LARGEST_BODY_BYTES);
    expect(limit).toBeLessThan(LARGEST_BODY_BYTES + 2 * MiB);
  });
});

describe('readPostedForm: urlencoded', () => {
  it('reads the fields in order, repeated names kept', async () => {
    const form = await readPostedForm(post('a=1&b=%E7%8E%8B&a=2', { 'content-type': 'application/x-www-form-urlencoded' }), SMALL_FORM);
    expect(form).toEqual({ fields: [['a', '1'], ['b', '王'], ['a', '2']], files: [] });
  });

  it('refuses a declared length over the limit without reading the body', async () => {
    const { stream, pulled } = streamed('email=', 200 * MiB);
    const e = await refusal(readPostedForm(post(stream, { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(200 * MiB) }), SMALL_FORM));
    expect([e.status, e.maxBytes]).toEqual([413, SMALL_FORM.maxBytes]);
    // A stream pulls its first chunk by itself when created; nothing beyond that is read.
    expect(pulled()).toBeLessThan(1024);
  });

  it('answers a chunked body at the limit, not after reading it all (the rest is dropped as it comes)', async () => {
    const { stream, pulled } = streamed('email=', 200 * MiB);
    const e = await refusal(readPostedForm(post(stream, { 'content-type': 'application/x-www-form-urlencoded' }), SMALL_FORM));
    expect(e.status).toBe(413);
    expect(pulled()).toBeLessThan(4 * MiB);
  });

  it('refuses what is not a form with 400', async () => {
    for (const type of ['application/json', 'text/plain', 'application/octet-stream']) {
      expect((await refusal(readPostedForm(post('{"a":1}', { 'content-type': type }), SMALL_FORM))).status, type).toBe(400);
    }
  });
});

describe('readPostedForm: multipart', () => {
  const limits: BodyLimits = { maxBytes: 2 * MiB, maxFileBytes: MiB };

  it('reads fields and files as undici encodes them', async () => {
    const data = new FormData();
    data.append('title', '供应大米 "特级"');
    data.append('removeImages', 'a');
    data.append('removeImages', 'b');
    data.append('images', new File([new Uint8Array([1, 2, 3])], '大米.jpg', { type: 'image/jpeg' }));
    const form = await readPostedForm(new Request('http://localhost/x', { method: 'POST', body: data }), limits);
    expect(form.fields).toEqual([['title', '供应大米 "特级"'], ['removeImages', 'a'], ['removeImages', 'b']]);
    expect(form.files.map((f) => ({ ...f, bytes: [...f.bytes] }))).toEqual([{ field: 'images', name: '大米.jpg', bytes: [1, 2, 3] }]);
  });

  it('reads an empty file input as browsers send it (filename="", no bytes)', async () => {
    const body = multipart([`Content-Disposition: form-data; name="logo"; filename=""\r\nContent-Type: application/octet-stream\r\n\r\n`]);
    const form = await readPostedForm(post(body, MP), limits);
    expect(form.files.map((f) => [f.field, f.name, f.bytes.length])).toEqual([['logo', '', 0]]);
  });

  it('finds boundaries split across chunks, whatever the chunk size', async () => {
    const body = Buffer.from(multipart([field('a', 'x'.repeat(1000)), `Content-Disposition: form-data; name="f"; filename="f.bin"\r\n\r\n${'\r\n-'.repeat(300)}`]));
    for (const size of [1, 7, 64, 4096]) {
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          for (let i = 0; i < body.length; i += size) c.enqueue(body.subarray(i, i + size));
          c.close();
        },
      });
      const form = await readPostedForm(post(stream, MP), limits);
      expect(form.fields, `chunks of ${size}`).toEqual([['a', 'x'.repeat(1000)]]);
      expect(Buffer.from(form.files[0]!.bytes).toString(), `chunks of ${size}`).toBe('\r\n-'.repeat(300));
    }
  });

  it('keeps a file at most one byte over its limit, reading on (the domain names the file as too big)', async () => {
    const head = `--${B}\r\nContent-Disposition: form-data; name="images"; filename="huge.jpg"\r\n\r\n`;
    const { stream } = streamed(head, MiB + 512 * 1024, `\r\n--${B}\r\n${field('title', '标题')}\r\n--${B}--\r\n`);
    const form = await readPostedForm(post(stream, MP), limits);
    expect(form.files[0]!.bytes.length).toBe(MiB + 1);
    expect(form.fields).toEqual([['title', '标题']]);
  });

  it('refuses a text field over its limit, and too many parts, with 413', async () => {
    const big = multipart([field('description', 'x'.repeat(MAX_FIELD_BYTES + 1))]);
    expect((await refusal(readPostedForm(post(big, MP), limits))).status).toBe(413);
    const many = multipart(Array.from({ length: MAX_PARTS + 1 }, (_, i) => field(`f${i}`, '')));
    expect((await refusal(readPostedForm(post(many, MP), { maxBytes: 10 * MiB, maxFileBytes: 0 }))).status).toBe(413);
  });

  it('answers a multipart body at the route limit, not after reading it all', async () => {
    const head = `--${B}\r\nContent-Disposition: form-data; name="images"; filename="a.jpg"\r\n\r\n`;
    const { stream, pulled } = streamed(head, 200 * MiB);
    expect((await refusal(readPostedForm(post(stream, MP), limits))).status).toBe(413);
    expect(pulled()).toBeLessThan(limits.maxBytes + 4 * MiB);
  });

  it('answers 400 for every malformed body', async () => {
    const cases: [string, string, Record<string, string>][] = [
      ['no boundary parameter', multipart([field('a', '1')]), { 'content-type': 'multipart/form-data' }],
      ['another boundary', multipart([field('a', '1')]), { 'content-type': 'multipart/form-data; boundary=other' }],
      ['cut off before the closing boundary', `--${B}\r\n${field('a', '1')}\r\n`, MP],
      ['cut off in the headers', `--${B}\r\nContent-Disposition: form-data; na`, MP],
      ['a part without a name', `--${B}\r\nContent-Type: text/plain\r\n\r\nx\r\n--${B}--\r\n`, MP],
      ['garbage after a boundary', `--${B}garbage\r\n${field('a', '1')}\r\n--${B}--\r\n`, MP],
      ['not multipart at all', 'hello', MP],
      ['empty', '', MP],
    ];
    for (const [what, body, headers] of cases) {
      expect((await refusal(readPostedForm(post(body, headers), limits))).status, what).toBe(400);
    }
  });

  it('reads a quoted boundary and ignores the preamble and epilogue', async () => {
    const body = `preamble\r\n${multipart([field('a', '1')])}epilogue`;
    const form = await readPostedForm(post(body, { 'content-type': `multipart/form-data; boundary="${B}"` }), limits);
    expect(form.fields).toEqual([['a', '1']]);
  });
});
