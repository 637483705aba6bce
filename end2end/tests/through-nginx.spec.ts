import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test, expect, uniqueEmail, signUp } from "./fixtures";

/**
 * The panel as users reach it behind a reverse proxy: nginx (deploy/nginx.conf) serves
 * https://localhost:PORT and sends the upstream's address as Host; the server knows its
 * public URL and trusts nginx's forwarded headers.
 */
test("through nginx: sign up, create a cluster, download its credentials", async ({ page, baseURL }) => {
  test.setTimeout(180_000);
  const publicUrl = new URL(baseURL ?? "");
  await signUp(page, uniqueEmail("proxied"));
  // The sign-up's post passed the cross-site check, and its redirect stayed on the proxy.
  await expect(page).toHaveURL(`${publicUrl.origin}/clusters`);
  // Served over HTTPS: the session cookie is Secure (and still HttpOnly).
  const session = (await page.context().cookies()).find((c) => c.name === "carina_session");
  expect(session?.secure).toBe(true);
  expect(session?.httpOnly).toBe(true);

  const name = `proxied-${Date.now().toString(36)}`;
  await page.fill("#field-cluster-name", name);
  await page.click("#create-cluster button[type=submit]");
  await expect(page).toHaveURL(`${publicUrl.origin}/clusters/${name}`);
  await expect(page.locator("#cluster-status")).toHaveText("active", { timeout: 120_000 });
  // The endpoint is on the public URL's host, not the address the server listens on.
  await expect(page.locator("#cluster-docker-host")).toHaveText(new RegExp(`^tcp://localhost:\\d+$`));

  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download-credentials")]);
  expect(download.suggestedFilename()).toBe(`${name}.zip`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "carina-proxied-"));
  const zip = path.join(dir, "bundle.zip");
  await download.saveAs(zip);
  const env = execFileSync("unzip", ["-p", zip, `${name}/docker.env`]).toString();
  expect(env).toMatch(/DOCKER_HOST="tcp:\/\/localhost:\d+"/);
  fs.rmSync(dir, { recursive: true, force: true });

  // A post from another site, with the user's cookie, is still refused through the proxy.
  const forged = await page.request.post(`/clusters/${name}/credentials.zip`, {
    headers: { Origin: "https://evil.example" },
  });
  expect(forged.status()).toBe(403);
  await expect(page.locator("#bundles tr[data-bundle]")).toHaveCount(1);

  // The activity page names who did it: the panel, from the client nginx forwarded.
  await page.goto("/account/activity");
  const downloaded = page.locator("#activity tr", { hasText: "Credentials downloaded" });
  await expect(downloaded.locator(".actor")).toHaveText("panel");
  await expect(downloaded.locator(".address")).toHaveText("127.0.0.1");
  await page.goto(`/clusters/${name}`);

  // Deleted through the proxy too.
  await page.fill("#field-delete-confirm", name);
  await page.click("#delete-cluster button[type=submit]");
  await expect(page).toHaveURL(`${publicUrl.origin}/clusters`);
  await expect(page.locator(`[data-cluster="${name}"]`)).toHaveCount(0, { timeout: 60_000 });
});
