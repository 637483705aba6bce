import * as fs from "node:fs";
import * as path from "node:path";
import type { Page, TestInfo } from "@playwright/test";
import { test, expect, uniqueEmail, signUp, setQuotas } from "./fixtures";

/**
 * Every page fits its viewport, from a small phone to a desktop: no sideways scrolling,
 * whatever the length of a name, an address or a command. Each page is also saved as a
 * screenshot at each size (test-results/screenshots/, kept after the run) to look at.
 */

/** Segments are real LXC containers: a build takes seconds, but leave room for a busy host. */
const BUILD = 60_000;

const VIEWPORTS = [
  { name: "phone-360", width: 360, height: 740 },
  { name: "phone-390", width: 390, height: 844 },
  { name: "desktop-1280", width: 1280, height: 900 },
];

/** The page is no wider than the window, and a screenshot of it is kept. */
async function fitsAndShoot(page: Page, testInfo: TestInfo, viewport: string, name: string): Promise<void> {
  const { scroll, inner, wide } = await page.evaluate(() => {
    const inner = window.innerWidth;
    // What sticks out, for the message: the innermost elements past the right edge.
    const wide = Array.from(document.querySelectorAll("body *"))
      .filter((e) => e.getBoundingClientRect().right > inner + 1)
      .filter((e) => !Array.from(e.children).some((c) => c.getBoundingClientRect().right > inner + 1))
      .slice(0, 5)
      .map((e) => `${e.tagName.toLowerCase()}.${e.className} (${Math.round(e.getBoundingClientRect().right)})`);
    return { scroll: document.documentElement.scrollWidth, inner, wide };
  });
  expect(scroll, `${name} at ${viewport}: page width ${scroll} in a window of ${inner}; ${wide.join(", ")}`).toBeLessThanOrEqual(
    inner,
  );
  const file = path.join("test-results", "screenshots", viewport, `${name}.png`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await page.screenshot({ path: file, fullPage: true });
  await testInfo.attach(`${viewport}-${name}`, { path: file, contentType: "image/png" });
}

/** Waits until the page follows its live stream (which also proves it hydrated). */
async function waitForLive(page: Page): Promise<void> {
  await expect(page.locator("#live-status")).toHaveText("Live", { timeout: 20_000 });
}

test("signed-out pages fit phones and desktops", async ({ page }, testInfo) => {
  for (const viewport of VIEWPORTS) {
    await page.setViewportSize(viewport);
    for (const [name, url] of [
      ["home", "/"],
      ["sign-in", "/signin"],
      ["sign-up", "/signup"],
      ["signed-out", "/?signed_out=1"],
      ["not-found", "/no/such/page"],
    ]) {
      await page.goto(url);
      await fitsAndShoot(page, testInfo, viewport.name, name);
    }
  }
});

test("signed-in pages fit, with a 64-character cluster name and a long history; names over 64 and the quota are said", async ({
  page,
  baseURL,
}, testInfo) => {
  test.setTimeout(300_000);
  // A long address too: the header shows it.
  const email = uniqueEmail("a-rather-long-address-for-a-phone-screen");
  await signUp(page, email);
  await expect(page).toHaveURL(/\/clusters$/);
  await waitForLive(page);

  // 64 characters: the most a name may have, and as wide as a name gets.
  const name = `wide-${Date.now().toString(36)}-`.padEnd(64, "x");
  expect(name).toHaveLength(64);
  await page.fill("#field-cluster-name", name);
  await page.click("#create-cluster button[type=submit]");
  await expect(page).toHaveURL(new RegExp(`/clusters/${name}$`));
  await expect(page.locator("#cluster-status")).toHaveText("active", { timeout: BUILD });

  // A long history: every download is an event naming its certificate (73 characters).
  const origin = new URL(baseURL ?? "http://127.0.0.1:3000").origin;
  for (let i = 0; i < 12; i++) {
    const zip = await page.request.post(`/clusters/${name}/credentials.zip`, { headers: { Origin: origin } });
    expect(zip.status()).toBe(200);
  }
  await page.reload();
  expect(await page.locator("#history tr.event").count()).toBeGreaterThanOrEqual(12);
  // Times have seconds, and say how long ago.
  await expect(page.locator("#history td.time").first()).toHaveText(/^\d\d:\d\d:\d\d · (just now|\d+ s ago|\d+ min ago)$/);
  // The credentials table names a bundle as the history does.
  const bundleName = (await page.locator("#bundles tr[data-bundle] .bundle-name").first().textContent()) ?? "";
  expect(bundleName).toMatch(new RegExp(`^${name}-[0-9a-f]{8}$`));
  await expect(page.locator("#history")).toContainText(`Credentials downloaded (certificate ${bundleName})`);

  await page.goto("/account");
  await page.fill("#field-key-name", "a-key-with-a-name-long-enough-to-matter");
  await page.click("#create-api-key button[type=submit]");
  await expect(page.locator("#new-api-key")).toBeVisible();

  for (const viewport of VIEWPORTS) {
    await page.setViewportSize(viewport);
    for (const [shot, url] of [
      ["home", "/"],
      ["clusters", "/clusters"],
      ["account", "/account"],
      ["cluster", `/clusters/${name}`],
      ["cluster-rebuild-confirmation", `/clusters/${name}?confirm=rebuild`],
    ]) {
      await page.goto(url);
      if (url.startsWith("/clusters")) await waitForLive(page);
      await fitsAndShoot(page, testInfo, viewport.name, shot);
    }
  }
  await page.setViewportSize({ width: 1280, height: 900 });

  // A name over 64 characters: said while typing, refused by the server, nothing made.
  await page.goto("/clusters");
  await waitForLive(page);
  const tooLong = "y".repeat(100);
  await page.fill("#field-cluster-name", tooLong);
  await expect(page.locator("#cluster-name-rule")).toHaveText("100 characters: a name has at most 64.");
  await expect(page.locator("#field-cluster-name")).toHaveValue(tooLong);
  await page.click("#create-cluster button[type=submit]");
  const alert = page.locator("#create-cluster [role=alert]");
  await expect(alert).toHaveText("A cluster name has at most 64 characters; this one has 100. Nothing was created.");
  await expect(page).toHaveURL(/\/clusters$/);
  await expect(page.locator("li.cluster-card[data-cluster]")).toHaveCount(1);
  await expect(page.locator(`[data-cluster^="yyyy"]`)).toHaveCount(0);
  // The error goes once the name is edited.
  await page.fill("#field-cluster-name", "y".repeat(10));
  await expect(alert).toHaveCount(0);
  await expect(page.locator("#cluster-name-rule")).not.toHaveClass(/broken/);
  // One link per card.
  await expect(page.locator(`li[data-cluster="${name}"] a`)).toHaveCount(1);

  // At the quota: no form to fill in, one sentence that says why.
  setQuotas(email, 1, 3);
  await page.reload();
  await waitForLive(page);
  await expect(page.locator("#cluster-quota")).toContainText("1 of 1 clusters");
  await expect(page.locator("#create-cluster")).toHaveCount(0);
  await expect(page.getByRole("heading", { name: "Create a cluster" })).toHaveCount(0);
  await expect(page.locator("#quota-reached")).toHaveText(/as many clusters as your account allows/);
  await expect(page.locator("#quota-reached")).toHaveCount(1);
  await expect(page.locator("main [role=alert]")).toHaveCount(0);
  // The server refuses too, whatever a stale form sends.
  const stale = await page.request.post("/api/create_cluster", {
    headers: { Origin: origin },
    form: { name: "one-too-many", segments: "1" },
  });
  expect(stale.ok()).toBe(false);
  await page.reload();
  await expect(page.locator("li.cluster-card[data-cluster]")).toHaveCount(1);
  await fitsAndShoot(page, testInfo, "desktop-1280", "clusters-at-quota");

  // Done: the cluster goes.
  await page.goto(`/clusters/${name}`);
  await page.fill("#field-delete-confirm", name);
  await page.click("#delete-cluster button[type=submit]");
  await expect(page).toHaveURL(/\/clusters$/);
  await expect(page.locator(`[data-cluster="${name}"]`)).toHaveCount(0, { timeout: BUILD });
});

test("the API describes itself in JSON at /api/v1", async ({ request }) => {
  for (const url of ["/api/v1", "/api/v1/"]) {
    const response = await request.get(url);
    expect(response.status(), url).toBe(200);
    expect(response.headers()["content-type"]).toContain("application/json");
    const index = await response.json();
    expect(index.version).toBe("v1");
    const routes = index.routes.map((r: { method: string; path: string }) => `${r.method} ${r.path}`);
    expect(routes).toContain("GET /api/v1/clusters");
    expect(routes).toContain("POST /api/v1/clusters/{name}/credentials");
    for (const route of index.routes) expect(route.description).toBeTruthy();
  }
});

test("the favicon is linked and served", async ({ page, request }) => {
  await page.goto("/");
  const href = await page.locator("link[rel=icon]").getAttribute("href");
  expect(href).toBe("/favicon.svg");
  const icon = await request.get(href ?? "");
  expect(icon.status()).toBe(200);
  expect(icon.headers()["content-type"]).toContain("image/svg");
});
