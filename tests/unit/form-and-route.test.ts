// The edge helpers every form page and page route uses: reading a form, turning domain errors into field errors and
// status codes.
import { describe, expect, it } from 'vitest';
import { formErrors, readForm, readFormWithFiles, submitForm } from '../../src/lib/form.ts';
import { errorResponse } from '../../src/lib/route.ts';
import { ConflictError, ForbiddenError, GoneError, InvalidError, NotFoundError, RateLimitedError, UnauthorizedError } from '../../src/server/errors.ts';
import { translator } from '../../src/server/i18n/index.ts';

const t = translator('zh-CN');
const context = () => ({ locals: { t } as App.Locals, response: { status: 200, headers: new Headers() } });

describe('readForm', () => {
  it('reads a urlencoded form into strings, the last value of a repeated name winning', async () => {
    const request = new Request('http://x/', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'email=a%40b.cn&displayName=%E7%8E%8B&tag=1&tag=2&empty=',
    });
    expect(await readForm(request)).toEqual({ email: 'a@b.cn', displayName: '王', tag: '2', empty: '' });
  });

  it('reads multipart fields and files, leaving out an empty file input', async () => {
    const body = new FormData();
    body.set('title', '供应大米');
    body.set('image', new File([new Uint8Array([1, 2, 3])], 'rice.jpg', { type: 'image/jpeg' }));
    body.set('logo', new File([], ''));
    const { values, files } = await readFormWithFiles(new Request('http://x/dashboard/company', { method: 'POST', body }));
    // An empty file input may arrive as an empty string (undici reads `filename=""` so): either way, no file.
    expect(values.title).toBe('供应大米');
    expect(values.logo ?? '').toBe('');
    expect(Object.keys(files)).toEqual(['image']);
    expect(files.image![0]!.name).toBe('rice.jpg');
    expect([...files.image![0]!.bytes]).toEqual([1, 2, 3]);
  });

  it('reads an empty body without a content type (a bare confirmation button) as an empty form', async () => {
    expect(await readForm(new Request('http://x/', { method: 'POST' }))).toEqual({});
  });

  it('refuses a body that is not a form with BodyError 400', async () => {
    const request = new Request('http://x/', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"a":1}' });
    await expect(readForm(request)).rejects.toMatchObject({ name: 'BodyError', status: 400 });
  });
});

describe('submitForm', () => {
  it('passes the value through on success', async () => {
    const ctx = context();
    expect(await submitForm(ctx, async () => 42)).toEqual({ ok: true, value: 42 });
    expect(ctx.response.status).toBe(200);
  });

  it('gives translated field errors and 422 for invalid input', async () => {
    const ctx = context();
    const result = await submitForm(ctx, () => {
      throw new InvalidError('x', { email: 'account.emailInvalid', 'attributes.grade': 'no.such.key' });
    });
    expect(result).toEqual({ ok: false, errors: { email: t('account.emailInvalid'), 'attributes.grade': t('invalid.value') } });
    expect(ctx.response.status).toBe(422);
  });

  it('409 for a conflict, shown beside its field', async () => {
    const ctx = context();
    const result = await submitForm(ctx, () => {
      throw new ConflictError('account.emailTaken', { email: 'account.emailTaken' });
    });
    expect(result).toEqual({ ok: false, errors: { email: '该邮箱已注册，请直接登录' } });
    expect(ctx.response.status).toBe(409);
  });

  it('429 with Retry-After and a message for the whole form when rate limited', async () => {
    const ctx = context();
    const result = await submitForm(ctx, () => {
      throw new RateLimitedError(301);
    });
    expect(result).toEqual({ ok: false, errors: { _: '尝试次数过多，请 6 分钟后再试' } });
    expect(ctx.response.status).toBe(429);
    expect(ctx.response.headers.get('Retry-After')).toBe('301');
  });

  it('lets any other error through', async () => {
    await expect(submitForm(context(), () => { throw new ForbiddenError(); })).rejects.toBeInstanceOf(ForbiddenError);
    expect(formErrors(t, new Error('boom'))).toBeNull();
  });
});

describe('errorResponse (pages)', () => {
  it('maps 404 and 410 to empty answers Astro dresses', () => {
    expect(errorResponse(new NotFoundError()).status).toBe(404);
    expect(errorResponse(new GoneError()).status).toBe(410);
  });

  it('answers 401, 403 and 429 with a page saying why', async () => {
    const unauthorized = errorResponse(new UnauthorizedError());
    expect(unauthorized.status).toBe(401);
    expect(await unauthorized.text()).toContain('href="/login"');
    const forbidden = errorResponse(new ForbiddenError());
    expect(forbidden.status).toBe(403);
    expect(await forbidden.text()).toContain('没有权限');
    const limited = errorResponse(new RateLimitedError(90));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('Retry-After')).toBe('90');
    expect(await limited.text()).toContain('请 2 分钟后再试');
  });

  it('rethrows anything else (a 500)', () => {
    expect(() => errorResponse(new Error('bug'))).toThrow('bug');
  });
});
