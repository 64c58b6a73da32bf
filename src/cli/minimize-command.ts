import { readFile, writeFile } from "node:fs/promises";
import { parseCommandArgs } from "./args.js";
import { failureSignature, minimizeScenario, NotFailing, renderMinimized } from "../minimize/minimize-scenario.js";
import { parseScenario } from "../scenario/parse.js";
import { EXIT, UsageError } from "./errors.js";
import { positiveInt } from "./args.js";
import { REPLAY_TARGET_OPTIONS, formatReplayResult, loadScenario, openReplayTarget, replayOnce, type ReplayTarget } from "./replay-command.js";

export const MINIMIZE_HELP = `xep0355 minimize — shrink a failing scenario to the fewest steps that still fail the same way

Usage:
  xep0355 minimize FILE --target TARGET.json [--out FILE]
  xep0355 minimize FILE --against mock-server --mock-fault ID [--out FILE]

Runs FILE once to see how it fails, then drops steps by delta debugging (ddmin) while
it still fails the same way, and writes the shortest script (stdout without --out).
'The same way': the same requirement when the failing step is tagged [ID], otherwise the
same failing step; and (unless --loose) the same kind of failure (the same mismatch in the
closest stanza, nothing arriving, the stream closing, an unexpected stanza).
A step's actor's 'connects', and the step capturing a {$name} it uses, are kept with it.

Options:
  --target FILE, --against MOCK, --mock-fault ID, --mock-reading ID=NAME, --version 1|2, --timeout MS, --deadline MS
                     the target, as for xep0355 replay (a short --timeout speeds it up a lot)
  --out FILE         where to write the minimized script
  --id ID            id of the minimized scenario (default: the original's)
  --title TEXT       its title (default: the original's)
  --loose            only the failing requirement / step has to be the same
  --keep LINE,...    steps (by line number in FILE) to keep whatever the runs say
  --unpin            let it drop steps of the failing step's own exchange too (by default the request it
                     answers, the forward of that request and the reply to the forward stay: when what
                     fails is an absence, dropping the reply fails "the same way" and would lose the bug)
  --max-runs N       give up after N runs, keeping the shortest found (default: 300)
  --quiet            no progress lines
  -h, --help

Exit codes: 0 minimized script written · 1 the scenario does not fail against the target · 2 usage or
scenario error · 3 target unreachable · 130 interrupted
`;

export async function minimizeCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args);
  if (values.help) {
    process.stdout.write(MINIMIZE_HELP);
    return EXIT.compliant;
  }
  if (positionals.length !== 1) throw new UsageError(`minimize: expected one scenario FILE, got ${positionals.length} (see xep0355 minimize --help)`);
  const file = positionals[0];
  const maxRuns = positiveInt(values["max-runs"] ?? "300", "--max-runs");
  const scenario = await loadScenario(file);
  if (scenario.kind !== "text") throw new UsageError(`minimize works on text scenarios (.scenario), not on ${file}`);
  const keepLines = (values.keep ?? "").split(",").map((x) => x.trim()).filter(Boolean).map((x) => positiveInt(x, "--keep"));
  for (const line of keepLines) if (!scenario.steps.some((s) => s.line === line)) throw new UsageError(`--keep ${line}: no step starts on line ${line} of ${file}`);
  const source = await readFile(file, "utf8");
  const target = await openReplayTarget(values, scenario, "minimize");
  const log = (line: string) => {
    if (!values.quiet) process.stderr.write(`${line}\n`);
  };
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    log(`minimizing ${scenario.file} (${scenario.steps.length} steps) against ${target.label}`);
    let runs = 0;
    let minimized;
    try {
      minimized = await minimizeScenario(
        scenario,
        async (candidate) => {
          if (abort.signal.aborted) throw new Interrupted();
          runs++;
          return replayOnce(candidate, target, abort.signal);
        },
        {
          loose: Boolean(values.loose),
          unpin: Boolean(values.unpin),
          keepLines,
          onOriginal: (result, signature) => log(`  run   1: ${scenario.steps.length} steps → ${signature ? signature.description : result.verdict}`),
          maxTests: maxRuns - 1,
          onTest: (steps, holds, _tests, result) =>
            log(`  run ${String(runs).padStart(3)}: ${String(steps).padStart(3)} steps → ${holds ? "fails the same way" : result.verdict === "fail" ? "fails differently" : result.verdict}`),
        },
      );
    } catch (err) {
      if (err instanceof Interrupted) return EXIT.interrupted;
      if (err instanceof NotFailing) {
        process.stderr.write(`xep0355: ${err.message}\n`);
        process.stdout.write(formatReplayResult(err.result));
        return EXIT.notCompliant;
      }
      throw err;
    }
    if (abort.signal.aborted) return EXIT.interrupted;
    const note = [
      `Minimized by 'xep0355 minimize' from ${scenario.file}: ${minimized.steps.length} of ${scenario.steps.length} steps,`,
      `against ${target.description.name}; ${minimized.signature.description}.`,
      `${minimized.pinned.length} of them kept as the failing exchange${keepLines.length ? " or by --keep" : ""} (${minimized.pinned.map((s) => `line ${s.line}`).join(", ")} of the original).`,
      ...(minimized.exhausted ? [`(stopped after --max-runs ${maxRuns}: may not be minimal)`] : []),
    ];
    const header = { id: values.id?.trim().replace(/\s+/g, "-"), title: values.title?.replace(/\s+/g, " ").trim() };
    let text = renderMinimized(source, scenario, minimized.steps, note, header);
    // The written file must itself fail the same way (its cast was trimmed): check once more.
    const written = parseScenario(text, values.out ?? scenario.file);
    runs++;
    const check = await replayOnce(written, target, abort.signal);
    if (failureSignature(check, written.steps, Boolean(values.loose))?.key !== minimized.signature.key) {
      log(`  the trimmed script did not fail the same way on its confirmation run (${check.verdict}: ${check.reason}); writing it with the full cast`);
      text = renderMinimized(source, { ...scenario, cast: [] }, minimized.steps, [...note, "(its confirmation run failed differently: check it by hand)"], header);
    }
    if (values.out) {
      await writeFile(values.out, text);
      log(`wrote ${values.out}: ${minimized.steps.length} of ${scenario.steps.length} steps, ${runs} runs`);
    } else {
      process.stdout.write(text);
      log(`${minimized.steps.length} of ${scenario.steps.length} steps, ${runs} runs`);
    }
    return EXIT.compliant;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await target.driver.close().catch(() => undefined);
  }
}

class Interrupted extends Error {}

function parseOptions(args: string[]) {
  return parseCommandArgs("minimize", args, {
        ...REPLAY_TARGET_OPTIONS,
        out: { type: "string" },
        id: { type: "string" },
        title: { type: "string" },
        loose: { type: "boolean" },
        keep: { type: "string" },
        unpin: { type: "boolean" },
        "max-runs": { type: "string" },
        quiet: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      });
}
