// Password reset in real Chromium without JavaScript, with the mail going to a real SMTP server in this process: a
// member who forgot the password asks for a link (the page says the same for an unknown email), opens the mailed
// link, sets a new password, is signed out in the browser that was signed in, signs in with the new password, and
// the link does not work twice. The English form mails an English link to the English page.
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../scripts/lib/server-process.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { tempDir } from '../helpers/db.ts';
import { register, submit, TEST_PASSWORD } from '../helpers/forms.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.ts';

let server: RunningServer;
let browser: Browser;
let smtp: TestSmtpServer;

beforeAll(async () => {
  smtp = await startSmtpServer();
  server = await startServer({ DATA_DIR: path.join(tempDir(), 'data'), DEMO_LISTINGS: '0', SMTP_URL: smtp.url, MAIL_FROM: 'noreply@example.com' });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await smtp?.close();
});

const NEW_PASSWORD = 'Lushan-Cloud-2027';
const linkIn = (text: string) => /(http:\/\/\S+\/reset-password\?token=[a-z2-7]+)/.exec(text)?.[1];

describe('password reset through the mail', () => {
  it('resets the password from the mailed link, signs out the other browser, and the link works once', async () => {
    const signedIn = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
    const old = await signedIn.newPage();
    await register(old, server.url, 'forgetful@example.com', '周经理');

    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await page.goto(server.url + '/login');
    await page.getByRole('link', { name: '忘记密码？' }).click();
    expect(new URL(page.url()).pathname).toBe('/forgot-password');

    // An unknown email: the same page as for a registered one.
    await page.fill('#email', 'stranger@example.com');
    await submit(page, '发送重设链接');
    const unknownAnswer = await page.locator('main').innerText();
    await page.goto(server.url + '/forgot-password');
    await page.fill('#email', 'Forgetful@Example.com');
    await submit(page, '发送重设链接');
    expect(await page.locator('main').innerText()).toBe(unknownAnswer);
    expect(unknownAnswer).toContain('如果该邮箱已注册');

    const mail = await smtp.waitFor((m) => m.to.includes('forgetful@example.com'));
    expect(mail.subject).toContain('重设');
    expect(smtp.mails.some((m) => m.to.includes('stranger@example.com'))).toBe(false);
    const link = linkIn(mail.text)!;
    expect(link).toBeTruthy();

    await page.goto(link);
    await page.fill('#password', NEW_PASSWORD);
    await page.fill('#passwordRepeat', 'something-else-1');
    await submit(page, '保存新密码');
    expect(await page.locator('#passwordRepeat ~ .field-error').innerText()).toContain('不一致');
    await page.fill('#password', NEW_PASSWORD);
    await page.fill('#passwordRepeat', NEW_PASSWORD);
    await submit(page, '保存新密码');
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(await page.getByRole('status').innerText()).toContain('密码已重设');
    expect(await page.inputValue('#email')).toBe('forgetful@example.com');

    // The browser signed in before the reset is signed out.
    await old.goto(server.url + '/dashboard');
    expect(new URL(old.url()).pathname).toBe('/login');

    await page.fill('#password', TEST_PASSWORD);
    await submit(page, '登录');
    expect(await page.getByRole('alert').innerText()).toContain('邮箱或密码不正确');
    await page.fill('#password', NEW_PASSWORD);
    await submit(page, '登录');
    expect(new URL(page.url()).pathname).toBe('/dashboard');

    const again = await page.goto(link);
    expect(again?.status()).toBe(410);
    expect(await page.getByRole('alert').innerText()).toContain('已失效');
    await signedIn.close();
    await context.close();
  });

  it('in English: the form, the mail and the link are English', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await register(page, server.url, 'english-reader@example.com', 'Anna');
    await context.clearCookies();
    // From the English home page, the header's Sign in stays in English.
    await page.goto(server.url + '/en');
    await page.locator('.header-account').getByRole('link', { name: 'Sign in' }).click();
    expect(new URL(page.url()).pathname).toBe('/en/login');
    expect(await page.locator('.header-account').getByRole('link', { name: 'Join free' }).getAttribute('href')).toBe('/en/register');
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    expect(new URL(page.url()).pathname).toBe('/en/forgot-password');
    await page.fill('#email', 'english-reader@example.com');
    await submit(page, 'Send reset link');
    expect(await page.getByRole('status').innerText()).toContain('If this email is registered');
    const mail = await smtp.waitFor((m) => m.to.includes('english-reader@example.com'));
    expect(mail.subject).toContain('Reset your password');
    const link = linkIn(mail.text)!;
    expect(new URL(link).pathname).toBe('/en/reset-password');
    await page.goto(link);
    await page.fill('#password', NEW_PASSWORD);
    await page.fill('#passwordRepeat', NEW_PASSWORD);
    await submit(page, 'Save new password');
    expect(new URL(page.url()).pathname).toBe('/en/login');
    expect(await page.getByRole('status').innerText()).toContain('sign in with the new password');
    await context.close();
  });
});
