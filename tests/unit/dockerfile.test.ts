// The deployment files' essentials, read from the files themselves (no Docker engine here, and hadolint cannot be
// installed offline): a pinned base, a non-root user, a readiness health check, the data on a volume, no remote ADD,
// apt lists cleaned in the layer that fills them; compose with a pinned Meilisearch wired to the site, its key from
// the environment rather than the file.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';

interface Instruction {
  op: string;
  args: string;
}

/** Instructions with continuation lines joined and comments dropped. */
function parseDockerfile(text: string): Instruction[] {
  const joined = text.replace(/\\\r?\n/g, ' ');
  return joined
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: op!.toUpperCase(), args: rest.join(' ') };
    });
}

const instructions = parseDockerfile(fs.readFileSync('Dockerfile', 'utf8'));
const args = new Map(
  instructions.filter((i) => i.op === 'ARG' && i.args.includes('=')).map((i) => i.args.split('=', 2) as [string, string]),
);
const resolve = (s: string) => s.replace(/\$\{?(\w+)\}?/g, (_, name: string) => args.get(name) ?? `$${name}`);
const stages = instructions.reduce<Instruction[][]>((acc, i) => {
  if (i.op === 'FROM') acc.push([]);
  acc.at(-1)?.push(i);
  return acc;
}, []);
const final = stages.at(-1)!;

describe('Dockerfile', () => {
  it('builds in several stages from a pinned Node 24 slim base', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const from of instructions.filter((i) => i.op === 'FROM')) {
      const image = resolve(from.args.split(/\s+/)[0]!);
      const stage = stages.flat().some((i) => i.op === 'FROM' && i.args.endsWith(` AS ${image}`));
      if (stage) continue; // FROM an earlier stage
      expect(image).toMatch(/^node:24\.\d+\.\d+-[a-z]+-slim(@sha256:[0-9a-f]{64})?$/);
    }
  });

  it('runs as a user other than root', () => {
    const user = final.filter((i) => i.op === 'USER').at(-1);
    expect(user).toBeDefined();
    expect(user!.args).not.toMatch(/^(root|0)(:|$)/);
  });

  it('checks readiness, keeps the data on a volume and starts node directly', () => {
    const health = final.find((i) => i.op === 'HEALTHCHECK');
    expect(health?.args).toContain('/readyz');
    expect(final.find((i) => i.op === 'VOLUME')?.args).toContain('/data');
    expect(final.find((i) => i.op === 'ENV')?.args).toMatch(/DATA_DIR=\/data/);
    expect(final.find((i) => i.op === 'CMD')?.args).toMatch(/^\["node",/);
  });

  it('fetches nothing with ADD and cleans the apt lists in the layer that fills them', () => {
    for (const add of instructions.filter((i) => i.op === 'ADD')) expect(add.args).not.toMatch(/https?:\/\//);
    for (const run of instructions.filter((i) => i.op === 'RUN' && /apt-get install/.test(i.args))) {
      expect(run.args).toContain('--no-install-recommends');
      expect(run.args).toContain('rm -rf /var/lib/apt/lists/*');
    }
  });

  it('keeps local data, secrets and dependencies out of the build context', () => {
    const ignored = fs.readFileSync('.dockerignore', 'utf8').split('\n');
    for (const entry of ['.env', 'data', 'node_modules', '.git']) expect(ignored).toContain(entry);
  });
});

describe('compose.yaml', () => {
  const compose = fs.readFileSync('compose.yaml', 'utf8');

  it('runs a pinned Meilisearch on its own volume, with the site pointed at it', () => {
    expect(compose).toMatch(/image: getmeili\/meilisearch:v\d+\.\d+\.\d+\s/);
    expect(compose).toMatch(/- meili-data:\/meili_data/);
    expect(compose).toMatch(/MEILI_URL: http:\/\/meilisearch:7700/);
    expect(compose).toMatch(/- site-data:\/data/);
  });

  it('takes the master key from the environment file, never from itself', () => {
    const keys = [...compose.matchAll(/MEILI_MASTER_KEY: (.*)/g)].map((m) => m[1]);
    expect(keys.length).toBe(2);
    for (const k of keys) expect(k).toBe('${MEILI_MASTER_KEY:-}');
    expect(fs.readFileSync('.env.example', 'utf8')).toMatch(/^MEILI_MASTER_KEY=$/m);
  });
});
