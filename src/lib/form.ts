// Form pages: server-rendered, working without JavaScript. A page reads the posted form, runs ONE domain call, and
// either redirects (303) or renders the form again with what was typed and each error beside its field.
//
//   let values: FormValues = {};
//   let errors: FormErrors = {};
//   if (Astro.request.method === 'POST') {
//     values = await readForm(Astro.request);                 // { name: string }, the last value of a repeated name
//     const result = await submitForm(Astro, () => createThing(getDb(), user.id, values, Date.now()));
//     if (result.ok) return Astro.redirect('/somewhere', 303);
//     errors = result.errors;                                 // { field: translated message }; '_' = the whole form
//   }
//   <input name="title" value={values.title ?? ''} />   {errors.title && <p class="field-error">{errors.title}</p>}
//
// submitForm turns InvalidError (422) and ConflictError (409) into field errors, and RateLimitedError into a 429 with
// Retry-After and a form-level error; it sets the status on Astro.response so the re-rendered page answers 4xx.
// Field names follow the domain's zod paths ('attributes.material' for a nested field). Never put a password back.
// Files: readFormWithFiles(request) gives { values, files } (an empty file input is left out).
// Every reader stays within the route's body limit (./body.ts); a body too large or not a form throws BodyError, which
// the body middleware answers with a 413 or 400 page.
import { ConflictError, InvalidError, RateLimitedError } from '../server/errors.ts';
import type { MessageKey } from '../server/i18n/index.ts';
import type { PostedForm, UploadedFile } from '../server/media/upload.ts';
import { bodyLimitFor, readPostedForm } from './body.ts';

export type FormValues = Record<string, string>;
/** Field name -> message for the reader (already translated); '_' for a problem of the form as a whole. */
export type FormErrors = Record<string, string>;

export type FormResult<T> = { ok: true; value: T } | { ok: false; errors: FormErrors };

interface FormContext {
  locals: App.Locals;
  response: { status?: number; headers: Headers };
}

/** The posted form, read within the limit of the route it was posted to. */
export function readPosted(request: Request): Promise<PostedForm> {
  return readPostedForm(request, bodyLimitFor(new URL(request.url).pathname));
}

/** The posted fields as strings (urlencoded or multipart; file fields are skipped), the last value of a name winning. */
export async function readForm(request: Request): Promise<FormValues> {
  return (await readFormWithFiles(request)).values;
}

/** The posted fields as strings and the posted files by field name. */
export async function readFormWithFiles(request: Request): Promise<{ values: FormValues; files: Record<string, UploadedFile[]> }> {
  const form = await readPosted(request);
  const files: Record<string, UploadedFile[]> = {};
  for (const { field, name, bytes } of form.files) {
    if (bytes.length > 0 || name !== '') (files[field] ??= []).push({ name, bytes });
  }
  return { values: Object.fromEntries(form.fields), files };
}

/** Field errors (translated) for a domain error a form can show, or null for any other error. */
export function formErrors(t: App.Locals['t'], e: unknown): FormErrors | null {
  const say = (key: string, params?: Record<string, string | number>) => {
    const message = t(key as MessageKey, params);
    return typeof message === 'string' ? message : t('invalid.value');
  };
  if (e instanceof InvalidError || e instanceof ConflictError) {
    const errors: FormErrors = {};
    for (const [field, key] of Object.entries(e.fields)) errors[field] = say(key, e instanceof InvalidError ? e.fieldParams[field] : undefined);
    if (Object.keys(errors).length === 0) errors._ = say(e instanceof ConflictError ? e.message : 'invalid.value');
    return errors;
  }
  if (e instanceof RateLimitedError) {
    return { _: t('account.rateLimited', { minutes: Math.max(1, Math.ceil(e.retryAfterSeconds / 60)) }) };
  }
  return null;
}

/** Runs the domain call; a form-shaped failure sets the page's status (and Retry-After) and gives the errors. */
export async function submitForm<T>(context: FormContext, call: () => T | Promise<T>): Promise<FormResult<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (e) {
    const errors = formErrors(context.locals.t, e);
    if (!errors) throw e;
    context.response.status = e instanceof RateLimitedError ? 429 : e instanceof ConflictError ? 409 : 422;
    if (e instanceof RateLimitedError) context.response.headers.set('Retry-After', String(e.retryAfterSeconds));
    return { ok: false, errors };
  }
}
