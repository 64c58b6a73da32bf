import type { ScenarioResult } from "../runner/result.js";
import { colorByEnvironment, formatScenarioLine } from "./console.js";

/** What progress needs of an output stream (process.stdout, a tty.WriteStream, a test double). */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface Progress {
  /** Call once per finished scenario (ExecuteOptions.onResult). */
  onResult(result: ScenarioResult): void;
  /** Call once when the run is over (also after an interruption): stops the timer, ends the live line. */
  finish(): void;
}

const CLEAR_LINE = "\r\x1b[2K";

function elapsed(ms: number): string {
  const s = ms / 1000;
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/**
 * Progress of a run. On a TTY: one live status line (done/total, pass/fail counts, elapsed time)
 * rewritten in place, with the line of each failing or erroring scenario printed above it. Otherwise
 * (CI logs, pipes): one plain line per scenario, as formatScenarioLine gives it, with [done/total].
 */
export function createProgress(total: number, stream: ProgressStream = process.stdout): Progress {
  const tty = Boolean(stream.isTTY);
  const color = tty && colorByEnvironment(tty);
  const started = Date.now();
  const counts = { pass: 0, fail: 0, error: 0, skipped: 0 };
  let done = 0;
  let finished = false;
  let timer: NodeJS.Timeout | undefined;

  const paint = (code: string, text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const status = (): string => {
    const parts = [`${paint("32", `${counts.pass} pass`)}`];
    if (counts.fail) parts.push(paint("31", `${counts.fail} fail`));
    if (counts.error) parts.push(paint("35", `${counts.error} error`));
    if (counts.skipped) parts.push(paint("33", `${counts.skipped} skipped`));
    const line = `  [${done}/${total}] ${parts.join(" · ")} · ${elapsed(Date.now() - started)}`;
    return fitToWidth(line, stream.columns);
  };
  const redraw = () => {
    if (!finished) stream.write(`${CLEAR_LINE}${status()}`);
  };

  if (tty) {
    redraw();
    timer = setInterval(redraw, 1000);
    timer.unref();
  }

  return {
    onResult(result: ScenarioResult): void {
      if (finished) return;
      done++;
      if (result.verdict === "pass") counts.pass++;
      else if (result.verdict === "fail") counts.fail++;
      else if (result.verdict === "error") counts.error++;
      else counts.skipped++;
      if (!tty) {
        stream.write(`${formatScenarioLine(result, { color: false })}  [${done}/${total}]\n`);
        return;
      }
      if (result.verdict === "fail" || result.verdict === "error") stream.write(`${CLEAR_LINE}${formatScenarioLine(result, { color })}\n`);
      redraw();
    },
    finish(): void {
      if (finished) return;
      if (timer) clearInterval(timer);
      if (tty) stream.write(`${CLEAR_LINE}${status()}\n`);
      finished = true;
    },
  };
}

/** Cuts a line (ANSI codes not counted) to the terminal width, so that \r can rewrite it. */
function fitToWidth(line: string, columns: number | undefined): string {
  if (!columns || columns < 10) return line;
  let visible = 0;
  let out = "";
  for (let i = 0; i < line.length; i++) {
    if (line[i] === "\x1b") {
      const end = line.indexOf("m", i);
      if (end > 0) {
        out += line.slice(i, end + 1);
        i = end;
        continue;
      }
    }
    if (visible >= columns - 1) continue;
    out += line[i];
    visible++;
  }
  return out;
}
