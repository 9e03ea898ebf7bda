// /admin/verifications/<id>/licence-<width>.webp: a request's licence photo, for administrators only (anyone else
// gets 404, as for every console path). Never cached by a shared cache.
import type { APIRoute } from 'astro';
import fs from 'node:fs/promises';
import { requireAdmin } from '../../../../lib/guard.ts';
import { load } from '../../../../lib/route.ts';
import { config } from '../../../../server/config.ts';
import { licenceFile } from '../../../../server/verification/index.ts';
import { parseId } from '../../../../server/urls.ts';

export const GET: APIRoute = async ({ params, locals }) => {
  const admin = requireAdmin(locals);
  if (admin instanceof Response) return admin;
  const id = parseId(params.id);
  const width = /^licence-(320|800|1600)\.webp$/.exec(params.file ?? '')?.[1];
  if (id === null || !width) return new Response(null, { status: 404 });
  const file = load((db) => licenceFile(db, admin.id, id, Number(width) as 320 | 800 | 1600, config().dataDir));
  if (file instanceof Response) return file;
  const bytes = await fs.readFile(file).catch(() => null);
  if (!bytes) return new Response(null, { status: 404 });
  return new Response(bytes, {
    headers: { 'Content-Type': 'image/webp', 'Cache-Control': 'private, no-store', 'X-Robots-Tag': 'noindex', 'X-Content-Type-Options': 'nosniff' },
  });
};
