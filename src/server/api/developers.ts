// What the /developers page shows: the endpoints as the OpenAPI document lists them (so the page cannot drift from
// it), each described in the reader's language, and ready-to-run examples in curl, Python and Node against this site.
import { config } from '../config.ts';
import type { MessageKey, Translate } from '../i18n/index.ts';
import { zhCN } from '../i18n/zh-CN.ts';
import { openApiDocument } from './openapi.ts';

export interface DevelopersPage {
  siteUrl: string;
  endpoints: { method: string; path: string; summary: string; token: boolean }[];
  examples: { curl: string; python: string; node: string };
}

/** What an operation does, from the catalogue (`developers.op.<operationId>`), else the document's English summary. */
function describe(t: Translate, op: { operationId?: string; summary?: string }): string {
  const key = `developers.op.${op.operationId}`;
  return key in zhCN ? t(key as MessageKey) : (op.summary ?? '');
}

export function developersPage(t: Translate): DevelopersPage {
  const { SITE_URL } = config();
  const doc = openApiDocument();
  const endpoints = Object.entries(doc.paths ?? {}).flatMap(([path, ops]) =>
    (['get', 'post', 'put', 'patch', 'delete'] as const).flatMap((m) => {
      const op = (ops as Record<string, { operationId?: string; summary?: string; security?: unknown[] } | undefined>)[m];
      return op ? [{ method: m.toUpperCase(), path, summary: describe(t, op), token: !!op.security?.length }] : [];
    }),
  );
  const curl = [
    `# The categories and regions, with their names and codes`,
    `curl ${SITE_URL}/api/v1/categories`,
    `curl ${SITE_URL}/api/v1/regions`,
    ``,
    `# Your catalogue, one listing a line (NDJSON), by your own ref`,
    `cat > catalogue.ndjson <<'EOF'`,
    `{"ref": "SKU-1001", "kind": "供应", "category": "钢管", "region": "南昌", "title": "供应Q235B焊接钢管", "price": "18500元/吨"}`,
    `{"ref": "SKU-1002", "kind": "求购", "category": "不锈钢", "region": "南昌县", "title": "求购304不锈钢板", "price": "面议"}`,
    `EOF`,
    `curl -X POST ${SITE_URL}/api/v1/listings/bulk \\`,
    `  -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/x-ndjson" \\`,
    `  --data-binary @catalogue.ndjson`,
    ``,
    `# A photo for one listing, then what is stored for your company`,
    `curl -X POST ${SITE_URL}/api/v1/listings/1234/images -H "Authorization: Bearer $TOKEN" -F "image=@photo.jpg"`,
    `curl "${SITE_URL}/api/v1/listings?mine=1&status=active" -H "Authorization: Bearer $TOKEN"`,
  ].join('\n');
  const python = [
    `import os, requests`,
    ``,
    `API = "${SITE_URL}/api/v1"`,
    `auth = {"Authorization": "Bearer " + os.environ["TOKEN"]}`,
    ``,
    `items = [`,
    `    {"ref": "SKU-1001", "kind": "供应", "category": "钢管", "region": "南昌",`,
    `     "title": "供应Q235B焊接钢管", "price": "18500元/吨"},`,
    `]`,
    `# Up to 1,000 items a call; sending the same items again changes nothing.`,
    `answer = requests.post(f"{API}/listings/bulk", json=items, headers=auth).json()`,
    `print(answer["summary"])`,
    `for item in answer["items"]:`,
    `    if item["status"] == "error":`,
    `        print(item["ref"], item["errors"])`,
    ``,
    `# Reconcile: every listing of your company, a page at a time`,
    `url = f"{API}/listings?mine=1&limit=500"`,
    `while url:`,
    `    page = requests.get(url, headers=auth).json()`,
    `    for listing in page["items"]:`,
    `        print(listing["ref"], listing["id"], listing["status"])`,
    `    url = page["next"] and "${SITE_URL}" + page["next"]`,
  ].join('\n');
  const node = [
    `const API = '${SITE_URL}/api/v1';`,
    `const auth = { Authorization: \`Bearer \${process.env.TOKEN}\` };`,
    ``,
    `const items = [`,
    `  { ref: 'SKU-1001', kind: '供应', category: '钢管', region: '南昌', title: '供应Q235B焊接钢管', price: '18500元/吨' },`,
    `];`,
    `const res = await fetch(\`\${API}/listings/bulk\`, {`,
    `  method: 'POST',`,
    `  headers: { ...auth, 'Content-Type': 'application/json' },`,
    `  body: JSON.stringify(items),`,
    `});`,
    `console.log(res.headers.get('RateLimit-Remaining'), 'requests left this minute');`,
    `const { summary, items: results } = await res.json();`,
    `console.log(summary);`,
    `for (const r of results) if (r.status === 'error') console.log(r.ref, r.errors);`,
    ``,
    `// A photo for the first listing`,
    `const form = new FormData();`,
    `form.append('image', new Blob([await (await import('node:fs/promises')).readFile('photo.jpg')]), 'photo.jpg');`,
    `await fetch(\`\${API}/listings/\${results[0].id}/images\`, { method: 'POST', headers: auth, body: form });`,
  ].join('\n');
  return { siteUrl: SITE_URL, endpoints, examples: { curl, python, node } };
}
