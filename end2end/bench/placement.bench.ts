import { execFileSync } from "node:child_process";
import { test, expect } from "@playwright/test";

// Figures for bench/placement.sh, which sets these and makes the cluster `bench`.
const BUNDLE = process.env.BENCH_BUNDLE ?? "";
const EMAIL = process.env.BENCH_EMAIL ?? "";
const PER_SEGMENT = Number(process.env.BENCH_PER_SEGMENT ?? "100");
const PASSWORD = "correct horse battery";

function docker(args: string): string {
  return execFileSync("bash", ["-c", `source '${BUNDLE}/docker.env' && ${args}`], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

test("placement figures", async ({ page }) => {
  // Before the page's scripts: time each live message from its arrival until the page has
  // applied it (the app's handler, Leptos' effects, then a forced layout).
  await page.addInitScript(() => {
    const w = window as unknown as { renders: { bytes: number; ms: number }[]; EventSource: typeof EventSource };
    w.renders = [];
    const Original = w.EventSource;
    w.EventSource = class extends Original {
      constructor(url: string | URL, init?: EventSourceInit) {
        super(url, init);
        this.addEventListener("message", (event) => {
          const start = performance.now();
          setTimeout(() => {
            void document.body.offsetHeight;
            w.renders.push({ bytes: (event as MessageEvent).data.length, ms: performance.now() - start });
          }, 0);
        });
      }
    } as typeof EventSource;
  });
  await page.goto("/signin");
  await page.fill("#field-email", EMAIL);
  await page.fill("#field-password", PASSWORD);
  await page.click("#sign-in button[type=submit]");
  await expect(page).toHaveURL(/\/clusters$/);
  await page.goto("/clusters/bench");
  await expect(page.locator("#live-status")).toHaveText("Live", { timeout: 20_000 });

  // docker run -d returning -> the tile visible, 20 tries.
  const latencies: number[] = [];
  const fromStart: number[] = [];
  for (let i = 0; i < 20; i++) {
    const name = `lat-${i}`;
    await page.evaluate((name) => {
      const w = window as unknown as { seen?: number };
      delete w.seen;
      const observer = new MutationObserver(() => {
        if (document.querySelector(`#placement [data-container="${name}"]`)) {
          w.seen = Date.now();
          observer.disconnect();
        }
      });
      observer.observe(document.body, { subtree: true, childList: true });
    }, name);
    const started = Date.now();
    docker(`docker run -d --name ${name} busybox sleep 600 >/dev/null`);
    const returned = Date.now();
    await page.waitForFunction(() => (window as unknown as { seen?: number }).seen !== undefined);
    const seen = await page.evaluate(() => (window as unknown as { seen: number }).seen);
    latencies.push(seen - returned);
    fromStart.push(seen - started);
    // Negative: the tile was there before the command returned.
    console.log(`try ${i + 1}: ${seen - returned} ms after docker returned, ${seen - started} ms after it started`);
    docker(`docker rm -f ${name} >/dev/null`);
    await expect(page.locator(`[data-container="${name}"]`)).toHaveCount(0);
  }
  console.log(`docker run -d returned -> tile visible: median ${median(latencies)} ms over 20 (target <= 250 ms)`);
  console.log(`docker run -d started -> tile visible: median ${median(fromStart)} ms over 20`);

  // 3 segments x PER_SEGMENT containers (created, not started: the view's size is what
  // counts), then 10 full updates, each one container fewer.
  const total = 3 * PER_SEGMENT;
  docker(`seq 1 ${total} | xargs -P 4 -I{} docker create --name fill-{} busybox sleep 600 >/dev/null`);
  await expect(page.locator('#placement .placement [data-container^="fill-"]')).toHaveCount(total, {
    timeout: 600_000,
  });
  const perSegment = await page
    .locator("#placement .placement-segment")
    .evaluateAll((columns) => columns.map((c) => c.querySelectorAll('[data-container^="fill-"]').length));
  console.log(`containers per segment: ${perSegment.join(", ")}`);
  const times: number[] = [];
  for (let i = 1; i <= 10; i++) {
    const before = await page.evaluate(() => (window as unknown as { renders: unknown[] }).renders.length);
    docker(`docker rm -f fill-${i} >/dev/null`);
    await expect(page.locator(`#placement [data-container="fill-${i}"]`)).toHaveCount(0);
    await page.waitForFunction((n) => (window as unknown as { renders: unknown[] }).renders.length > n, before);
    const last = await page.evaluate(() => {
      const r = (window as unknown as { renders: { bytes: number; ms: number }[] }).renders;
      return r[r.length - 1];
    });
    times.push(last.ms);
    console.log(`update ${i}: ${last.ms.toFixed(1)} ms (${last.bytes} bytes of data)`);
  }
  console.log(`full update with ${total} containers: median ${median(times).toFixed(1)} ms over 10`);
});
