import { describe, expect, it } from 'vitest';
import { isForbiddenCrossSiteWrite } from '../../src/lib/cross-site.ts';

const site = new URL('https://b2b.example.cn/login');
const req = (method: string, headers: Record<string, string>, url = site) => new Request(url, { method, headers });

describe('cross-site write check', () => {
  it('lets reads through from anywhere', () => {
    expect(isForbiddenCrossSiteWrite(req('GET', { origin: 'https://evil.example' }), site)).toBe(false);
  });

  it('refuses a form post from another site or with no Origin, and accepts our own', () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    expect(isForbiddenCrossSiteWrite(req('POST', { ...form, origin: 'https://evil.example' }), site)).toBe(true);
    expect(isForbiddenCrossSiteWrite(req('POST', { 'content-type': 'multipart/form-data; boundary=x' }), site)).toBe(true);
    expect(isForbiddenCrossSiteWrite(req('POST', { 'content-type': 'text/plain', origin: 'null' }), site)).toBe(true);
    expect(isForbiddenCrossSiteWrite(req('POST', { ...form, origin: 'https://b2b.example.cn' }), site)).toBe(false);
  });

  it('refuses a write with no content type unless it comes from us', () => {
    expect(isForbiddenCrossSiteWrite(req('DELETE', {}), site)).toBe(true);
    expect(isForbiddenCrossSiteWrite(req('DELETE', { origin: 'https://b2b.example.cn' }), site)).toBe(false);
  });

  it('lets a JSON write without the session cookie through (a form cannot send one without a CORS preflight)', () => {
    expect(isForbiddenCrossSiteWrite(req('POST', { 'content-type': 'application/json', origin: 'https://evil.example' }), site)).toBe(false);
  });

  it('refuses any write carrying the session cookie unless it comes from us, whatever its content type', () => {
    const close = new URL('https://b2b.example.cn/dashboard/listings/7/close');
    const cookie = { cookie: 'theme=dark; session=abc123' };
    for (const type of ['application/json', 'application/xml', 'application/octet-stream', 'image/png']) {
      expect(isForbiddenCrossSiteWrite(req('POST', { ...cookie, 'content-type': type, origin: 'https://evil.example' }, close), close), type).toBe(true);
      expect(isForbiddenCrossSiteWrite(req('POST', { ...cookie, 'content-type': type }, close), close), `${type}, no Origin`).toBe(true);
      expect(isForbiddenCrossSiteWrite(req('POST', { ...cookie, 'content-type': type, origin: 'https://b2b.example.cn' }, close), close)).toBe(false);
    }
    expect(isForbiddenCrossSiteWrite(req('PUT', { ...cookie, 'sec-fetch-site': 'cross-site' }, close), close)).toBe(true);
    expect(isForbiddenCrossSiteWrite(req('DELETE', { ...cookie, 'sec-fetch-site': 'same-site' }, close), close)).toBe(true);
    // A browser that leaves Origin off still says where the request came from.
    expect(isForbiddenCrossSiteWrite(req('POST', { ...cookie, 'content-type': 'application/json', 'sec-fetch-site': 'same-origin' }, close), close)).toBe(false);
    // A foreign Origin wins over a claimed Sec-Fetch-Site.
    expect(isForbiddenCrossSiteWrite(req('POST', { ...cookie, origin: 'https://evil.example', 'sec-fetch-site': 'same-origin' }, close), close)).toBe(true);
    // A cookie of another name, or an emptied session cookie, is not a session.
    expect(isForbiddenCrossSiteWrite(req('POST', { cookie: 'sessionx=1; session=', 'content-type': 'application/json' }, close), close)).toBe(false);
  });

  it('exempts bearer-token API calls only, which never use the session cookie', () => {
    const api = new URL('https://b2b.example.cn/api/v1/listings/7');
    expect(isForbiddenCrossSiteWrite(req('DELETE', { authorization: 'Bearer b2b_x' }, api), api)).toBe(false);
    expect(isForbiddenCrossSiteWrite(req('DELETE', { authorization: 'Bearer b2b_x', cookie: 'session=abc' }, api), api)).toBe(false);
    expect(isForbiddenCrossSiteWrite(req('DELETE', {}, api), api)).toBe(true);
    const page = new URL('https://b2b.example.cn/dashboard/listings/7/delete');
    expect(isForbiddenCrossSiteWrite(req('POST', { authorization: 'Bearer b2b_x', 'content-type': 'multipart/form-data' }, page), page)).toBe(true);
  });
});
