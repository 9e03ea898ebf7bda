// What a person does with the site's forms in Chromium, shared by the browser tests.
import type { Browser, Page } from 'playwright-core';
import { expect } from 'vitest';

export const TEST_PASSWORD = 'Ganjiang-River-2026';

/** Clicks a button and waits for the page the form ends on (after any redirect). */
export async function submit(page: Page, button: string) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().isNavigationRequest() && (r.status() < 300 || r.status() >= 400)),
    page.getByRole('button', { name: button, exact: true }).click(),
  ]);
  await page.waitForLoadState('domcontentloaded');
  return response;
}

/** Registers a member through the form; they land signed in on the dashboard. */
export async function register(page: Page, siteUrl: string, email: string, name: string) {
  await page.goto(siteUrl + '/register');
  await page.fill('#email', email);
  await page.fill('#displayName', name);
  await page.fill('#password', TEST_PASSWORD);
  await page.fill('#passwordRepeat', TEST_PASSWORD);
  await submit(page, '注册');
  expect(new URL(page.url()).pathname).toBe('/dashboard');
}

/** A person's desktop Chrome, so the site counts them as a person (not a crawler). */
export const PERSON_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

/** A new member with a company in 西湖区 (a reachable phone is required), in a browser context of their own. */
export async function memberWithCompany(browser: Browser, siteUrl: string, email: string, name: string, company: string): Promise<Page> {
  const context = await browser.newContext({ javaScriptEnabled: false, locale: 'zh-CN', userAgent: PERSON_UA });
  const page = await context.newPage();
  await register(page, siteUrl, email, name);
  await page.goto(siteUrl + '/dashboard/company');
  await page.fill('#name', company);
  await page.selectOption('#region', 'xihu');
  await page.fill('#phone', '0791-8888888');
  await submit(page, '保存');
  expect(page.url()).toContain('/dashboard?done=company');
  return page;
}
