// Sign-out: POST only (a form button), so no link, image or prefetch can sign anyone out; the session ends on the
// server, not only in this browser.
import type { APIRoute } from 'astro';
import { writeSessionCookie, sessionToken } from '../lib/middleware/session.ts';
import { signOut } from '../server/auth/accounts.ts';
import { getDb } from '../server/db.ts';

export const POST: APIRoute = async (context) => {
  const token = sessionToken(context.cookies);
  if (token) await signOut(getDb(), token);
  writeSessionCookie(context, null);
  return context.redirect('/', 303);
};

export const GET: APIRoute = () => new Response(null, { status: 405, headers: { Allow: 'POST' } });
