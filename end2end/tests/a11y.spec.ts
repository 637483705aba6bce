import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";
import { test, expect, uniqueEmail, signUp, makeOperator } from "./fixtures";

/**
 * Every page passes axe (WCAG 2.0/2.1 A and AA, and axe's best practices) with no
 * violation, in the light and the dark colour scheme. A rule is never turned off for a
 * whole page: an exception names the rule and the element, and says why.
 */

/** Segments are real LXC containers: a build takes seconds, but leave room for a busy host. */
const BUILD = 60_000;

const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"];

/** Runs axe on the page as it is; each violation is said with the elements it was found on. */
async function audit(page: Page, name: string): Promise<void> {
  const scheme = await page.evaluate(() => (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light"));
  const results = await new AxeBuilder({ page }).withTags(TAGS).analyze();
  const found = results.violations.map(
    (v) =>
      `${v.id} (${v.impact}): ${v.help}\n` +
      v.nodes
        .slice(0, 5)
        .map((n) => `    ${n.target.join(" ")}: ${n.failureSummary?.split("\n").slice(1).join(" ").trim()}`)
        .join("\n"),
  );
  const count = results.violations.reduce((sum, v) => sum + v.nodes.length, 0);
  console.log(`axe ${scheme} ${name}: ${results.violations.length} rules violated, ${count} elements`);
  // Soft: one page's violations do not hide the next page's.
  expect.soft(found, `axe violations on ${name} (${scheme})`).toEqual([]);
}

async function waitForLive(page: Page): Promise<void> {
  await expect(page.locator("#live-status")).toHaveText("Live", { timeout: 20_000 });
}

async function signedOutPages(page: Page): Promise<void> {
  for (const [name, url] of [
    ["home", "/"],
    ["signed-out home", "/?signed_out=1"],
    ["sign in", "/signin"],
    ["sign up", "/signup"],
    ["not found", "/no/such/page"],
    ["status", "/status"],
  ]) {
    await page.goto(url);
    await audit(page, name);
  }
}

/** The account page, then with an API key: its table and the new key shown once. */
async function accountPages(page: Page): Promise<void> {
  await page.goto("/account");
  await audit(page, "account");
  await page.fill("#field-key-name", "ci");
  await page.click("#create-api-key button[type=submit]");
  await expect(page.locator("#new-api-key")).toBeVisible();
  await audit(page, "account (with an API key)");
  await page.goto("/account/activity");
  await expect(page.locator("#activity")).toContainText("created");
  await audit(page, "activity");
}

test("signed-out pages and the status page have no axe violations", async ({ page }) => {
  await signedOutPages(page);
});

test("signed-in pages, with a cluster with a segment and a history, have no axe violations", async ({ page }) => {
  test.setTimeout(300_000);
  const email = uniqueEmail("axe");
  await signUp(page, email);
  await expect(page).toHaveURL(/\/clusters$/);
  await waitForLive(page);
  await audit(page, "clusters (none yet)");
  await accountPages(page);

  await page.goto("/clusters");
  await waitForLive(page);
  const name = `axe-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
  await page.fill("#field-cluster-name", name);
  await page.click("#create-cluster button[type=submit]");
  await expect(page).toHaveURL(new RegExp(`/clusters/${name}$`));
  await waitForLive(page);
  // While it builds (if it still does): the converging badges pulse, which is not a
  // colour; axe measures them still, as a user who asked for less motion sees them.
  await page.emulateMedia({ reducedMotion: "reduce" });
  await audit(page, "cluster (building)");
  await page.emulateMedia({ reducedMotion: null });
  await expect(page.locator("#cluster-status")).toHaveText("active", { timeout: BUILD });

  // Some history: the credentials, downloaded then revoked (after the confirmation step).
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download-credentials")]);
  expect(download.suggestedFilename()).toBe(`${name}.zip`);
  await expect(page.locator("#history")).toContainText("Credentials downloaded");
  const bundle = page.locator("#bundles tr[data-bundle]");
  await bundle.getByRole("link", { name: "Revoke" }).click();
  await expect(page.locator("#confirm-revoke-bundle")).toBeVisible();
  await audit(page, "cluster (confirming a revocation)");
  await page.locator("#confirm-revoke-bundle").getByRole("button", { name: "Revoke" }).click();
  await expect(bundle.locator(".badge")).toHaveText("revoked");
  await expect(page.locator("#segments tbody tr")).toHaveCount(1);
  await audit(page, "cluster (active, one segment, history)");

  await page.goto("/clusters");
  await waitForLive(page);
  await audit(page, "clusters (one)");

  // The operator page, with this cluster in it.
  makeOperator(email);
  await page.goto("/operator");
  await expect(page.locator(`#operator-clusters tr[data-cluster="${name}"]`)).toBeVisible();
  await audit(page, "operator");

  // The same pages in the dark scheme.
  await page.emulateMedia({ colorScheme: "dark" });
  await audit(page, "clusters (one)");
  await page.goto(`/clusters/${name}`);
  await waitForLive(page);
  await audit(page, "cluster (active, one segment, history)");
  await page.emulateMedia({ colorScheme: null });

  // Leave nothing running.
  await page.fill("#field-delete-confirm", name);
  await page.click("#delete-cluster button[type=submit]");
  await expect(page).toHaveURL(/\/clusters$/);
});

test.describe("dark colour scheme", () => {
  test.use({ colorScheme: "dark" });

  test("the scheme follows the system", async ({ page }) => {
    await page.goto("/");
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    // Dark: every channel of the page's background is low.
    const channels = (background.match(/\d+/g) ?? []).slice(0, 3).map(Number);
    expect(channels.every((c) => c < 80), `body background ${background}`).toBe(true);
  });

  test("signed-out pages and the status page have no axe violations", async ({ page }) => {
    await signedOutPages(page);
  });

  test("signed-in pages without a cluster have no axe violations", async ({ page }) => {
    await signUp(page, uniqueEmail("axe-dark"));
    await expect(page).toHaveURL(/\/clusters$/);
    await waitForLive(page);
    await audit(page, "clusters (none yet)");
    await accountPages(page);
  });
});
