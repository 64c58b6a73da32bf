import { describe, expect, it } from "vitest";
import { SERVER_FAULTS, type ServerFault } from "../../mocks/server/index.js";
import { runServerSuite } from "./run-mock-suite.js";

/**
 * For each SRV-* (and PRV-*) fault of one shard: the scenarios listing that ID fail, blaming that
 * ID, and every other scenario passes (no collateral failure). The matrix is split over files so
 * that vitest runs its shards in parallel: against the mocks it is bound by the CPU, not by waits.
 */
export function describeFaultMatrix(shard: number, shards: number): void {
  const faults = (Object.keys(SERVER_FAULTS) as ServerFault[]).filter((_, i) => i % shards === shard);
  describe(`fault matrix (shard ${shard + 1} of ${shards}): each scenario fails against the mock with its fault on, and only those`, () => {
    it.concurrent.each(faults)("%s", async (fault) => {
      const results = await runServerSuite([fault], 2, 8);
      const listing = results.filter((r) => r.requirements.includes(fault));
      expect(listing.length, `no scenario lists ${fault}`).toBeGreaterThan(0);
      for (const r of results) {
        if (r.requirements.includes(fault)) {
          expect(r.verdict, `${r.id} should fail with ${fault} on: ${r.reason}`).toBe("fail");
          expect(r.failedRequirement, `${r.id} blames ${r.failedRequirement}: ${r.reason}`).toBe(fault);
          expect(r.reason).toContain(fault);
        } else {
          expect(r.verdict, `${r.id} failed collaterally with ${fault} on: ${r.reason}`).toBe("pass");
        }
      }
    });
  });
}
