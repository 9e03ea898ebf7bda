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
  ) {
    super(message);
    this.name = 'InvalidError';
  }
}
