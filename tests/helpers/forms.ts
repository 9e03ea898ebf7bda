// What a person does with the site's forms in Chromium, shared by the browser tests.
import type { Page } from 'playwright-core';
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
