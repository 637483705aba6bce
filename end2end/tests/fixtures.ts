import { execFileSync } from "node:child_process";
import { test as base, expect, Page } from "@playwright/test";

/** A fresh email per call, so tests never collide with each other or earlier runs. */
export function uniqueEmail(tag: string): string {
  return `${tag}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

export const PASSWORD = "correct horse battery";

/** Every test fails on a page error or a console error: hydration mismatches show up there. */
export const test = base.extend<{ page: Page }>({
  page: async ({ page }, use) => {
    const problems: string[] = [];
    page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
    page.on("console", (msg) => {
      // A 4xx answer to a server function shows up as a failed resource load; the page
      // handles it, so it is not a problem.
      if (msg.type() === "error" && !/Failed to load resource/.test(msg.text())) {
        problems.push(`console: ${msg.text()}`);
      }
    });
    await use(page);
    expect(problems, "page errors").toEqual([]);
  },
});

/** Waits until the wasm has hydrated the page: the password toggle only works then. */
export async function waitForHydration(page: Page): Promise<void> {
  const toggle = page.locator(".password .toggle").first();
  const input = page.locator(".password input").first();
  await expect(async () => {
    await toggle.click();
    await expect(input).toHaveAttribute("type", "text", { timeout: 500 });
  }).toPass({ timeout: 20_000 });
  // Back to hidden, checking one click toggles exactly once.
  await toggle.click();
  await expect(input).toHaveAttribute("type", "password");
}

export async function signUp(page: Page, email: string, password = PASSWORD): Promise<void> {
  await page.goto("/signup");
  await waitForHydration(page);
  await page.fill("#field-email", email);
  await page.fill("#field-password", password);
  await page.click("#sign-up button[type=submit]");
}

/**
 * Sets an account's quotas with the operator command, as an operator would. The test
 * script names the server binary and its data directory (E2E_SERVER, E2E_DATA_DIR).
 */
export function setQuotas(email: string, clusters: number, segments: number): void {
  const server = process.env.E2E_SERVER;
  const dataDir = process.env.E2E_DATA_DIR;
  if (!server || !dataDir) {
    throw new Error("set E2E_SERVER and E2E_DATA_DIR to the server binary and its --data-dir (scripts/test.sh does)");
  }
  const args = ["--data-dir", dataDir, "admin", "set-quotas", "--email", email];
  execFileSync(server, [...args, "--clusters", String(clusters), "--segments", String(segments)], { stdio: "pipe" });
}

/** Makes an account an operator with the operator command (its password stays PASSWORD). */
export function makeOperator(email: string): void {
  const server = process.env.E2E_SERVER;
  const dataDir = process.env.E2E_DATA_DIR;
  if (!server || !dataDir) {
    throw new Error("set E2E_SERVER and E2E_DATA_DIR to the server binary and its --data-dir (scripts/e2e.sh does)");
  }
  const args = ["--data-dir", dataDir, "admin", "create-operator", "--email", email];
  execFileSync(server, args, { stdio: "pipe", env: { ...process.env, CARINA_PASSWORD: PASSWORD } });
}

export { expect };
