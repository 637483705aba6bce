import * as fs from "node:fs";
import type { Page } from "@playwright/test";
import { test, expect, uniqueEmail, PASSWORD, signUp } from "./fixtures";

/** Segments are real LXC containers: a build takes seconds, but leave room for a busy host. */
const BUILD = 60_000;

/** A cluster name no other test or run uses. */
function uniqueCluster(tag: string): string {
  return `${tag}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
}

/** Waits until the page follows its live stream (which also proves it hydrated). */
async function waitForLive(page: Page): Promise<void> {
  await expect(page.locator("#live-status")).toHaveText("Live", { timeout: 20_000 });
}

/**
 * Records every status the cluster page's badge shows, and marks the document, so that
 * a test can prove that the page changed by itself and was never reloaded.
 */
async function watchStatus(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { seenStatuses: string[]; notReloaded: boolean };
    w.seenStatuses = [];
    w.notReloaded = true;
    const note = () => {
      const text = document.querySelector("#cluster-status")?.textContent ?? "";
      if (text && w.seenStatuses[w.seenStatuses.length - 1] !== text) w.seenStatuses.push(text);
    };
    new MutationObserver(note).observe(document.body, { subtree: true, childList: true, characterData: true });
    note();
  });
}

async function seenStatuses(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const w = window as unknown as { seenStatuses: string[]; notReloaded?: boolean };
    if (!w.notReloaded) throw new Error("the page was reloaded");
    return w.seenStatuses;
  });
}

/**
 * Revoking the page's only bundle: the first click only asks, naming the certificate as
 * its row does; Cancel leaves it valid; the confirmed submit revokes it. The same steps
 * with and without JavaScript.
 */
async function revokeBundleAfterConfirming(page: Page, name: string): Promise<void> {
  const bundle = page.locator("#bundles tr[data-bundle]");
  await expect(bundle).toHaveCount(1);
  const shown = (await bundle.locator("code").textContent()) ?? "";
  // One name for a bundle: its certificate's, as the history (and refusals) say it.
  expect(shown).toMatch(new RegExp(`^${name}-[0-9a-f]{8}$`));
  await expect(page.locator("#history")).toContainText(`Credentials downloaded (certificate ${shown})`);
  await bundle.getByRole("link", { name: "Revoke" }).click();
  const confirm = page.locator("#confirm-revoke-bundle");
  await expect(confirm).toContainText(`Revoke the certificate ${shown}`);
  await expect(confirm).toContainText("Clients using it stop working at once");
  await expect(bundle.locator(".badge")).toHaveCount(0);
  await confirm.getByRole("link", { name: "Cancel" }).click();
  await expect(page).toHaveURL(new RegExp(`/clusters/${name}$`));
  await expect(confirm).toHaveCount(0);
  await expect(bundle.locator(".badge")).toHaveCount(0);

  await bundle.getByRole("link", { name: "Revoke" }).click();
  await confirm.getByRole("button", { name: "Revoke" }).click();
  await expect(page).toHaveURL(new RegExp(`/clusters/${name}$`));
  await expect(bundle.locator(".badge")).toHaveText("revoked");
  await expect(bundle).toHaveClass(/revoked/);
  await expect(confirm).toHaveCount(0);
  await expect(page.locator("#history")).toContainText(`Credentials revoked (certificate ${shown})`);
}

/**
 * Rebuilding: the first click only says what would be lost (the user's containers, none
 * here, not Carina's own); Cancel and a forged single POST leave the cluster active; the
 * confirmed submit rebuilds it. The same steps with and without JavaScript.
 */
async function rebuildAfterConfirming(page: Page, name: string): Promise<void> {
  await page.click("#rebuild");
  const confirm = page.locator("#confirm-rebuild");
  await expect(confirm).toContainText("No containers of yours run on this cluster now");
  await expect(confirm).toContainText("and their data, will be lost");
  await expect(page.locator("#cluster-status")).toHaveText("active");
  await confirm.getByRole("link", { name: "Cancel" }).click();
  await expect(page).toHaveURL(new RegExp(`/clusters/${name}$`));
  await expect(confirm).toHaveCount(0);

  // A stale or forged post without the confirmation does nothing.
  const forged = await page.request.post("/api/rebuild_cluster", { form: { name } });
  expect(forged.ok()).toBe(false);
  const stale = await page.request.post("/api/rebuild_cluster", { form: { name, confirm: "" } });
  expect(stale.ok()).toBe(false);
  await page.reload();
  await expect(page.locator("#cluster-status")).toHaveText("active");
  await expect(page.locator("#history")).not.toContainText("Rebuild");

  await page.click("#rebuild");
  await confirm.getByRole("button", { name: "Rebuild" }).click();
  await expect(page).toHaveURL(new RegExp(`/clusters/${name}$`));
  await expect(page.locator("#history")).toContainText("Rebuild", { timeout: BUILD });
  await expect(page.locator("#cluster-status")).toHaveText("active", { timeout: BUILD });
}

test("a cluster: create, watch it build live, get access, revoke, rebuild, grow, delete", async ({ page }) => {
  test.setTimeout(300_000);
  await signUp(page, uniqueEmail("swarm"));
  await expect(page).toHaveURL(/\/clusters$/);
  await waitForLive(page);
  await expect(page.getByRole("heading", { name: "No clusters yet" })).toBeVisible();
  await expect(page.locator("#field-cluster-segments")).toHaveValue("1");

  // Create; the server sends us to the cluster's page (a client-side navigation).
  const name = uniqueCluster("live");
  await watchStatus(page);
  await page.fill("#field-cluster-name", name);
  await page.click("#create-cluster button[type=submit]");
  await expect(page).toHaveURL(new RegExp(`/clusters/${name}$`));
  await expect(page.locator("#cluster-name")).toHaveText(name);
  await waitForLive(page);
  // Until it is active, access is promised for later. A cluster made of warm segments can
  // be active before this page first renders, so either is fine here.
  await expect
    .poll(async () =>
      (await page.locator("#cluster-status").textContent())?.trim() === "active" ||
      ((await page.locator("#no-access").count()) > 0 &&
        ((await page.locator("#no-access").textContent()) ?? "").includes("once the cluster is active")),
    )
    .toBe(true);

  // It becomes active while we look, pushed by the server.
  await expect(page.locator("#cluster-status")).toHaveText("active", { timeout: BUILD });
  const statuses = await seenStatuses(page);
  expect(statuses[statuses.length - 1]).toBe("active");
  const fromPool = (await page.content()).includes("taken from the warm pool");
  expect(fromPool || statuses.some((s) => s === "new" || s === "building"), `statuses seen: ${statuses}`).toBe(true);

  // Facts.
  const token = (await page.locator("#cluster-token").textContent()) ?? "";
  expect(token).toMatch(/^token:\/\/[0-9a-f-]{36}$/);
  const id = token.replace("token://", "");
  await expect(page.locator("#cluster-docker-host")).toHaveText(/^tcp:\/\/.+:\d+$/);
  // In words for a tenant: what keeps their containers apart, not the host's kernel options.
  await expect(page.locator("#cluster-isolation")).toContainText("separate unprivileged container");
  await expect(page.locator("#cluster-size")).toHaveText(/^\d+ CPUs?, \d+ (MiB|GiB) per segment$/);
  // How services are reached depends on the kernel: a VIP where it has IPVS, DNS otherwise.
  const ipvs = fs.existsSync("/proc/net/ip_vs");
  await expect(page.locator("#cluster-service-endpoints")).toContainText(ipvs ? "virtual IP" : "no IPVS");

  // The segments table.
  const n1 = page.locator(`#segments tr[data-segment="${id}-n1"]`);
  // Shown by its short name, the full one second.
  await expect(n1.locator(".short")).toHaveText("n1");
  await expect(n1.locator(".segment-id")).toHaveText(`${id}-n1`);
  await expect(page.locator("#cluster-segments")).toContainText("1/1 ready");
  await expect(page.locator("#cluster-segments")).toContainText("room for 2 more");
  await expect(page.locator("#cluster-segments .slot")).toHaveCount(1);
  await expect(n1.locator(".address")).toHaveText(/^\d+\.\d+\.\d+\.\d+$/);
  await expect(n1.locator(".state .badge")).toHaveText("ready");
  await expect(n1.locator(".memory")).toHaveText(/^\d+ (MiB|GiB)$/);
  await expect(n1.locator(".vcpus")).toHaveText(/^\d+$/);

  // The placement view: Carina's containers on n1, marked as such.
  const placed = page.locator(`#placement [data-segment="${id}-n1"]`);
  for (const infra of ["swarm-data", "swarm-manager"]) {
    await expect(placed.locator(`[data-container="${infra}"]`)).toBeVisible({ timeout: BUILD });
    await expect(placed.locator(`[data-container="${infra}"]`)).toHaveClass(/infra/);
  }

  // Get access: the download (a form post) is the cluster's zip, the page stays, and it
  // shows up as an issued bundle.
  await expect(page.locator("#bundles")).toContainText("No credentials issued yet");
  await expect(page.locator("#download-credentials-form")).toHaveAttribute("method", "post");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download-credentials")]);
  expect(download.suggestedFilename()).toBe(`${name}.zip`);
  await expect(page).toHaveURL(new RegExp(`/clusters/${name}$`));
  await revokeBundleAfterConfirming(page, name);
  await rebuildAfterConfirming(page, name);
  // The rebuild's steps reload the page once (after the forged post): watch it afresh.
  await waitForLive(page);
  await watchStatus(page);

  // Grow to 2: growing, then active with two ready segments, still without a reload.
  await page.selectOption("#field-grow-segments", "2");
  await page.click("#grow button[type=submit]");
  await expect(page.locator(`#segments tr[data-segment="${id}-n2"] .state .badge`)).toHaveText("ready", {
    timeout: BUILD,
  });
  await expect(page.locator("#cluster-status")).toHaveText("active", { timeout: BUILD });
  await expect(page.locator("#segments tbody tr")).toHaveCount(2);
  await expect(page.locator("#cluster-segments")).toContainText("2/2 ready");
  await expect(page.locator("#cluster-segments")).toContainText("room for 1 more");
  await expect(page.locator("#cluster-segments .slot")).toHaveCount(2);
  expect(await seenStatuses(page)).toContain("growing");
  await expect(page.locator(`#placement [data-segment="${id}-n2"] [data-container="swarm-data"]`)).toBeVisible({
    timeout: BUILD,
  });
  await expect(page.locator("#history")).toContainText("Grow to 2 segments requested");

  // Delete: a wrong confirmation is refused, clearly; the right one goes back to the list.
  await page.fill("#field-delete-confirm", `${name}-typo`);
  await page.click("#delete-cluster button[type=submit]");
  await expect(page.locator("#delete [role=alert]")).toContainText(`type its name, ${name}, exactly`);
  await expect(page.locator("#cluster-status")).toHaveText("active");

  await page.fill("#field-delete-confirm", name);
  await page.click("#delete-cluster button[type=submit]");
  await expect(page).toHaveURL(/\/clusters$/);
  await waitForLive(page);
  // The list follows the deletion by itself.
  await expect(page.locator(`[data-cluster="${name}"]`)).toHaveCount(0, { timeout: BUILD });
  await expect(page.locator("#cluster-quota")).toContainText("0 of 3 clusters");
  await expect(page.getByRole("heading", { name: "No clusters yet" })).toBeVisible();
});

test("create refuses an invalid name with a clear message, and unknown clusters are a 404", async ({ page }) => {
  await signUp(page, uniqueEmail("names"));
  await expect(page).toHaveURL(/\/clusters$/);
  await waitForLive(page);
  await page.fill("#field-cluster-name", "not valid!");
  await page.click("#create-cluster button[type=submit]");
  await expect(page.locator("#create-cluster [role=alert]")).toContainText("is not a valid cluster name");
  await expect(page).toHaveURL(/\/clusters$/);

  // Credentials are minted by a same-site POST only: not by a link or an image (GET),
  // not by another site's form, even with the session cookie.
  const zip = "/clusters/no-such-cluster/credentials.zip";
  expect((await page.request.get(zip)).status()).toBe(405);
  expect((await page.request.post(zip, { headers: { Origin: "http://evil.example" } })).status()).toBe(403);

  const response = await page.goto("/clusters/no-such-cluster");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "No such cluster" })).toBeVisible();
  // Nor is there a stream to follow.
  const live = await page.request.get("/live/clusters/no-such-cluster");
  expect(live.status()).toBe(404);
});

test("the live stream needs a session", async ({ request, baseURL }) => {
  const response = await request.get(`${baseURL}/live/clusters/anything`);
  expect(response.status()).toBe(401);
});

/**
 * Revoking an API key: the first click only asks, naming the key as its row does; Cancel
 * leaves it valid; the confirmed submit revokes it. With and without JavaScript.
 */
async function revokeKeyAfterConfirming(page: Page): Promise<void> {
  await expect(page).toHaveURL(/\/account$/);
  await page.fill("#field-key-name", "ci-runner");
  await page.click("#create-api-key button[type=submit]");
  const row = page.locator("tr", { hasText: "ci-runner" });
  await expect(row).toHaveCount(1);
  // Shown once, whole; the name field is free for the next key.
  await expect(page.locator("#new-api-key")).toHaveText(/^carina_/);
  await expect(page.locator("#field-key-name")).toHaveValue("");
  await row.getByRole("link", { name: "Revoke" }).click();
  const confirm = page.locator("#confirm-revoke-key");
  await expect(confirm).toContainText("Revoke the key ci-runner");
  await expect(confirm).toContainText("Clients using it stop working at once");
  await expect(row.locator(".badge")).toHaveCount(0);
  await confirm.getByRole("link", { name: "Cancel" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(confirm).toHaveCount(0);
  await expect(row.locator(".badge")).toHaveCount(0);

  // A forged post without the confirmation does nothing.
  const id = new URL((await row.getByRole("link", { name: "Revoke" }).getAttribute("href")) ?? "", "http://x").searchParams.get("revoke");
  expect((await page.request.post("/api/revoke_api_key", { form: { id: id ?? "" } })).ok()).toBe(false);
  await page.reload();
  await expect(row.locator(".badge")).toHaveCount(0);
  // The key was shown once: not after a reload.
  await expect(page.locator("#new-api-key")).toHaveCount(0);

  await row.getByRole("link", { name: "Revoke" }).click();
  await confirm.getByRole("button", { name: "Revoke" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(row.locator(".badge")).toHaveText("revoked");
  await expect(confirm).toHaveCount(0);
}

test("revoking an API key asks first; a new key can be copied; the API is linked", async ({ page, context }) => {
  const email = uniqueEmail("keys");
  await signUp(page, email);
  await expect(page).toHaveURL(/\/clusters$/);
  // A client-side navigation: the account page runs hydrated.
  await page.getByRole("link", { name: email }).click();
  await revokeKeyAfterConfirming(page);

  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await page.fill("#field-key-name", "copied");
  await page.click("#create-api-key button[type=submit]");
  const secret = (await page.locator("#new-api-key").textContent()) ?? "";
  expect(secret).toMatch(/^carina_/);
  await page.click("#copy-api-key");
  await expect(page.locator("#copy-api-key")).toHaveText("Copied");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);

  await expect(page.locator("#api-index")).toHaveAttribute("href", "/api/v1");
  await page.click("#api-index");
  await expect(page).toHaveURL(/\/api\/v1$/);
  expect(JSON.parse((await page.locator("body").textContent()) ?? "{}").version).toBe("v1");
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("revoking an API key asks first, with plain forms", async ({ page }) => {
    await page.goto("/signup");
    await page.fill("#field-email", uniqueEmail("nojs-keys"));
    await page.fill("#field-password", PASSWORD);
    await page.click("#sign-up button[type=submit]");
    await expect(page).toHaveURL(/\/clusters$/);
    await page.goto("/account");
    await revokeKeyAfterConfirming(page);
  });

  test("create a cluster with the plain form, see it become active, revoke, rebuild, delete it", async ({ page }) => {
    test.setTimeout(240_000);
    await page.goto("/signup");
    await page.fill("#field-email", uniqueEmail("nojs-cluster"));
    await page.fill("#field-password", PASSWORD);
    await page.click("#sign-up button[type=submit]");
    await expect(page).toHaveURL(/\/clusters$/);

    await page.fill("#field-cluster-name", "not valid!");
    await page.click("#create-cluster button[type=submit]");
    await expect(page.locator("#create-cluster [role=alert]")).toContainText("is not a valid cluster name");

    const name = uniqueCluster("plain");
    await page.fill("#field-cluster-name", name);
    await page.click("#create-cluster button[type=submit]");
    await expect(page).toHaveURL(new RegExp(`/clusters/${name}$`));
    await expect(page.locator("#cluster-name")).toHaveText(name);
    // The page reloads itself while the cluster builds (a <noscript> refresh).
    await expect(page.locator("#cluster-status")).toHaveText("active", { timeout: BUILD });
    // The download works without JavaScript: a plain form post answered with the zip.
    const form = page.locator("#download-credentials-form");
    await expect(form).toHaveAttribute("action", `/clusters/${name}/credentials.zip`);
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download-credentials")]);
    expect(download.suggestedFilename()).toBe(`${name}.zip`);
    // Without JavaScript the new bundle shows once the page is loaded again.
    await page.reload();
    await revokeBundleAfterConfirming(page, name);
    await rebuildAfterConfirming(page, name);

    await page.fill("#field-delete-confirm", "wrong");
    await page.click("#delete-cluster button[type=submit]");
    await expect(page.locator("#delete [role=alert]")).toContainText(`type its name, ${name}, exactly`);

    await page.fill("#field-delete-confirm", name);
    await page.click("#delete-cluster button[type=submit]");
    await expect(page).toHaveURL(/\/clusters$/);
    // The list, too, reloads itself while a cluster changes, until the cluster is gone.
    await expect(page.locator(`[data-cluster="${name}"]`)).toHaveCount(0, { timeout: BUILD });
    await expect(page.locator("#cluster-quota")).toContainText("0 of 3 clusters");
  });
});
