// What the rest of the site knows of the signed-in user; everything else of authentication stays in this folder.
export interface SessionUser {
  id: string;
  email: string;
  displayName: string;
  isAdmin: boolean;
}

/** The cookie that holds the session token (the database keeps only its SHA-256). */
export const SESSION_COOKIE = 'session';
