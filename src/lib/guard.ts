// Pages for signed-in users only: a visitor is sent to sign in and brought back afterwards.
import type { SessionUser } from '../server/auth/user.ts';

export function requireUser(locals: App.Locals, url: URL): SessionUser | Response {
  if (locals.user) return locals.user;
  const next = encodeURIComponent(url.pathname + url.search);
  return new Response(null, { status: 303, headers: { Location: `/login?next=${next}` } });
}
