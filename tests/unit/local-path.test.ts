import { describe, expect, it } from 'vitest';
import { localPath } from '../../src/lib/guard.ts';

describe('localPath (the ?next= of the sign-in page)', () => {
  it('keeps a path on this site, with its query', () => {
    expect(localPath('/dashboard')).toBe('/dashboard');
    expect(localPath('/listing/12-abc?page=2#photos')).toBe('/listing/12-abc?page=2#photos');
    expect(localPath('/account/password', '/x')).toBe('/account/password');
  });

  it('never leaves the site', () => {
    for (const evil of [
      'https://evil.example/',
      '//evil.example/x',
      '/\\evil.example',
      '\\\\evil.example',
      'javascript:alert(1)',
      '/\t/evil.example',
      'evil.example',
      '',
      null,
      undefined,
    ]) {
      expect(localPath(evil, '/dashboard'), String(evil)).toBe('/dashboard');
    }
  });
});
