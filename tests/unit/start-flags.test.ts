// Every way the server is started gives node the same memory settings: `npm start` and `npm run serve` (which the
// tests and benches run, scripts/lib/server-process.ts), the Dockerfile and the systemd unit. A flag changed in one
// place and not the others would make the deployed server's memory differ from the one measured.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';

const scripts = (JSON.parse(fs.readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;
const dockerfile = fs.readFileSync('Dockerfile', 'utf8');
const unit = fs.readFileSync('deploy/b2b-classifieds.service', 'utf8');

/** node's flags before the start script, from a command line. */
const nodeFlags = (command: string) => /\bnode((?: --[\w-]+(?:=\S+)?)*) dist\/server\/start\.mjs/.exec(command)?.[1]?.trim().split(/\s+/) ?? null;

const starts = {
  'npm start': nodeFlags(scripts.start!),
  'npm run serve': nodeFlags(scripts.serve!),
  Dockerfile: (() => {
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
    return cmd ? nodeFlags((JSON.parse(cmd) as string[]).join(' ')) : null;
  })(),
  'systemd unit': nodeFlags(/^ExecStart=(.*)$/m.exec(unit)?.[1] ?? ''),
};

describe('the start commands', () => {
  it('give node the same flags everywhere, a bounded young generation among them', () => {
    const flags = starts['npm run serve'];
    expect(flags).toEqual(expect.arrayContaining([expect.stringMatching(/^--max-semi-space-size=\d+$/)]));
    for (const [where, f] of Object.entries(starts)) expect(f, where).toEqual(flags);
  });

  it('limit glibc to the same number of malloc arenas everywhere', () => {
    const arenas = (text: string | undefined) => /MALLOC_ARENA_MAX=(\d+)/.exec(text ?? '')?.[1];
    const n = arenas(scripts.serve);
    expect(n).toMatch(/^\d+$/);
    expect(arenas(scripts.start)).toBe(n);
    expect(arenas(dockerfile)).toBe(n);
    expect(arenas(unit)).toBe(n);
  });
});
