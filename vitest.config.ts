import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Compiles the CLI once for the whole run: the tests that spawn it skip tsx's start-up (test/helpers/cli-build.ts).
    globalSetup: ["test/helpers/cli-build.ts"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // One file per core, and one more. vitest's default (CPUs - 1) runs them one at a time on a 2-core machine,
    // where nearly every file keeps one core busy (the mocks' scenarios are bound by the CPU) or waits (launched
    // servers, npm, the commands it spawns): the extra file takes the core one of them leaves idle while it waits.
    maxWorkers: availableParallelism() + 1,
    // Fault-matrix cases (mocks: bound by the CPU since windows end once nothing more can happen) and other
    // concurrent cases of one file.
    maxConcurrency: 12,
    // The JSON file lets .ci/run print a plain "N passed, N failed" closing line.
    reporters: ["default", ["json", { outputFile: "reports/vitest.json" }]],
  },
});
