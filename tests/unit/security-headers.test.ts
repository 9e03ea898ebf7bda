// HSTS decided from the request and the site's public origin.
import { describe, expect, it } from 'vitest';
import { strictTransportSecurity } from '../../src/lib/hsts.ts';
import { parseConfig } from '../../src/server/config.ts';

const YEAR = 31_536_000;

describe('Strict-Transport-Security', () => {
  it('is sent for a request that came over https (TLS, or a trusted proxy saying so)', () => {
    expect(strictTransportSecurity(new URL('https://b2b.example.cn/'), 'http://b2b.example.cn', YEAR)).toBe(`max-age=${YEAR}`);
  });

  it('is sent whenever the public origin is https, even behind a proxy that speaks http to us', () => {
    expect(strictTransportSecurity(new URL('http://127.0.0.1:4321/login'), 'https://b2b.example.cn', YEAR)).toBe(`max-age=${YEAR}`);
  });

  it('is not sent for a plain-http site, nor when turned off', () => {
    expect(strictTransportSecurity(new URL('http://localhost:4321/'), 'http://localhost:4321', YEAR)).toBeNull();
    expect(strictTransportSecurity(new URL('https://b2b.example.cn/'), 'https://b2b.example.cn', 0)).toBeNull();
  });

  it('defaults to one year; a shorter max-age is refused at start-up', () => {
    expect(parseConfig({}).HSTS_MAX_AGE).toBe(YEAR);
    expect(parseConfig({ HSTS_MAX_AGE: '63072000' }).HSTS_MAX_AGE).toBe(63_072_000);
    expect(parseConfig({ HSTS_MAX_AGE: '0' }).HSTS_MAX_AGE).toBe(0);
    expect(() => parseConfig({ HSTS_MAX_AGE: '86400' })).toThrow(/HSTS_MAX_AGE/);
  });
});
