import { describe, expect, it } from 'vitest';
import { localPath } from '../../src/lib/guard.ts';

describe('localPath (every ?next= of the site)', () => {
  it('keeps a path on this site, with its query', () => {
    expect(localPath('/dashboard')).toBe('/dashboard');
    expect(localPath('/listing/12-abc?page=2#photos')).toBe('/listing/12-abc?page=2#photos');
    expect(localPath('/account/password', '/x')).toBe('/account/password');
    expect(localPath('/a/../dashboard')).toBe('/dashboard');
    expect(localPath('/dashboard//listings')).toBe('/dashboard//listings');
  });

  // Known bypasses of naive checks (OWASP's unvalidated-redirects cheat sheet, PortSwigger's URL-validation list and
  // the review's own finds): each must fall back, never name another host after the browser normalises it.
  const bypasses = [
    'https://evil.example/',
    'http:evil.example',
    '//evil.example/x',
    '///evil.example',
    '/\\evil.example',
    '\\\\evil.example',
    '/\\/evil.example',
    'javascript:alert(1)',
    'data:text/html,x',
    '/\t/evil.example',
    '/\n/evil.example',
    ' /evil.example',
    'evil.example',
    // Normalised into `//evil.example` by the URL parser (and by browsers):
    '/.//evil.example',
    '/..//evil.example',
    '/%2e//evil.example',
    '/%2E%2E//evil.example',
    '/.%2e//evil.example',
    '/a/..//evil.example',
    '/a/%2e%2e//evil.example',
    '/././/evil.example',
    '/a/b/../..//evil.example',
    // Encoded slashes and backslashes that decode to a second slash:
    '/%2fevil.example',
    '/%2F%2Fevil.example',
    '/%5cevil.example',
    '/.%5c/evil.example',
    '/%09/evil.example',
    '/%',
    '',
    null,
    undefined,
  ];

  it.each(bypasses.map((b) => [JSON.stringify(b), b]))('refuses %s', (_, evil) => {
    expect(localPath(evil, '/dashboard')).toBe('/dashboard');
  });

  it('gives only results that are themselves safe paths (a fixed point)', () => {
    for (const p of ['/dashboard', '/a/./b', '/x?next=//evil.example', '/%E4%BE%9B%E5%BA%94']) {
      const out = localPath(p);
      expect(localPath(out, '/fallback'), p).toBe(out);
      expect(new URL(out, 'https://site.example').host, p).toBe('site.example');
    }
  });
});
