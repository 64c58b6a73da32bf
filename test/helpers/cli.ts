import { spawn } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inject } from "vitest";
import type { RunResult } from "../../src/runner/result.js";

/** The development command: the sources through tsx (bin/xep0355). */
export const DEV_BIN = new URL("../../bin/xep0355", import.meta.url).pathname;

/**
 * The suite's own command, as a user runs it: the sources compiled once for this test run
 * (test/helpers/cli-build.ts, vitest's globalSetup), which start without tsx's transpiling;
 * XEP0355_TEST_DEV_BIN=1: the development command instead.
 */
export const BIN = (process.env.XEP0355_TEST_DEV_BIN === "1" ? undefined : inject("xep0355Bin")) ?? DEV_BIN;

export interface CommandOutcome {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface CommandOptions {
  /** Extra environment on top of the test's own. */
  env?: NodeJS.ProcessEnv;
  /** Sends SIGINT (Ctrl-C) after this long. */
  interruptAfterMs?: number;
  /** Sends SIGINT (Ctrl-C) once stdout matches: the command has started, however slow its start-up was. */
  interruptOnOutput?: RegExp;
  /** Kills the process after this long, so a hanging command cannot hang the test. */
  killAfterMs?: number;
}

/** Runs a program to its end and collects what it printed. */
export function runCommand(file: string, args: string[], options: CommandOptions = {}): Promise<CommandOutcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(file, args, options.env ? { env: { ...process.env, ...options.env } } : {});
    let stdout = "";
    let stderr = "";
    let interrupted = false;
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (options.interruptOnOutput && !interrupted && options.interruptOnOutput.test(stdout)) {
        interrupted = true;
        child.kill("SIGINT");
      }
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    if (options.interruptAfterMs) setTimeout(() => child.kill("SIGINT"), options.interruptAfterMs);
    const guard = options.killAfterMs ? setTimeout(() => child.kill("SIGKILL"), options.killAfterMs) : undefined;
    child.on("close", (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** `xep0355 ARGS…` */
export function runCli(args: string[], options: CommandOptions = {}): Promise<CommandOutcome> {
  return runCommand(BIN, args, options);
}

/** `xep0355 run --role ROLE --quiet ARGS…` against the embedded mocks; its results.json is the evidence. */
export async function runRoleAgainstMocks(role: "server" | "component", args: string[]): Promise<{ code: number | null; output: string; results: RunResult }> {
  const reports = await mkdtemp(join(tmpdir(), `xep0355-${role}-`));
  const outcome = await runCli(["run", "--role", role, "--quiet", "--reports", reports, ...args], { killAfterMs: 120_000 });
  const results = JSON.parse(await readFile(join(reports, "results.json"), "utf8")) as RunResult;
  return { code: outcome.code, output: outcome.stdout + outcome.stderr, results };
}

/** Captures what a command writes on stdout and stderr. */
export function silence(): { stdout(): string; stderr(): string; restore(): void } {
  const out: string[] = [];
  const err: string[] = [];
  const write = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
  process.stdout.write = ((chunk: string) => (out.push(String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => (err.push(String(chunk)), true)) as typeof process.stderr.write;
  return {
    stdout: () => out.join(""),
    stderr: () => err.join(""),
    restore: () => {
      process.stdout.write = write.out;
      process.stderr.write = write.err;
    },
  };
}
