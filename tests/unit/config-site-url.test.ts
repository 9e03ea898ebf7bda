// Without SITE_URL the site names itself after the port it serves, so canonicals, sitemaps and mail links work on
// whatever port it was started.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/server/config.ts';

describe('SITE_URL', () => {
  it('defaults to http://localhost:<PORT>', () => {
    expect(parseConfig({ PORT: '4493' }).SITE_URL).toBe('http://localhost:4493');
    expect(parseConfig({}).SITE_URL).toBe('http://localhost:4321');
    expect(parseConfig({ PORT: '4493', SITE_URL: '' }).SITE_URL).toBe('http://localhost:4493');
  });

  it('keeps a given origin, without a trailing slash', () => {
    expect(parseConfig({ PORT: '4493', SITE_URL: 'https://b2b.example.cn/' }).SITE_URL).toBe('https://b2b.example.cn');
  });
});
