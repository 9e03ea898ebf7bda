import { describe, expect, it } from 'vitest';
import { sniffImageType } from '../../src/server/media/detect.ts';
import { imageUrl, parseRenditionName, renditionSize } from '../../src/server/media/renditions.ts';
import { arrangeImages, cleanFileName, roomForImages } from '../../src/server/media/upload.ts';

const H = (c: string) => c.repeat(64);
const bytes = (...parts: (number[] | string)[]) =>
  new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...Buffer.from(p, 'latin1')] : p)));

describe('sniffImageType', () => {
  it('knows the accepted types by their first bytes', () => {
    expect(sniffImageType(bytes([0xff, 0xd8, 0xff, 0xe0]))).toBe('jpeg');
    expect(sniffImageType(bytes('\x89PNG\r\n\x1a\n', [0, 0]))).toBe('png');
    expect(sniffImageType(bytes('RIFF', [1, 2, 3, 4], 'WEBPVP8 '))).toBe('webp');
    expect(sniffImageType(bytes([0, 0, 0, 0x1c], 'ftypavif', [0, 0, 0, 0], 'avifmif1miaf'))).toBe('avif');
    expect(sniffImageType(bytes([0, 0, 0, 0x18], 'ftypheic', [0, 0, 0, 0], 'mif1heic'))).toBe('heic');
    // An AVIF whose major brand is the generic mif1 is still told apart by its compatible brands.
    expect(sniffImageType(bytes([0, 0, 0, 0x18], 'ftypmif1', [0, 0, 0, 0], 'mif1avif'))).toBe('avif');
  });

  it('knows nothing else: SVG, HTML, GIF, ZIP, a RIFF that is not WebP, video, short files', () => {
    expect(sniffImageType(bytes('<svg xmlns="http://www.w3.org/2000/svg">'))).toBeNull();
    expect(sniffImageType(bytes('<!doctype html>'))).toBeNull();
    expect(sniffImageType(bytes('GIF89a'))).toBeNull();
    expect(sniffImageType(bytes('PK\x03\x04'))).toBeNull();
    expect(sniffImageType(bytes('RIFF', [1, 2, 3, 4], 'WAVEfmt '))).toBeNull();
    expect(sniffImageType(bytes([0, 0, 0, 0x18], 'ftypmp42', [0, 0, 0, 0], 'isommp42'))).toBeNull();
    expect(sniffImageType(bytes([0xff, 0xd8]))).toBeNull();
    expect(sniffImageType(new Uint8Array(0))).toBeNull();
  });
});

describe('rendition names', () => {
  it('builds and reads /media/<hash>-<width>.webp', () => {
    expect(imageUrl(H('a'), 800)).toBe(`/media/${H('a')}-800.webp`);
    expect(parseRenditionName(`${H('a')}-320.webp`)).toEqual({ hash: H('a'), width: 320 });
    expect(parseRenditionName(`${H('0')}-1600.webp`)).toEqual({ hash: H('0'), width: 1600 });
  });

  it('rejects every other name, path tricks included', () => {
    for (const name of [
      `${H('a')}-400.webp`,
      `${H('A')}-320.webp`,
      `${H('a')}-320.jpg`,
      `${H('a')}-320.webp/`,
      `${H('a').slice(1)}-320.webp`,
      `${H('g')}-320.webp`,
      `../${H('a')}-320.webp`,
      `${H('a')}-320.webp\0.png`,
      `${H('a')}-320.webp\n`,
      '../site.db',
      '..%2Fsite.db',
      '',
    ]) {
      expect(parseRenditionName(name), name).toBeNull();
    }
  });
});

describe('renditionSize', () => {
  it('scales to the width and keeps the aspect ratio', () => {
    expect(renditionSize(4000, 3000, 800)).toEqual({ width: 800, height: 600 });
    expect(renditionSize(3000, 4000, 320)).toEqual({ width: 320, height: 427 });
  });

  it('never scales up', () => {
    expect(renditionSize(500, 300, 800)).toEqual({ width: 500, height: 300 });
    expect(renditionSize(500, 300, 1600)).toEqual({ width: 500, height: 300 });
  });

  it('keeps a very long image within what WebP can hold', () => {
    expect(renditionSize(1500, 40_000, 1600)).toEqual({ width: 614, height: 16_383 });
  });
});

describe('arranging images after an edit', () => {
  const img = (c: string) => ({ hash: H(c), width: 100, height: 100 });
  const existing = [img('a'), img('b'), img('c')];

  it('drops the ones ticked "remove", appends new ones and moves the chosen one first', () => {
    const result = arrangeImages(existing, { remove: [H('b')], first: H('d') }, [img('d'), img('a')], 8);
    expect(result.map((i) => i.hash[0])).toEqual(['d', 'a', 'c']);
  });

  it('ignores values that are not hashes or not there', () => {
    expect(arrangeImages(existing, { remove: ['../x', ''], first: H('z') }, [], 8).map((i) => i.hash[0])).toEqual(['a', 'b', 'c']);
  });

  it('refuses more than the maximum and says how many remain', () => {
    expect(() => arrangeImages(existing, {}, [img('d')], 3)).toThrow(/media.tooMany/);
    expect(roomForImages(existing, { remove: [H('a')] }, 3)).toBe(1);
    expect(roomForImages(existing, {}, 2)).toBe(0);
  });
});

describe('cleanFileName', () => {
  it('keeps what a person recognises and drops folders, control and direction characters', () => {
    expect(cleanFileName('C:\\fakepath\\产品图.jpg')).toBe('产品图.jpg');
    expect(cleanFileName('evil\u202egpj.exe')).toBe('evilgpj.exe');
    expect(cleanFileName('a\r\nb.png')).toBe('ab.png');
    expect(cleanFileName('x'.repeat(200))).toHaveLength(80);
  });
});
