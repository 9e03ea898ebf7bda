// A listing's images through the API: upload through the form's pipeline, delete one, reorder.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DELETE } from '../../src/pages/api/v1/listings/[id]/images/[image].ts';
import { POST, PUT } from '../../src/pages/api/v1/listings/[id]/images/index.ts';
import { config } from '../../src/server/config.ts';
import type { Db } from '../../src/server/db.ts';
import { imageFolder } from '../../src/server/media/index.ts';
import { apiDb, callApi, tokenHolder } from '../helpers/api.ts';
import { makeListing } from '../helpers/db.ts';
import { HTML_PAGE, solid } from '../helpers/images.ts';

let db: Db;
let token: string;
let otherToken: string;
let listingId: number;

beforeAll(() => {
  db = apiDb();
  const mine = tokenHolder(db);
  token = mine.token;
  otherToken = tokenHolder(db, 'other').token;
  const company = mine.company;
  listingId = makeListing(db, company.id).id;
});

async function upload(files: { name: string; bytes: Buffer }[], t = token, lang?: string) {
  const form = new FormData();
  for (const f of files) form.append('image', new Blob([new Uint8Array(f.bytes)]), f.name);
  return callApi(POST, { method: 'POST', path: `/api/v1/listings/${listingId}/images`, params: { id: String(listingId) }, token: t, raw: form, lang });
}

describe('listing images through the API', () => {
  it('uploads through the same pipeline as the form, then deletes one and reorders the rest', async () => {
    const red = await solid(40, 30, 'png');
    const blue = await solid(50, 20, 'jpeg');
    const green = await solid(20, 20, 'webp');
    const res = await upload([{ name: 'red.png', bytes: red }, { name: 'blue.jpg', bytes: blue }]);
    expect(res.status).toBe(200);
    expect(res.json.images).toHaveLength(2);
    expect(res.json.images[0]).toMatchObject({ id: expect.stringMatching(/^[0-9a-f]{64}$/), width: 40, height: 30 });
    expect(res.json.images[0].url).toMatch(/\/media\/[0-9a-f]{64}-800\.webp$/);
    for (const img of res.json.images) expect(fs.existsSync(path.join(imageFolder(config().dataDir, img.id), '320.webp'))).toBe(true);
    const more = await upload([{ name: 'green.webp', bytes: green }]);
    const ids = more.json.images.map((i: { id: string }) => i.id);
    expect(ids).toHaveLength(3);

    const reordered = await callApi(PUT, { method: 'PUT', path: `/api/v1/listings/${listingId}/images`, params: { id: String(listingId) }, token, body: { order: [ids[2], ids[0], ids[1]] } });
    expect(reordered.json.images.map((i: { id: string }) => i.id)).toEqual([ids[2], ids[0], ids[1]]);
    const badOrder = await callApi(PUT, { method: 'PUT', path: `/api/v1/listings/${listingId}/images`, params: { id: String(listingId) }, token, body: { order: [ids[0]] } });
    expect(badOrder.status).toBe(422);
    expect(Object.keys(badOrder.json.error.fields)).toEqual(['order']);

    const deleted = await callApi(DELETE, { method: 'DELETE', path: `/api/v1/listings/${listingId}/images/${ids[0]}`, params: { id: String(listingId), image: ids[0] }, token });
    expect(deleted.status).toBe(200);
    expect(deleted.json.images.map((i: { id: string }) => i.id)).toEqual([ids[2], ids[1]]);
    const again = await callApi(DELETE, { method: 'DELETE', path: '/x', params: { id: String(listingId), image: ids[0] }, token });
    expect(again.status).toBe(422);
  });

  it('refuses a file that is not an image, naming it, and stores none of the batch', async () => {
    const before = (await upload([])).json;
    expect(before.error.fields).toEqual({ images: expect.stringMatching(/^请上传至少一张图片/) });
    const res = await upload([{ name: 'ok.png', bytes: await solid(10, 10, 'png') }, { name: '报价单.html', bytes: HTML_PAGE }], token, 'en');
    expect(res.status).toBe(422);
    expect(res.json.error.fields.images).toMatch(/^“报价单\.html”|^"报价单\.html"/);
  });

  it('answers 403 for another company’s listing before decoding anything, and 400 for a body that is not multipart', async () => {
    expect((await upload([{ name: 'a.png', bytes: await solid(10, 10, 'png') }], otherToken)).status).toBe(403);
    const json = await callApi(POST, { method: 'POST', path: '/x', params: { id: String(listingId) }, token, body: { image: 'base64...' } });
    expect(json.status).toBe(400);
    expect(json.json.error.code).toBe('unsupported_content_type');
  });
});
