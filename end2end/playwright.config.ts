import { defineConfig } from "@playwright/test";

// Debian's Chromium only: no browser is downloaded (none could be, here).
export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  expect: { timeout: 15_000 },
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [["list"]],
  use: {
    baseURL: process.env.BASE_URL ?? "http://127.0.0.1:3000",
    browserName: "chromium",
    headless: true,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  projects: [
    { name: "debian-chromium", testIgnore: /through-nginx/ },
    // The panel behind a real nginx (scripts/e2e.sh starts it, from deploy/nginx.conf),
    // over HTTPS with a self-signed certificate for localhost.
    ...(process.env.PROXY_URL
      ? [
          {
            name: "through-nginx",
            testMatch: /through-nginx/,
            use: { baseURL: process.env.PROXY_URL, ignoreHTTPSErrors: true },
          },
        ]
      : []),
  ],
});
