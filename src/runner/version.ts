import { readFileSync } from "node:fs";
import type { SpecId } from "../catalogue/specs.js";

/** The suite's own version, from package.json. */
export const SUITE_VERSION: string = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;

/** The XEP version a protocol revision stands for: XEP-0355 :2 = 0.5, :1 = 0.4.1; XEP-0356 :2 = 0.4.1, :1 = 0.3. */
export function xepVersion(protocol: 1 | 2, spec: SpecId = "0355"): string {
  if (spec === "0356") return protocol === 2 ? "0.4.1" : "0.3";
  return protocol === 2 ? "0.5" : "0.4.1";
}
