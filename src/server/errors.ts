// Typed domain errors; pages and API routes map them to HTTP status codes at the edge.
export class NotFoundError extends Error {
  constructor(what = 'not found') {
    super(what);
    this.name = 'NotFoundError';
  }
}

/** The thing existed and was taken down on purpose (HTTP 410 Gone). */
export class GoneError extends Error {
  constructor(what = 'gone') {
    super(what);
    this.name = 'GoneError';
  }
}

export class InvalidError extends Error {
  constructor(
    message: string,
    readonly fields: Record<string, string> = {},
    /** Parameters of a field's message, e.g. the candidates of an ambiguous name. */
    readonly fieldParams: Record<string, Record<string, string | number>> = {},
  ) {
    super(message);
    this.name = 'InvalidError';
  }
}

/** The caller is not signed in, or its credentials are not valid (HTTP 401). */
export class UnauthorizedError extends Error {
  constructor(what = 'unauthorized') {
    super(what);
    this.name = 'UnauthorizedError';
  }
}

/** Signed in, but the thing belongs to someone else (HTTP 403). */
export class ForbiddenError extends Error {
  constructor(what = 'forbidden') {
    super(what);
    this.name = 'ForbiddenError';
  }
}

/** The request clashes with what is stored, e.g. an email already registered (HTTP 409). `message` is a message key. */
export class ConflictError extends Error {
  constructor(
    message: string,
    readonly fields: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ConflictError';
  }
}

/** Too many attempts; try again after `retryAfterSeconds` (HTTP 429 with Retry-After). */
export class RateLimitedError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super(`rate limited for ${retryAfterSeconds} s`);
    this.name = 'RateLimitedError';
  }
}
