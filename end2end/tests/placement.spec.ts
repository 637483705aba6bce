import AxeBuilder from "@axe-core/playwright";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Page } from "@playwright/test";
import { test, expect, uniqueEmail, signUp } from "./fixtures";

/** Segments are real LXC containers: a build takes seconds, but leave room for a busy host. */
const BUILD = 60_000;

/** The user's own docker CLI with the cluster's credentials (`source docker.env`). */
function docker(bundle: string, args: string[]): string {
  const quoted = args.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  return execFileSync("bash", ["-c", `source '${bundle}/docker.env' && docker ${quoted}`], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"];

/** axe's violations in the placement view (tiles, legend, filter, graph, table). */
async function placementViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).include("#placement").withTags(AXE_TAGS).analyze();
  return results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/** Marks the document: a test can then prove the page changed by itself, never reloaded. */
async function markDocument(page: Page): Promise<void> {
  await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
}

async function notReloaded(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded === true);
}

test("placement follows the docker CLI live, colours a project's containers alike, and filters", async ({
  page,
}, testInfo) => {
  test.setTimeout(240_000);
  await signUp(page, uniqueEmail("placement"));
  await expect(page).toHaveURL(/\/clusters$/);
  const name = `place-${Date.now().toString(36)}`;
  await page.fill("#field-cluster-name", name);
  await page.click("#create-cluster button[type=submit]");
  await expect(page).toHaveURL(new RegExp(`/clusters/${name}$`));
  await expect(page.locator("#cluster-status")).toHaveText("active", { timeout: BUILD });
  await expect(page.locator("#live-status")).toHaveText("Live", { timeout: 20_000 });

  // The credentials, as a user gets them.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "carina-placement-"));
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download-credentials")]);
  const zip = path.join(dir, "bundle.zip");
  await download.saveAs(zip);
  execFileSync("unzip", ["-q", "-o", zip, "-d", dir]);
  const bundle = path.join(dir, name);

  try {
    await markDocument(page);
    const placement = page.locator("#placement");
    // Two containers of one compose project, one of another.
    for (const [container, project, reserve] of [
      ["web-a", "shop", []],
      ["web-b", "shop", []],
      ["db", "store", ["--cpus", "0.5", "--memory", "64m"]],
    ] as [string, string, string[]][]) {
      const label = `com.docker.compose.project=${project}`;
      docker(bundle, ["run", "-d", "--name", container, "--label", label, ...reserve, "busybox", "sleep", "600"]);
    }
    for (const container of ["web-a", "web-b", "db"]) {
      await expect(placement.locator(`[data-container="${container}"]`)).toBeVisible({ timeout: 30_000 });
    }
    // A health check's verdict shows on the tile as Docker reports it.
    docker(bundle, ["run", "-d", "--name", "checked", "--health-cmd", "true", "--health-interval", "1s", "busybox", "sleep", "600"]);
    await expect(placement.locator('[data-container="checked"] .health')).toHaveText("healthy", { timeout: 20_000 });
    // A Swarm service's tasks: one colour too.
    docker(bundle, ["service", "create", "--detach", "--name", "api", "--replicas", "2", "busybox", "sleep", "600"]);
    const tasks = placement.locator('.placement [data-group="api"]');
    await expect(tasks).toHaveCount(2, { timeout: 30_000 });
    const taskColours = await tasks.evaluateAll((tiles) => tiles.map((t) => getComputedStyle(t).borderLeftColor));
    expect(taskColours[0]).toBe(taskColours[1]);
    await expect(placement.locator('[data-container="web-a"] .cstate')).toHaveText("running");
    // What the containers reserve, against the segment's size (1 CPU, 1 GiB here).
    await expect(placement.locator(".placement-segment .reserved")).toHaveText("0.50 of 1 CPU, 64 MiB of 1 GiB reserved");
    expect(await notReloaded(page)).toBe(true);

    // One colour per project, in the tiles and in the legend.
    const colour = async (selector: string) =>
      placement.locator(selector).evaluate((el) => getComputedStyle(el).borderLeftColor);
    const shop = await colour('[data-container="web-a"]');
    expect(await colour('[data-container="web-b"]')).toBe(shop);
    await expect(placement.locator('.legend [data-group="shop"]')).toBeVisible();
    await expect(placement.locator('.legend [data-group="store"]')).toBeVisible();
    const swatch = await placement
      .locator('.legend [data-group="shop"] .swatch')
      .evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(swatch).toBe(shop);
    // Each tile is reachable with the keyboard and says what it is.
    await expect(placement.locator('[data-container="web-a"]')).toHaveAttribute("tabindex", "0");
    await expect(placement.locator('[data-container="web-a"]')).toHaveAttribute(
      "aria-label",
      "web-a, image busybox, running, service shop",
    );

    // The filter narrows by name, image or project; the table follows it.
    const filter = page.getByLabel("Filter by name, image or service");
    await filter.fill("store");
    await expect(placement.locator('[data-container="db"]')).toBeVisible();
    await expect(placement.locator('[data-container="web-a"]')).toBeHidden();
    await filter.fill("WEB-");
    await expect(placement.locator('[data-container="web-a"]')).toBeVisible();
    await expect(placement.locator('[data-container="db"]')).toBeHidden();
    await placement.locator("summary").click();
    await expect(placement.locator(".placement-table tbody tr:visible")).toHaveCount(2);
    await filter.fill("");

    // The segment's use of the host, sampled every 10 s, in words and as a graph.
    const usage = placement.locator(".placement-segment .usage");
    await expect(usage.locator(".usage-words")).toHaveText(/^\d+% CPU, \d+ (MiB|GiB) in use$/, { timeout: 30_000 });
    await expect(usage.getByRole("img")).toHaveAttribute("aria-label", /^CPU and memory over the last 15 minutes; now /);

    expect(await placementViolations(page), "axe, light").toEqual([]);
    await page.locator("#placement").screenshot({ path: testInfo.outputPath("placement-light.png") });
    await page.emulateMedia({ colorScheme: "dark" });
    expect(await placementViolations(page), "axe, dark").toEqual([]);
    await page.locator("#placement").screenshot({ path: testInfo.outputPath("placement-dark.png") });
    await page.emulateMedia({ colorScheme: "light" });

    // Removed with the CLI: gone from the page, still without a reload.
    docker(bundle, ["rm", "-f", "web-a"]);
    await expect(placement.locator('[data-container="web-a"]')).toHaveCount(0, { timeout: 30_000 });
    await expect(placement.locator('[data-container="web-b"]')).toBeVisible();
    expect(await notReloaded(page)).toBe(true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }

  await page.fill("#field-delete-confirm", name);
  await page.click("#delete-cluster button[type=submit]");
  await expect(page).toHaveURL(/\/clusters$/);
});
