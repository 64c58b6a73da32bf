import { describe, expect, it } from "vitest";
import { colorByEnvironment } from "../src/report/console.js";

describe("console colours", () => {
  it("FORCE_COLOR forces them, NO_COLOR turns them off, else a terminal decides", () => {
    expect(colorByEnvironment(false, { FORCE_COLOR: "1" })).toBe(true);
    expect(colorByEnvironment(true, { FORCE_COLOR: "0" })).toBe(true);
    expect(colorByEnvironment(false, { FORCE_COLOR: "0" })).toBe(false);
    expect(colorByEnvironment(true, { NO_COLOR: "1" })).toBe(false);
    expect(colorByEnvironment(true, {})).toBe(true);
    expect(colorByEnvironment(false, {})).toBe(false);
  });
});
