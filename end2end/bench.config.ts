import { defineConfig } from "@playwright/test";
import base from "./playwright.config";

// The benchmarks (bench/placement.sh runs them): not part of the test run.
export default defineConfig({ ...base, testDir: "./bench", testMatch: "*.bench.ts", timeout: 1_200_000 });
