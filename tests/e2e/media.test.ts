// Images as a visitor meets them in Chromium: a listing's gallery and card thumbnail from the built server, the
// /media route's answers, and the upload control's preview island under the site's Content-Security-Policy.
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../scripts/lib/server-process.ts';
import { storeImage, type StoredImage } from '../../src/server/media/index.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { tempDir } from '../helpers/db.ts';
import { photoJpeg, solid } from '../helpers/images.ts';

let server: RunningServer;
let browser: Browser;
let dataDir: string;
let image: StoredImage;
let listing: { id: number; slug: string; companySlug: string };

beforeAll(async () => {
  dataDir = path.join(tempDir(), 'data');
  server = await startServer({ DATA_DIR: dataDir, DEMO_LISTINGS: '40' });
  browser = await launchBrowser();
  // An image stored the way a form would, attached to a live listing straight in the server's database.
  image = await storeImage(await photoJpeg(2000, 1500), dataDir);
  const db = new Database(path.join(dataDir, 'site.db'));
  try {
    listing = db
      .prepare(
        `select l.id, l.slug, c.slug as companySlug from listings l join companies c on c.id = l.company_id
         where l.status = 'active' and l.expires_at > ? order by l.published_at desc limit 1`,
      )
      .get(Date.now()) as typeof listing;
    db.prepare('insert into listing_images (listing_id, position, hash, width, height, created_at) values (?, 0, ?, ?, ?, ?)').run(
      listing.id,
      image.hash,
      image.width,
      image.height,
      Date.now(),
    );
  } finally {
    db.close();
  }
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** A page that records console errors and CSP violations. */
async function watchedPage(javaScriptEnabled: boolean): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ javaScriptEnabled, locale: 'zh-CN', deviceScaleFactor: 1 });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`${m.text()} ${m.location().url}`);
  });
  page.on('pageerror', (e) => problems.push(e.message));
  return { page, problems };
}

describe('images on the built site', () => {
  it('shows a listing image as a responsive picture that loads and reserves its space', async () => {
    const { page, problems } = await watchedPage(false);
    await page.goto(`${server.url}/listing/${listing.id}-${listing.slug}`);
    const img = page.locator('.gallery img');
    expect(await img.count()).toBe(1);
    expect(await img.getAttribute('src')).toBe(`/media/${image.hash}-800.webp`);
    expect(await img.getAttribute('srcset')).toBe(
      [320, 800, 1600].map((w) => `/media/${image.hash}-${w}.webp ${w}w`).join(', '),
    );
    expect(await img.getAttribute('width')).toBe('800');
    expect(await img.getAttribute('height')).toBe('600');
    expect(await img.getAttribute('loading')).toBe('eager');
    expect(await img.getAttribute('decoding')).toBe('async');
    expect(await img.getAttribute('alt')).toBeTruthy();
    await expect
      .poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth), { timeout: 10_000 })
      .toBeGreaterThan(0);
    // In the 320-pixel gallery frame of a desktop screen at 1x, the browser takes the smallest rendition.
    expect(await img.getAttribute('sizes')).toBe('(max-width: 800px) 100vw, 320px');
    expect(await img.evaluate((el: HTMLImageElement) => el.currentSrc)).toBe(`${server.url}/media/${image.hash}-320.webp`);
    expect(problems).toEqual([]);
  });

  it('shows a small thumbnail on the listing card', async () => {
    const { page, problems } = await watchedPage(false);
    await page.goto(`${server.url}/company/${listing.companySlug}`);
    const thumb = page.locator(`.listing-card a[href^="/listing/${listing.id}-"] img.thumb`);
    expect(await thumb.count()).toBe(1);
    expect(await thumb.getAttribute('src')).toBe(`/media/${image.hash}-320.webp`);
    await thumb.scrollIntoViewIfNeeded();
    await expect.poll(() => thumb.evaluate((el: HTMLImageElement) => el.naturalWidth), { timeout: 10_000 }).toBe(320);
    // Cards without an image keep their plain layout.
    expect(await page.locator('.listing-card img').count()).toBe(1);
    expect(problems).toEqual([]);
  });

  it('serves renditions with caching headers and 404s anything else', async () => {
    const res = await fetch(`${server.url}/media/${image.hash}-1600.webp`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/webp');
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const etag = res.headers.get('etag')!;
    expect(etag).toBeTruthy();
    expect((await fetch(`${server.url}/media/${image.hash}-1600.webp`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    const head = await fetch(`${server.url}/media/${image.hash}-320.webp`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('image/webp');

    for (const p of [
      `/media/${'0'.repeat(64)}-800.webp`,
      `/media/${image.hash}-801.webp`,
      '/media/..%2Fsite.db',
      '/media/%2e%2e%2fsite.db',
      '/media/..%5Csite.db',
      `/media/${image.hash.slice(0, 2)}%2F${image.hash.slice(2, 4)}%2F${image.hash}%2F800.webp`,
    ]) {
      const r = await fetch(server.url + p, { redirect: 'manual' });
      expect(r.status, p).toBe(404);
      expect(r.headers.get('content-type') ?? '', p).not.toContain('image/webp');
    }
  });
});

describe('Picture markup and the upload control in Chromium', () => {
  let vite: import('vite').ViteDevServer;
  let pageUrl: string;
  let renderPicture: (props: Record<string, unknown>) => Promise<string>;

  beforeAll(async () => {
    // The component rendered by Astro's container inside a Vite dev server with Astro's plugins, which also serves
    // its script; the page carries the built site's own Content-Security-Policy.
    const csp = (await fetch(server.url + '/')).headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    const { createServer } = await import('vite');
    const { getViteConfig } = await import('astro/config');
    const { experimental_AstroContainer } = await import('astro/container');
    const { translator } = await import('../../src/server/i18n/index.ts');
    const config = await getViteConfig({ logLevel: 'silent', server: { hmr: false, host: '127.0.0.1', port: 0 } })({
      command: 'serve',
      mode: 'development',
    });
    let html = '';
    vite = await createServer({
      ...config,
      configFile: false,
      plugins: [
        ...(config.plugins ?? []),
        {
          name: 'image-input-test-page',
          configureServer(s) {
            s.middlewares.use((req, res, next) => {
              // Stored images come from the built server, as they would on the real page.
              if (req.url?.startsWith('/media/')) {
                void fetch(server.url + req.url).then(async (r) => {
                  res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'text/plain' });
                  res.end(Buffer.from(await r.arrayBuffer()));
                });
                return;
              }
              if (req.url !== '/image-input') return next();
              res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp });
              res.end(html);
            });
          },
        },
      ],
    });
    await vite.listen();
    const component = await vite.ssrLoadModule('/src/components/ImageInput.astro');
    const container = await experimental_AstroContainer.create();
    const fieldset = await container.renderToString(component.default, {
      props: { name: 'images', label: '产品图片', max: 8, existing: [image] },
      locals: { t: translator('zh-CN'), locale: 'zh-CN', href: (p: string) => p, user: null },
    });
    const picture = await vite.ssrLoadModule('/src/components/Picture.astro');
    renderPicture = (props) => container.renderToString(picture.default, { props });
    html = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body><form method="post" enctype="multipart/form-data">${fieldset}<button>保存</button></form></body></html>`;
    pageUrl = `http://127.0.0.1:${(vite.httpServer!.address() as import('node:net').AddressInfo).port}/image-input`;
  });

  afterAll(async () => {
    await vite?.close();
  });

  it('offers each real rendition size once for a small image, with its true size', async () => {
    const h = 'a'.repeat(64);
    const small = await renderPicture({ hash: h, width: 600, height: 400, alt: '小图' });
    expect(small).toContain(`srcset="/media/${h}-320.webp 320w, /media/${h}-800.webp 600w"`);
    expect(small).toContain('width="600" height="400"');
    const tiny = await renderPicture({ hash: h, width: 200, height: 100, alt: '图" onerror="alert(1)' });
    expect(tiny).toContain(`srcset="/media/${h}-320.webp 200w"`);
    expect(tiny).not.toContain('" onerror="');
    expect(tiny).toMatch(/alt="图&(quot|#34);/);
    expect(tiny).toContain('loading="lazy"');
  });

  it('previews chosen images without breaking the Content-Security-Policy', async () => {
    const { page, problems } = await watchedPage(true);
    await page.goto(pageUrl);
    const input = page.locator('input[type=file]');
    expect(await input.getAttribute('accept')).toBe('image/jpeg,image/png,image/webp,image/avif');
    await page.waitForFunction(() => document.querySelector('[data-image-input] .preview') !== null);
    // The island is loaded from a file, never written inline.
    expect(await page.locator('script:not([src])').count()).toBe(0);

    await input.setInputFiles([
      { name: '样品.png', mimeType: 'image/png', buffer: await solid(120, 90, 'png') },
      { name: 'b.jpg', mimeType: 'image/jpeg', buffer: await solid(60, 60, 'jpeg') },
    ]);
    const previews = page.locator('.preview img');
    await expect.poll(() => previews.count(), { timeout: 10_000 }).toBe(2);
    await expect.poll(() => previews.first().evaluate((el: HTMLImageElement) => el.naturalWidth), { timeout: 10_000 }).toBe(120);
    expect(await previews.first().getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    expect(await page.locator('.preview').textContent()).toContain('样品.png');
    expect(await page.locator('.warning').isHidden()).toBe(true);
    expect(problems).toEqual([]);
  });

  it('warns before uploading too many files or one over 10 MB, and counts images ticked "remove"', async () => {
    const { page, problems } = await watchedPage(true);
    await page.goto(pageUrl);
    await page.waitForFunction(() => document.querySelector('[data-image-input] .warning') !== null);
    const input = page.locator('input[type=file]');
    const small = await solid(20, 20, 'jpeg');
    // One existing image is kept, so eight new ones are one too many.
    await input.setInputFiles(Array.from({ length: 8 }, (_, i) => ({ name: `p${i}.jpg`, mimeType: 'image/jpeg', buffer: small })));
    const warning = page.locator('.warning');
    await expect.poll(() => warning.isVisible()).toBe(true);
    expect(await warning.textContent()).toContain('您选择了 8 张图片，最多还能上传 7 张');
    expect(await input.evaluate((el: HTMLInputElement) => el.validity.customError)).toBe(true);

    await page.locator('input[name=removeImages]').check();
    await expect.poll(() => warning.isHidden()).toBe(true);
    expect(await input.evaluate((el: HTMLInputElement) => el.validity.valid)).toBe(true);

    await input.setInputFiles([{ name: 'huge<b>.jpg', mimeType: 'image/jpeg', buffer: Buffer.alloc(11 * 1024 * 1024) }]);
    await expect.poll(() => warning.textContent()).toContain('“huge<b>.jpg”超过 10 MB');
    expect(await page.locator('.warning b').count()).toBe(0);
    expect(await input.evaluate((el: HTMLInputElement) => el.validity.customError)).toBe(true);
    expect(problems).toEqual([]);
  });
});
