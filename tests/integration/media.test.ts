// Storing uploads: what a person gets back for a good image, and that hostile files are refused and leave nothing.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { InvalidError } from '../../src/server/errors.ts';
import { translator } from '../../src/server/i18n/index.ts';
import { IMAGE_WIDTHS, renditionPath, storeImage, sweepUnfinishedUploads } from '../../src/server/media/index.ts';
import { describeUploadError, ImageUploadError, storeImages } from '../../src/server/media/upload.ts';
import { tempDir } from '../helpers/db.ts';
import { HTML_PAGE, pngDeclaring, solid, SVG_WITH_SCRIPT, twoColourJpeg, zipWith } from '../helpers/images.ts';

/** Every file under the data folder's media directory (empty folders do not count). */
function filesUnder(dataDir: string): string[] {
  const root = path.join(dataDir, 'media');
  if (!fs.existsSync(root)) return [];
  return (fs.readdirSync(root, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(root, f)).isFile());
}

async function refusal(bytes: Uint8Array, dataDir: string): Promise<string> {
  const error = await storeImage(bytes, dataDir).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidError);
  return (error as InvalidError).fields.image!;
}

describe('storing a good image', () => {
  it('applies the EXIF orientation and keeps no EXIF, GPS or other metadata', async () => {
    const dataDir = tempDir();
    const bytes = await twoColourJpeg(400, 200, {
      orientation: 6,
      tags: {
        IFD0: { Make: 'TestPhone', Model: 'GPS-X' },
        IFD3: { GPSMapDatum: 'WGS-84-MARK', GPSLatitudeRef: 'N', GPSLatitude: '28/1 41/1 0/1', GPSLongitudeRef: 'E', GPSLongitude: '115/1 53/1 0/1' },
      },
    });
    const input = await sharp(bytes).metadata();
    expect(input.orientation).toBe(6);
    expect(input.exif!.toString('latin1')).toContain('GPS-X');
    expect(input.exif!.toString('latin1')).toContain('WGS-84-MARK');

    const stored = await storeImage(bytes, dataDir);
    // Orientation 6 turns the picture a quarter clockwise: the person sees it 200 wide and 400 tall.
    expect(stored).toMatchObject({ width: 200, height: 400 });
    expect(stored.hash).toMatch(/^[0-9a-f]{64}$/);

    for (const width of IMAGE_WIDTHS) {
      const file = fs.readFileSync(renditionPath(dataDir, stored.hash, width));
      const meta = await sharp(file).metadata();
      expect(meta.format).toBe('webp');
      expect(meta.exif).toBeUndefined();
      expect(meta.xmp).toBeUndefined();
      expect(meta.icc).toBeUndefined();
      expect(meta.orientation).toBeUndefined();
      expect(file.toString('latin1')).not.toContain('GPS-X');
      expect(file.toString('latin1')).not.toContain('TestPhone');
      expect(file.toString('latin1')).not.toMatch(/WGS-84-MARK|Exif/);
    }
    // The red left half is now on top, the blue right half at the bottom.
    const { data } = await sharp(renditionPath(dataDir, stored.hash, 320)).raw().toBuffer({ resolveWithObject: true });
    const pixel = (x: number, y: number) => [...data.subarray((y * 200 + x) * 3, (y * 200 + x) * 3 + 3)];
    expect(pixel(100, 20)[0]).toBeGreaterThan(200);
    expect(pixel(100, 20)[2]).toBeLessThan(60);
    expect(pixel(100, 380)[2]).toBeGreaterThan(200);
    expect(pixel(100, 380)[0]).toBeLessThan(60);
  });

  it('stores three WebP widths, scaled down and never up', async () => {
    const dataDir = tempDir();
    const big = await storeImage(await solid(2400, 1200, 'png'), dataDir);
    expect(big).toMatchObject({ width: 2400, height: 1200 });
    const sizes = await Promise.all(IMAGE_WIDTHS.map((w) => sharp(renditionPath(dataDir, big.hash, w)).metadata()));
    expect(sizes.map((m) => [m.width, m.height])).toEqual([
      [320, 160],
      [800, 400],
      [1600, 800],
    ]);

    const small = await storeImage(await solid(300, 200, 'webp'), dataDir);
    const smallSizes = await Promise.all(IMAGE_WIDTHS.map((w) => sharp(renditionPath(dataDir, small.hash, w)).metadata()));
    // All three names exist so URLs stay predictable; none is larger than the upload.
    expect(smallSizes.map((m) => [m.width, m.height])).toEqual([
      [300, 200],
      [300, 200],
      [300, 200],
    ]);
  });

  it('accepts JPEG, PNG, WebP and AVIF', async () => {
    const dataDir = tempDir();
    for (const format of ['jpeg', 'png', 'webp', 'avif'] as const) {
      const stored = await storeImage(await solid(64, 48, format), dataDir);
      expect(stored, format).toMatchObject({ width: 64, height: 48 });
    }
    expect(filesUnder(dataDir).filter((f) => f.endsWith('.webp'))).toHaveLength(12);
  });

  it('turns 16-bit, CMYK and grey-with-alpha images into ordinary 8-bit sRGB WebP with the right colours', async () => {
    const dataDir = tempDir();
    const orange = () => sharp({ create: { width: 50, height: 40, channels: 3, background: '#ff8800' } });
    const cases = [
      { bytes: await orange().png().toColourspace('rgb16').toBuffer(), channels: 3 },
      { bytes: await orange().toColourspace('cmyk').jpeg().toBuffer(), channels: 3 },
      {
        bytes: await sharp({ create: { width: 50, height: 40, channels: 4, background: { r: 255, g: 136, b: 0, alpha: 0.5 } } })
          .png()
          .toBuffer(),
        channels: 4,
      },
    ];
    for (const { bytes, channels } of cases) {
      const stored = await storeImage(bytes, dataDir);
      const { data, info } = await sharp(renditionPath(dataDir, stored.hash, 320)).raw().toBuffer({ resolveWithObject: true });
      expect(info.channels).toBe(channels);
      expect(Math.abs(data[0]! - 255)).toBeLessThan(12);
      expect(Math.abs(data[1]! - 136)).toBeLessThan(20);
      expect(data[2]!).toBeLessThan(20);
      if (channels === 4) expect(Math.abs(data[3]! - 128)).toBeLessThan(3);
    }
  });

  it('stores the same upload once, and a concurrent duplicate ends as one copy', async () => {
    const dataDir = tempDir();
    const bytes = await twoColourJpeg(640, 480);
    const first = await storeImage(bytes, dataDir);
    const file = renditionPath(dataDir, first.hash, 800);
    const mtime = fs.statSync(file).mtimeMs;
    const again = await storeImage(new Uint8Array(bytes), dataDir);
    expect(again).toEqual(first);
    expect(fs.statSync(file).mtimeMs).toBe(mtime);

    const other = await twoColourJpeg(641, 480);
    const both = await Promise.all([storeImage(other, dataDir), storeImage(other, dataDir)]);
    expect(both[0]).toEqual(both[1]);
    expect(filesUnder(dataDir)).toHaveLength(6);
  });
});

describe('refusing hostile and broken files', () => {
  it('refuses an empty file, random bytes, SVG with script, HTML named .jpg, GIF and TIFF', async () => {
    const dataDir = tempDir();
    expect(await refusal(new Uint8Array(0), dataDir)).toBe('media.empty');
    const random = new Uint8Array(4096).map((_, i) => (i * 2654435761) >>> 24);
    expect(await refusal(random, dataDir)).toBe('media.notImage');
    expect(await refusal(SVG_WITH_SCRIPT, dataDir)).toBe('media.notImage');
    expect(await refusal(HTML_PAGE, dataDir)).toBe('media.notImage');
    expect(await refusal(await solid(20, 20, 'gif'), dataDir)).toBe('media.notImage');
    expect(await refusal(await solid(20, 20, 'tiff'), dataDir)).toBe('media.notImage');
    expect(filesUnder(dataDir)).toEqual([]);
  });

  it('refuses a truncated JPEG as damaged, and JPEG magic followed by garbage', async () => {
    const dataDir = tempDir();
    const whole = await twoColourJpeg(1200, 900);
    expect(await refusal(whole.subarray(0, Math.floor(whole.length * 0.6)), dataDir)).toBe('media.damaged');
    expect(await refusal(Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(500, 7)]), dataDir)).toBe('media.damaged');
    expect(filesUnder(dataDir)).toEqual([]);
  });

  it('refuses a decompression bomb from its header, before decoding it', async () => {
    const dataDir = tempDir();
    const bomb = pngDeclaring(50_000, 50_000);
    expect(bomb.length).toBeLessThan(2000);
    const started = performance.now();
    expect(await refusal(bomb, dataDir)).toBe('media.tooManyPixels');
    // Decoding 2.5 gigapixels would take minutes and gigabytes; reading the header takes milliseconds.
    expect(performance.now() - started).toBeLessThan(5000);
    expect(filesUnder(dataDir)).toEqual([]);
  });

  it('refuses a file over 10 MB', async () => {
    const dataDir = tempDir();
    const huge = Buffer.concat([await solid(10, 10, 'jpeg'), Buffer.alloc(10 * 1024 * 1024)]);
    expect(await refusal(huge, dataDir)).toBe('media.tooBig');
  });

  it('re-encodes a polyglot image, so the appended ZIP or HTML is not in any stored file', async () => {
    const dataDir = tempDir();
    const marker = 'POLYGLOT-PAYLOAD-7f3a';
    const jpegZip = Buffer.concat([await twoColourJpeg(300, 200), zipWith('evil.html', `<script>${marker}</script>`)]);
    const pngHtml = Buffer.concat([await solid(300, 200, 'png'), Buffer.from(`<html><script>${marker}</script></html>`)]);
    for (const bytes of [jpegZip, pngHtml]) {
      expect(bytes.toString('latin1')).toContain(marker);
      const stored = await storeImage(bytes, dataDir);
      expect(stored).toMatchObject({ width: 300, height: 200 });
    }
    const files = filesUnder(dataDir);
    expect(files).toHaveLength(6);
    for (const f of files) {
      const content = fs.readFileSync(path.join(dataDir, 'media', f)).toString('latin1');
      expect(content).not.toContain(marker);
      expect(content).not.toContain('PK\x03\x04');
      expect(content.startsWith('RIFF')).toBe(true);
    }
  });
});

describe('storing a batch of uploads', () => {
  it('stores all files in order and skips the empty part of a form with no file chosen', async () => {
    const dataDir = tempDir();
    const a = await solid(100, 80, 'jpeg');
    const b = await solid(90, 60, 'png');
    const stored = await storeImages(
      [
        { bytes: a, name: 'a.jpg' },
        { bytes: new Uint8Array(0), name: '' },
        { bytes: b, name: 'b.png' },
        { bytes: a, name: 'a-again.jpg' },
      ],
      dataDir,
      8,
    );
    expect(stored.map((s) => [s.width, s.height])).toEqual([
      [100, 80],
      [90, 60],
    ]);
  });

  it('stores nothing when one file is refused, and names that file', async () => {
    const dataDir = tempDir();
    const error = await storeImages(
      [
        { bytes: await solid(100, 80, 'jpeg'), name: 'good.jpg' },
        { bytes: HTML_PAGE, name: 'C:\\fakepath\\<b>报价单</b>.jpg' },
        { bytes: await solid(90, 60, 'png'), name: 'later.png' },
      ],
      dataDir,
      8,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageUploadError);
    const e = error as ImageUploadError;
    expect(e.fields).toEqual({ images: 'media.notImage' });
    expect(e.fileName).toBe('<b>报价单</b>.jpg');
    expect(describeUploadError(translator('zh-CN'), e)).toBe('“<b>报价单</b>.jpg”：不是可接受的图片：请上传 JPEG、PNG、WebP 或 AVIF 格式');
    expect(filesUnder(dataDir)).toEqual([]);
  });

  it('refuses more files than there is room for, before reading any', async () => {
    const dataDir = tempDir();
    const one = { bytes: await solid(10, 10, 'jpeg'), name: 'x.jpg' };
    const error = (await storeImages([one, one, one], dataDir, 2).catch((e: unknown) => e)) as ImageUploadError;
    expect(error).toBeInstanceOf(ImageUploadError);
    expect(error.fields).toEqual({ images: 'media.tooMany' });
    const logo = (await storeImages([one, one], dataDir, 1, { field: 'logo' }).catch((e: unknown) => e)) as ImageUploadError;
    expect(logo.fields).toEqual({ logo: 'media.tooMany' });
    expect(describeUploadError(translator('en'), error)).toBe('At most 2 images');
    expect(filesUnder(dataDir)).toEqual([]);
  });
});

describe('cleaning up after a crash', () => {
  it('removes unfinished upload folders older than an hour and keeps recent ones', async () => {
    const dataDir = tempDir();
    const tmp = path.join(dataDir, 'media', '.tmp');
    fs.mkdirSync(path.join(tmp, 'old-1'), { recursive: true });
    fs.writeFileSync(path.join(tmp, 'old-1', '320.webp'), 'x');
    fs.mkdirSync(path.join(tmp, 'new-1'));
    const hourAgo = new Date(Date.now() - 2 * 3600_000);
    fs.utimesSync(path.join(tmp, 'old-1'), hourAgo, hourAgo);
    expect(await sweepUnfinishedUploads(dataDir, Date.now())).toBe(1);
    expect(fs.readdirSync(tmp)).toEqual(['new-1']);
  });
});
