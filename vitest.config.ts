import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Fault-matrix cases mostly wait out stanza windows: many at once keep the two cores busy.
    maxConcurrency: 12,
    // The JSON file lets .ci/run print a plain "N passed, N failed" closing line.
    reporters: ["default", ["json", { outputFile: "reports/vitest.json" }]],
  },
});
