// Calling a JSON API route's handler as an integration would, with a real Request (no server).
import type { APIContext } from 'astro';
import { createApiToken } from '../../src/server/api-tokens/index.ts';
import { getDb, type Db } from '../../src/server/db.ts';
import { seedTaxonomy } from '../../src/server/taxonomy/seed.ts';
import { makeCompany, makeUser, REFERENCE_FILES, tempDir } from './db.ts';

type Handler = (ctx: APIContext) => Response | Promise<Response>;

export interface ApiCallOptions {
  method?: string;
  /** The path and query, e.g. /api/v1/listings?mine=1. */
  path?: string;
  params?: Record<string, string | undefined>;
  token?: string | null;
  body?: unknown;
  raw?: string | FormData;
  type?: string;
  lang?: string;
  headers?: Record<string, string>;
}

export interface ApiAnswer {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

export async function callApi(handler: Handler, opts: ApiCallOptions = {}): Promise<ApiAnswer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.lang) headers['accept-language'] = opts.lang;
  const body = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  if ((body !== undefined && !(body instanceof FormData)) || opts.type) headers['content-type'] ??= opts.type ?? 'application/json';
  const url = new URL(`http://localhost${opts.path ?? '/api/v1'}`);
  const request = new Request(url, { method: opts.method ?? 'GET', headers, body });
  const res = await handler({ request, params: opts.params ?? {}, url } as unknown as APIContext);
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null };
}

/** The process's own database (the one route handlers open), in a new folder, with the reference data. */
export function apiDb(): Db {
  process.env.DATA_DIR = tempDir();
  const db = getDb();
  seedTaxonomy(db, REFERENCE_FILES);
  return db;
}

/** A company owner holding an API token for the company. */
export function tokenHolder(db: Db, name = 'erp') {
  const owner = makeUser(db);
  const company = makeCompany(db, { ownerId: owner.id });
  return { owner, company, token: createApiToken(db, owner.id, { name }, Date.now()).token };
}
