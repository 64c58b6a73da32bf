import { noPositionals, parseCommandArgs } from "./args.js";
import { loadTargetFile } from "../target/load.js";
import { EXIT, UsageError } from "./errors.js";
import { serverChecks, type Check, type DoctorContext, type Outcome } from "./doctor-checks.js";

export const DOCTOR_HELP = `xep0355 doctor --target FILE — check a server target before a run, step by step

Checks the set-up: the c2s and component ports answer, a login without TLS is offered, the
accounts log in (on the undelegated domain too), each component secret is accepted (XEP-0356's
reader and messenger too), the delegations are advertised to the managing component, and, when
the target declares privileges, each grant is for a component the file declares and the reader
and messenger have one. A failed check says what to change; a check that could not run because
an earlier one failed says so and gives no advice of its own.

What the server does against the specification (e.g. SRV-DSC-01: no delegation namespace in
its disco#info) is a conformance finding, not a set-up problem: listed, and left to the run.

Options:
  --target FILE   the target file (docs/target-file.md)
  --strict        exit 1 when there is a conformance finding
  -h, --help

Exit codes: 0 the set-up is ready (conformance findings are listed) · 1 with --strict, a finding ·
2 usage · 3 a set-up problem, or the target file is invalid
`;

type Reported = Outcome | { kind: "skipped"; because: string };

export async function doctorCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs("doctor", args, { target: { type: "string" }, strict: { type: "boolean" }, help: { type: "boolean", short: "h" } });
  noPositionals("doctor", positionals);
  if (values.help) {
    process.stdout.write(DOCTOR_HELP);
    return EXIT.compliant;
  }
  if (!values.target) throw new UsageError("needs --target FILE (see xep0355 doctor --help)", "doctor");
  const target = await loadTargetFile(values.target);
  if (target.role !== "server") throw new UsageError("checks server targets; for a component, start it and run the component suite", "doctor");

  const ctx: DoctorContext = {};
  const results = new Map<string, Reported>();
  const checks = serverChecks(target);
  const names = new Map(checks.map((c) => [c.id, c.name]));
  try {
    for (const check of checks) {
      const outcome = await runCheck(check, ctx, results, names);
      results.set(check.id, outcome);
      process.stdout.write(line(check, outcome));
    }
  } finally {
    await ctx.juliet?.dispose();
  }

  const all = [...results.values()];
  const problems = all.filter((r) => r.kind === "problem").length;
  const skipped = all.filter((r) => r.kind === "skipped").length;
  const findings = all.flatMap((r) => (r.kind === "finding" ? [r.requirement] : []));
  const found = findings.length ? ` (conformance finding${findings.length > 1 ? "s" : ""}: ${findings.join(", ")}; the run reports ${findings.length > 1 ? "them" : "it"})` : "";
  if (problems) {
    const notRun = skipped ? ` (${skipped} check${skipped > 1 ? "s" : ""} not run because of ${problems > 1 ? "them" : "it"})` : "";
    process.stdout.write(`${problems} set-up problem${problems > 1 ? "s" : ""}${notRun}: fix, then run xep0355 doctor again\n`);
    return EXIT.unreachable;
  }
  process.stdout.write(`target ready: no set-up problem${found}\n`);
  return values.strict && findings.length ? EXIT.notCompliant : EXIT.compliant;
}

/** A check whose prerequisites failed is not run: its failure would only repeat theirs. */
async function runCheck(check: Check, ctx: DoctorContext, results: Map<string, Reported>, names: Map<string, string>): Promise<Reported> {
  for (const need of check.needs) {
    const before = results.get(need);
    if (before?.kind === "skipped") return before; // the root cause, not the check in between
    if (before?.kind === "problem") return { kind: "skipped", because: `"${names.get(need)}" failed` };
  }
  try {
    return await check.run(ctx);
  } catch (err) {
    return { kind: "problem", detail: errorText(err), fix: check.fix(ctx) };
  }
}

function line(check: Check, r: Reported): string {
  switch (r.kind) {
    case "ok":
      return `  ok    ${check.name}${r.detail ? ` — ${r.detail}` : ""}\n`;
    case "problem":
      return `  FAIL  ${check.name} — ${r.detail}\n        fix: ${r.fix}\n`;
    case "finding":
      return `  note  ${check.name} — ${r.requirement}: ${r.detail} (a conformance finding, not a set-up problem)\n`;
    case "skipped":
      return `  --    ${check.name} — not checked (because ${r.because})\n`;
  }
}

function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const condition = (err as Error & { condition?: string }).condition;
  return condition && !err.message.includes(condition) ? `${condition}: ${err.message}` : err.message;
}
