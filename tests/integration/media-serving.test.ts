// The /media route: stored renditions with long-lived caching headers, and 404 for anything else.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { imageUrl, storeImage, type StoredImage } from '../../src/server/media/index.ts';
import { tempDir } from '../helpers/db.ts';
import { solid } from '../helpers/images.ts';

const dataDir = tempDir();
process.env.DATA_DIR = dataDir;
const { GET, HEAD } = await import('../../src/pages/media/[file].ts');

let image: StoredImage;
beforeAll(async () => {
  image = await storeImage(await solid(1000, 500, 'jpeg'), dataDir);
  // Something a path trick would like to reach.
  fs.writeFileSync(path.join(dataDir, 'site.db'), 'secret');
});

function get(file: string, headers: Record<string, string> = {}, handler = GET): Promise<Response> {
  const request = new Request(`http://localhost/media/${encodeURIComponent(file)}`, { headers });
  // The route reads only params and request.
  return handler({ params: { file }, request } as unknown as Parameters<typeof GET>[0]) as Promise<Response>;
}

describe('GET /media/<hash>-<width>.webp', () => {
  it('answers each width as WebP, cacheable for a year, with an ETag and nosniff', async () => {
    for (const [width, expected] of [
      [320, 320],
      [800, 800],
      [1600, 1000],
    ] as const) {
      const res = await get(imageUrl(image.hash, width).slice('/media/'.length));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/webp');
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('etag')).toMatch(/^"[0-9a-f]{16}-\d+-\d+"$/);
      const body = Buffer.from(await res.arrayBuffer());
      expect(body.subarray(8, 12).toString('latin1')).toBe('WEBP');
      expect(Number(res.headers.get('content-length'))).toBe(body.length);
      const { default: sharp } = await import('sharp');
      expect((await sharp(body).metadata()).width).toBe(expected);
    }
  });

  it('answers HEAD with the same headers and no body', async () => {
    const res = await get(`${image.hash}-320.webp`, {}, HEAD);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/webp');
    expect(Number(res.headers.get('content-length'))).toBeGreaterThan(0);
    expect(await res.text()).toBe('');
    expect((await get(`${'0'.repeat(64)}-320.webp`, {}, HEAD)).status).toBe(404);
  });

  it('answers 304 when the browser already has it', async () => {
    const name = `${image.hash}-800.webp`;
    const etag = (await get(name)).headers.get('etag')!;
    const res = await get(name, { 'if-none-match': etag });
    expect(res.status).toBe(304);
    expect(await res.text()).toBe('');
    expect((await get(name, { 'if-none-match': '"other"' })).status).toBe(200);
  });

  it('answers 404 for an image never stored, another width, or any path trick', async () => {
    for (const name of [
      `${'0'.repeat(64)}-800.webp`,
      `${image.hash}-400.webp`,
      `${image.hash.toUpperCase()}-800.webp`,
      `${image.hash}-800.png`,
      `../site.db`,
      `..%2Fsite.db`,
      `../../${image.hash}-800.webp`,
      `${image.hash.slice(0, 2)}/${image.hash.slice(2, 4)}/${image.hash}/800.webp`,
      '',
    ]) {
      const res = await get(name);
      expect(res.status, name).toBe(404);
    }
  });
});
