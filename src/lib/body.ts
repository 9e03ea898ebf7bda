// Request bodies of forms and uploads: bounded before and while they are read, parsed as they stream in.
//
// Every route has a body limit sized to what it takes (a sign-in is a few hundred bytes, the listing form up to eight
// photos). A declared Content-Length over it is refused before a byte is read (src/lib/middleware/body.ts); a chunked
// body is counted as it arrives and refused at the limit. Multipart is parsed as a stream with a limit per part: a
// text field over MAX_FIELD_BYTES is refused, a file keeps at most its route's file limit plus one byte (so the image
// or import check still names the file as too big, and the rest of the form comes back as typed), and the number of
// parts is capped. Memory per request is therefore bounded by the route's limit, whatever is sent.
// Too large: BodyError 413. Not a form, a multipart body without its boundary, cut off or badly framed: BodyError 400.
import { MAX_FILE_BYTES as MAX_IMPORT_BYTES } from '../server/import/csv.ts';
import { MAX_IMAGES } from '../server/listings/write.ts';
import type { MessageKey, Params } from '../server/i18n/index.ts';
import type { PostedForm } from '../server/media/upload.ts';
import { MAX_IMAGE_BYTES } from '../server/media/renditions.ts';

export interface BodyLimits {
  /** The whole body, framing included. */
  maxBytes: number;
  /** One uploaded file: bytes beyond this are dropped (the file is kept one byte over, for the domain to refuse). */
  maxFileBytes: number;
  /** What the 413 page says, when the route has its own words for it (the import's "file too large: 5 MB"). */
  tooLarge?: { key: MessageKey; params: Params };
}

const KB = 1024;
/** Room beside the files for the text fields and the multipart framing. */
const FIELDS_ROOM = 64 * KB;
/** One text field: the longest any form takes (a listing's description, 5,000 characters) is under 20 KB. */
export const MAX_FIELD_BYTES = 64 * KB;
/** Parts of one multipart body: the listing form, the largest, has a few dozen. */
export const MAX_PARTS = 500;
const MAX_PART_HEADER_BYTES = 8 * KB;

/** Sign-in, registration, password change, tokens, listing actions, sign-out: a few short fields. */
export const SMALL_FORM: BodyLimits = { maxBytes: 8 * KB, maxFileBytes: 0 };
/** Any other form: text only (an inquiry's 2,000 characters of Chinese are 18 KB urlencoded). */
export const TEXT_FORM: BodyLimits = { maxBytes: FIELDS_ROOM, maxFileBytes: 0 };

const SMALL_FORMS =
  /^(?:\/en)?\/(?:login|register)$|^\/(?:account\/password|logout|dashboard\/tokens|inquiries\/confirm)$|^\/dashboard\/listings\/[1-9]\d*\/(?:close|renew|delete)$|^\/company\/[^/]+\/contact$/;

const ROUTES: readonly [RegExp, BodyLimits][] = [
  [SMALL_FORMS, SMALL_FORM],
  // The whole search dictionary in two textareas: a province's thousands of words are far over 64 KB urlencoded.
  [/^\/admin\/dictionary$/, { maxBytes: 1024 * KB, maxFileBytes: 0 }],
  [/^\/dashboard\/listings\/(?:new|[1-9]\d*\/edit)$/, { maxBytes: MAX_IMAGES * MAX_IMAGE_BYTES + FIELDS_ROOM, maxFileBytes: MAX_IMAGE_BYTES }],
  [/^\/dashboard\/company(?:\/verification)?$/, { maxBytes: MAX_IMAGE_BYTES + FIELDS_ROOM, maxFileBytes: MAX_IMAGE_BYTES }],
  [
    /^\/dashboard\/import$/,
    {
      maxBytes: MAX_IMPORT_BYTES + FIELDS_ROOM,
      maxFileBytes: MAX_IMPORT_BYTES,
      tooLarge: { key: 'import.tooLarge', params: { max: MAX_IMPORT_BYTES / 1024 / 1024 } },
    },
  ],
];

/** The body limit of a page route (the JSON API under /api/ has its own, in src/lib/api.ts). */
export function bodyLimitFor(pathname: string): BodyLimits {
  return ROUTES.find(([path]) => path.test(pathname))?.[1] ?? TEXT_FORM;
}

/** The largest body any route takes: the adapter's bodySizeLimit for the whole site must be at least this. */
export const LARGEST_BODY_BYTES = Math.max(...ROUTES.map(([, l]) => l.maxBytes));

/** A body refused at the edge: 413 (too large, with the limit) or 400 (not readable as a form). */
export class BodyError extends Error {
  constructor(
    readonly status: 400 | 413,
    readonly maxBytes = 0,
  ) {
    super(status === 413 ? `request body over ${maxBytes} bytes` : 'malformed request body');
    this.name = 'BodyError';
  }
}

const tooLarge = (maxBytes: number) => new BodyError(413, maxBytes);
const malformed = () => new BodyError(400);

/** The declared length is over the limit: refuse before reading. */
export function declaresTooMuch(request: Request, limits: BodyLimits): boolean {
  const declared = Number(request.headers.get('content-length'));
  return Number.isFinite(declared) && declared > limits.maxBytes;
}

/**
 * The body's chunks, counted: at the limit it throws 413. Whatever is left of a body we stop using (too large, or
 * malformed) is read on in the background and dropped, the way Node drops a body nobody reads: the client still
 * sending gets our answer instead of a reset connection, and memory stays flat. The site-wide limit of the adapter
 * ends that reading at its ceiling.
 */
async function* boundedChunks(request: Request, maxBytes: number): AsyncGenerator<Uint8Array> {
  if (declaresTooMuch(request, { maxBytes, maxFileBytes: 0 })) throw tooLarge(maxBytes);
  if (!request.body) return;
  const reader = request.body.getReader();
  let size = 0;
  let finished = false;
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (e) {
        // The adapter's site-wide bodySizeLimit, or the client went away mid-body.
        finished = true;
        throw /size limit/i.test((e as Error)?.message ?? '') ? tooLarge(maxBytes) : malformed();
      }
      if (chunk.done) {
        finished = true;
        return;
      }
      size += chunk.value.byteLength;
      if (size > maxBytes) throw tooLarge(maxBytes);
      yield chunk.value;
    }
  } finally {
    if (!finished) void discardRest(reader);
  }
}

async function discardRest(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  try {
    while (!(await reader.read()).done);
  } catch {
    // the adapter's ceiling, or the client hung up: either way nothing more to read
  }
}

function mediaType(request: Request): { type: string; boundary: string | null } {
  const header = request.headers.get('content-type') ?? '';
  const [type = ''] = header.split(';');
  const boundary = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(header);
  return { type: type.trim().toLowerCase(), boundary: boundary ? (boundary[1] ?? boundary[2] ?? null) : null };
}

/**
 * Reads a posted form (urlencoded or multipart) within `limits`. An empty body without a content type is an empty
 * form (a bare confirmation button); any other content type is not a form (400).
 */
export async function readPostedForm(request: Request, limits: BodyLimits): Promise<PostedForm> {
  const { type, boundary } = mediaType(request);
  const chunks = boundedChunks(request, limits.maxBytes);
  if (type === 'multipart/form-data') {
    if (!boundary) throw malformed();
    return parseMultipart(chunks, boundary, limits);
  }
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  const text = Buffer.concat(parts).toString('utf8');
  if (type !== 'application/x-www-form-urlencoded' && !(type === '' && text === '')) throw malformed();
  return { fields: [...new URLSearchParams(text)], files: [] };
}

/** One `name="value"` parameter of a Content-Disposition header (browsers percent-encode quotes and line breaks). */
function dispositionParam(header: string, key: string): string | null {
  const m = new RegExp(`;\\s*${key}\\s*=\\s*(?:"((?:[^"\\\\\\r\\n]|\\\\.)*)"|([^;\\s"]+))`, 'i').exec(header);
  if (!m) return null;
  return m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!;
}

interface OpenPart {
  name: string;
  /** null for a text field. */
  fileName: string | null;
  chunks: Uint8Array[];
  size: number;
}

/** multipart/form-data (RFC 7578) parsed as it streams, each part within its limit. */
async function parseMultipart(chunks: AsyncIterable<Uint8Array>, boundary: string, limits: BodyLimits): Promise<PostedForm> {
  const form: PostedForm = { fields: [], files: [] };
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  // The first boundary has no line break before it; starting with one lets every boundary be found the same way.
  let buf = Buffer.from('\r\n');
  // Read through closures below, so TypeScript must not narrow it to its first value.
  let state = 'preamble' as 'preamble' | 'boundary' | 'headers' | 'body' | 'done';
  let part: OpenPart | null = null;
  let parts = 0;

  const add = (p: OpenPart, bytes: Uint8Array) => {
    if (bytes.byteLength === 0) return;
    const room = (p.fileName === null ? MAX_FIELD_BYTES : limits.maxFileBytes + 1) - p.size;
    if (p.fileName === null && bytes.byteLength > room) throw tooLarge(MAX_FIELD_BYTES);
    const kept = bytes.byteLength > room ? bytes.subarray(0, Math.max(0, room)) : bytes;
    if (kept.byteLength > 0) p.chunks.push(Buffer.from(kept));
    p.size += kept.byteLength;
  };
  const close = (p: OpenPart) => {
    const bytes = Buffer.concat(p.chunks);
    if (p.fileName === null) form.fields.push([p.name, bytes.toString('utf8')]);
    else form.files.push({ field: p.name, name: p.fileName, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
  };
  const open = (head: string): OpenPart => {
    const disposition = /^content-disposition:\s*form-data\s*(;[^\r\n]*)?$/im.exec(head);
    const name = disposition ? dispositionParam(disposition[1] ?? '', 'name') : null;
    if (name === null) throw malformed();
    if (++parts > MAX_PARTS) throw tooLarge(limits.maxBytes);
    return { name, fileName: dispositionParam(disposition![1] ?? '', 'filename'), chunks: [], size: 0 };
  };

  const step = (): boolean => {
    switch (state) {
      case 'preamble': {
        const at = buf.indexOf(delimiter);
        if (at < 0) {
          buf = buf.subarray(Math.max(0, buf.length - delimiter.length));
          return false;
        }
        buf = buf.subarray(at + delimiter.length);
        state = 'boundary';
        return true;
      }
      case 'boundary': {
        // After a boundary: `--` ends the body; otherwise (optional padding, then) a line break starts a part.
        if (buf.length < 2) return false;
        if (buf[0] === 0x2d && buf[1] === 0x2d) {
          state = 'done';
          return false;
        }
        const eol = buf.indexOf('\r\n');
        if (eol < 0) {
          if (buf.length > 256) throw malformed();
          return false;
        }
        if (!/^[ \t]*$/.test(buf.subarray(0, eol).toString('latin1'))) throw malformed();
        buf = buf.subarray(eol + 2);
        state = 'headers';
        return true;
      }
      case 'headers': {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) {
          if (buf.length > MAX_PART_HEADER_BYTES) throw malformed();
          return false;
        }
        part = open(buf.subarray(0, end).toString('utf8'));
        buf = buf.subarray(end + 4);
        state = 'body';
        return true;
      }
      case 'body': {
        const at = buf.indexOf(delimiter);
        if (at < 0) {
          // Keep what could be the start of the next boundary; the rest is this part's.
          const keep = delimiter.length - 1;
          if (buf.length > keep) {
            add(part!, buf.subarray(0, buf.length - keep));
            buf = buf.subarray(buf.length - keep);
          }
          return false;
        }
        add(part!, buf.subarray(0, at));
        close(part!);
        part = null;
        buf = buf.subarray(at + delimiter.length);
        state = 'boundary';
        return true;
      }
      case 'done':
        return false;
    }
  };

  for await (const chunk of chunks) {
    if (state === 'done') continue; // the epilogue, ignored
    buf = buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([buf, chunk]);
    while (step());
  }
  if (state !== 'done') throw malformed();
  return form;
}
