import { readFileSync } from "node:fs";

/** The suite's own version, from package.json. */
export const SUITE_VERSION: string = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;

export function xepVersion(protocol: 1 | 2): string {
  return protocol === 2 ? "0.5" : "0.4.1";
}
