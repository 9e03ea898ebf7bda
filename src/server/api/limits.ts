// How large an API request body may be; the edge (src/lib/api.ts) enforces them, the OpenAPI document states them.

/** Request bodies above this are refused with 413: a listing's JSON is a few KB. */
export const MAX_BODY_BYTES = 64 * 1024;
/** A bulk call carries up to 1,000 listings: a few MB. */
export const MAX_BULK_BODY_BYTES = 8 * 1024 * 1024;
/** An image upload: up to 8 images of at most 10 MB each, and the multipart framing. */
export const MAX_UPLOAD_BODY_BYTES = 81 * 1024 * 1024;
