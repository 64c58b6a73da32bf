import { noPositionals, parseCommandArgs } from "./args.js";
import { loadAllCatalogues } from "../catalogue/catalogue.js";
import { SPEC_IDS, SPECIFICATIONS } from "../catalogue/specs.js";
import { belongsToRole } from "../report/aggregate.js";
import { loadSuite } from "../scenario/load.js";
import type { Role, Scenario } from "../scenario/model.js";
import { EXIT, UsageError } from "./errors.js";
import { LIST_HELP } from "./help.js";

export async function listCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs("list", args, { requirements: { type: "boolean" }, json: { type: "boolean" }, role: { type: "string" }, help: { type: "boolean", short: "h" } });
  noPositionals("list", positionals);
  if (values.help) {
    process.stdout.write(LIST_HELP);
    return EXIT.compliant;
  }
  if (values.role && values.role !== "server" && values.role !== "component") throw new UsageError(`--role must be server or component`);
  const roles: Role[] = values.role ? [values.role as Role] : ["server", "component"];
  const scenarios: Scenario[] = (await Promise.all(roles.map((r) => loadSuite(r)))).flat();

  if (values.requirements) {
    const rows = loadAllCatalogues()
      .filter((r) => roles.some((role) => belongsToRole(r.id, role)))
      .map((r) => ({ id: r.id, spec: r.spec, level: r.level, scenarios: scenarios.filter((s) => s.requirements.includes(r.id)).map((s) => s.id) }));
    if (values.json) {
      process.stdout.write(JSON.stringify(rows, null, 2) + "\n");
    } else {
      for (const spec of SPEC_IDS) {
        const { name, title, version, url } = SPECIFICATIONS[spec];
        const ofSpec = rows.filter((r) => r.spec === spec);
        const uncovered = ofSpec.filter((r) => r.scenarios.length === 0).length;
        process.stdout.write(`${spec === SPEC_IDS[0] ? "" : "\n"}== ${name} ${title} ${version} — ${url} (${ofSpec.length - uncovered}/${ofSpec.length} covered)\n`);
        for (const row of ofSpec) {
          const covered = row.scenarios.length ? row.scenarios.join(", ") : "(no scenario)";
          process.stdout.write(`${row.id.padEnd(11)} ${row.level.padEnd(10)} ${covered}\n`);
        }
      }
      const uncovered = rows.filter((r) => r.scenarios.length === 0).length;
      process.stdout.write(`\n${rows.length - uncovered}/${rows.length} requirements covered by ${scenarios.length} scenarios\n`);
    }
    return EXIT.compliant;
  }
  if (values.json) {
    process.stdout.write(JSON.stringify(scenarios.map((s) => ({ id: s.id, role: s.role, title: s.title, requirements: s.requirements, file: s.file })), null, 2) + "\n");
  } else {
    for (const s of scenarios) process.stdout.write(`${s.id.padEnd(48)} ${s.requirements.join(",").padEnd(24)} ${s.title}\n`);
  }
  return EXIT.compliant;
}
