// The import template as a CSV download.
import type { APIRoute } from 'astro';
import { getDb } from '../../../server/db.ts';
import { importTemplate } from '../../../server/import/template.ts';
import { getTaxonomy } from '../../../server/taxonomy/taxonomy.ts';

export const GET: APIRoute = () =>
  new Response(importTemplate(getTaxonomy(getDb())), {
    headers: {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': 'attachment; filename="listings-template.csv"',
      'Cache-Control': 'public, max-age=3600',
    },
  });
