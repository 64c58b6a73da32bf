import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { LAUNCHABLE, launchLabel } from "../src/launchers/versions.js";
import { readPin } from "../src/launchers/roots/package-root.js";

/**
 * action.yml (the composite GitHub Action) and .github/workflows/ci.yml: parsed and checked for the
 * keys GitHub requires, for references that resolve, and, for the action, by running its shell steps
 * here the way the runner would (bash -e, GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files).
 */

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const exec = promisify(execFile);

interface Step {
  name?: string;
  id?: string;
  if?: string;
  uses?: string;
  run?: string;
  shell?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  "working-directory"?: string;
}

interface Action {
  name: string;
  description: string;
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs?: Record<string, { description: string; value: string }>;
  runs: { using: string; steps: Step[] };
}

type MatrixEntry = Record<string, string | boolean | undefined>;

interface Job {
  "runs-on": string;
  steps: Step[];
  uses?: string;
  container?: { image: string; options?: string };
  strategy?: { "fail-fast"?: boolean; matrix: { include?: MatrixEntry[] } };
}

interface Workflow {
  name: string;
  on: unknown;
  jobs: Record<string, Job>;
}

let action: Action;
let actionText: string;
let workflow: Workflow;
let workflowText: string;

beforeAll(async () => {
  actionText = await readFile(join(ROOT, "action.yml"), "utf8");
  action = parse(actionText) as Action;
  workflowText = await readFile(join(ROOT, ".github/workflows/ci.yml"), "utf8");
  workflow = parse(workflowText) as Workflow;
});

/** Every `${{ … }}` expression's references of a kind, e.g. inputs.X or steps.X. */
function references(text: string, kind: "inputs" | "steps"): string[] {
  const found: string[] = [];
  for (const expr of text.matchAll(/\$\{\{([^}]*)\}\}/g)) {
    for (const m of expr[1].matchAll(new RegExp(`\\b${kind}\\.([A-Za-z0-9_-]+)`, "g"))) found.push(m[1]);
  }
  return found;
}

function stepChecks(steps: Step[]): void {
  expect(Array.isArray(steps) && steps.length > 0).toBe(true);
  for (const step of steps) {
    const label = step.name ?? step.uses ?? JSON.stringify(step);
    expect(Boolean(step.run) !== Boolean(step.uses), `${label}: exactly one of run / uses`).toBe(true);
    if (step.uses) expect(step.uses, label).toMatch(/^(\.\/|[\w.-]+\/[\w.-]+(\/[\w./-]+)?@[\w.-]+$)/);
  }
}

describe("action.yml", () => {
  it("has name, description, inputs and a composite runs section", () => {
    expect(action.name).toBeTruthy();
    expect(action.description).toBeTruthy();
    expect(action.runs.using).toBe("composite");
    stepChecks(action.runs.steps);
  });

  it("declares the inputs, each with a description", () => {
    for (const name of ["target", "launch", "role", "expected", "strict", "reports-dir"]) {
      expect(action.inputs[name], name).toBeDefined();
      expect(action.inputs[name].description, name).toBeTruthy();
    }
  });

  it("gives every run step a shell (required in composite actions)", () => {
    for (const step of action.runs.steps.filter((s) => s.run)) expect(step.shell, step.name).toBe("bash");
  });

  it("references only declared inputs and existing step ids", () => {
    const declared = new Set(Object.keys(action.inputs));
    for (const ref of references(actionText, "inputs")) expect(declared.has(ref), `inputs.${ref}`).toBe(true);
    const ids = new Set(action.runs.steps.map((s) => s.id).filter(Boolean));
    for (const ref of references(actionText, "steps")) expect(ids.has(ref), `steps.${ref}`).toBe(true);
  });

  it("never expands inputs inside shell scripts (script injection): they go through env", () => {
    for (const step of action.runs.steps.filter((s) => s.run)) expect(step.run, step.name).not.toMatch(/\$\{\{/);
  });

  it("sets up Node 20, installs in the action's path, runs the CLI, and reports even on failure", () => {
    const steps = action.runs.steps;
    const setup = steps.find((s) => s.uses?.startsWith("actions/setup-node@"));
    expect(String(setup?.with?.["node-version"])).toBe("20");
    const install = steps.find((s) => s.run?.includes("npm ci"));
    expect(install?.["working-directory"]).toBe("${{ github.action_path }}");
    const run = steps.find((s) => s.run?.includes("bin/xep0355"));
    expect(run?.id).toBeTruthy();
    expect(run?.run).toMatch(/\brun\b/);
    const summary = steps.find((s) => s.run?.includes("GITHUB_STEP_SUMMARY"));
    expect(summary?.if).toBe("always()");
    expect(summary?.run).toContain("summary.md");
    const upload = steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"));
    expect(upload?.if).toBe("always()");
    expect(upload?.with?.path).toBe("${{ inputs.reports-dir }}");
    const last = steps[steps.length - 1];
    expect(last.if).toBe("always()");
    expect(last.env && Object.values(last.env).join(" ")).toContain(`steps.${run?.id}.outputs.exit-code`);
    // Order: run, then summary and upload, then the step that fails.
    expect(steps.indexOf(run as Step)).toBeLessThan(steps.indexOf(summary as Step));
    expect(steps.indexOf(summary as Step)).toBeLessThan(steps.indexOf(last));
    expect(steps.indexOf(upload as Step)).toBeLessThan(steps.indexOf(last));
  });

  it("passes only options the CLI knows", async () => {
    const source = await readFile(join(ROOT, "src/cli/run-command.ts"), "utf8");
    const known = new Set([...source.matchAll(/^\s*"?([a-z][a-z-]*)"?: \{ type: "(?:string|boolean)"/gm)].map((m) => m[1]));
    const run = action.runs.steps.find((s) => s.run?.includes("bin/xep0355"));
    const used = [...(run?.run ?? "").matchAll(/--([a-z][a-z-]*)/g)].map((m) => m[1]);
    expect(used.length).toBeGreaterThan(4);
    for (const option of used) expect(known.has(option), `--${option}`).toBe(true);
  });

  describe("its shell steps, run here", () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "xep0355-action-"));
    });
    afterAll(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    /** Runs one step's script like the runner: bash -e, env from the step with ${{ }} resolved by `values`. */
    async function runStep(step: Step, values: Record<string, string>, files: { output: string; summary: string }) {
      const env: Record<string, string> = { ...process.env, GITHUB_ACTION_PATH: ROOT, GITHUB_OUTPUT: files.output, GITHUB_STEP_SUMMARY: files.summary } as Record<string, string>;
      for (const [k, v] of Object.entries(step.env ?? {})) env[k] = String(v).replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (_w, expr: string) => values[expr] ?? "");
      try {
        const { stdout } = await exec("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", step.run as string], { cwd: dir, env });
        return { code: 0, stdout };
      } catch (err) {
        const e = err as { code: number; stdout: string };
        return { code: e.code, stdout: e.stdout };
      }
    }

    it("every script is valid bash", async () => {
      for (const step of action.runs.steps.filter((s) => s.run)) {
        const file = join(dir, "script.sh");
        await writeFile(file, step.run as string);
        await exec("bash", ["-n", file]);
      }
    });

    it("a run against the embedded mock server writes the summary and passes", async () => {
      const files = { output: join(dir, "output"), summary: join(dir, "summary") };
      await writeFile(files.output, "");
      await writeFile(files.summary, "");
      const values: Record<string, string> = {
        "inputs.target": "",
        "inputs.launch": "",
        "inputs.role": "server",
        "inputs.expected": "",
        "inputs.strict": "false",
        "inputs.reports-dir": "out",
      };
      const steps = action.runs.steps;
      const run = steps.find((s) => s.run?.includes("bin/xep0355")) as Step;
      const ran = await runStep(run, values, files);
      expect(ran.code, ran.stdout).toBe(0);
      expect(ran.stdout).toContain("xep0355 run --reports out --role server");
      const output = await readFile(files.output, "utf8");
      expect(output).toMatch(/^exit-code=0$/m);
      values[`steps.${run.id}.outputs.exit-code`] = /exit-code=(\d+)/.exec(output)?.[1] ?? "";

      const summary = steps.find((s) => s.run?.includes("GITHUB_STEP_SUMMARY")) as Step;
      expect((await runStep(summary, values, files)).code).toBe(0);
      expect(await readFile(files.summary, "utf8")).toMatch(/^## ✅ XEP-0355 conformance: compliant/);

      const last = steps[steps.length - 1];
      expect((await runStep(last, values, files)).code).toBe(0);
      values[`steps.${run.id}.outputs.exit-code`] = "1";
      expect((await runStep(last, values, files)).code).toBe(1);
      values[`steps.${run.id}.outputs.exit-code`] = "";
      expect((await runStep(last, values, files)).code).toBe(1);
    });
  });
});

describe(".github/workflows/ci.yml", () => {
  it("has name, on and jobs with runs-on and steps", () => {
    expect(workflow.name).toBeTruthy();
    expect(workflow.on).toBeTruthy();
    expect(Object.keys(workflow.jobs).length).toBeGreaterThan(0);
    for (const [name, job] of Object.entries(workflow.jobs)) {
      expect(job["runs-on"], name).toBeTruthy();
      stepChecks(job.steps);
    }
  });

  it("runs .ci/run with Node 20 and uploads the reports even on failure", () => {
    const job = Object.values(workflow.jobs).find((j) => j.steps.some((s) => s.run?.trim() === "bash .ci/run"));
    expect(job, "a job running bash .ci/run").toBeDefined();
    expect(job?.["runs-on"]).toMatch(/^ubuntu-/);
    expect(job?.steps[0].uses).toMatch(/^actions\/checkout@/);
    const setup = job?.steps.find((s) => s.uses?.startsWith("actions/setup-node@"));
    expect(String(setup?.with?.["node-version"])).toBe("20");
    const upload = job?.steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"));
    expect(upload?.if).toBe("always()");
    expect(String(upload?.with?.path)).toMatch(/^reports\/?$/);
  });

  it("uses the repository's own action with declared inputs only", () => {
    for (const job of Object.values(workflow.jobs)) {
      for (const step of job.steps.filter((s) => s.uses === "./")) {
        for (const input of Object.keys(step.with ?? {})) expect(action.inputs[input], input).toBeDefined();
      }
    }
  });

  describe("the matrix of launched targets", () => {
    /** The job whose matrix launches the targets with the repository's own action. */
    function launchedJob(): { job: Job; entries: MatrixEntry[]; action: Step } {
      const job = Object.values(workflow.jobs).find((j) => j.steps.some((s) => s.uses === "./" && String(s.with?.launch ?? "").includes("matrix.")));
      expect(job, "a job running the action with launch: ${{ matrix.… }}").toBeDefined();
      const action = job!.steps.find((s) => s.uses === "./")!;
      return { job: job!, entries: job!.strategy?.matrix.include ?? [], action };
    }

    /** A ${{ matrix.X }} template rendered for one matrix entry (only matrix references are resolved). */
    function render(template: string, entry: MatrixEntry): string {
      return template.replace(/\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}/g, (_m, key: string) => String(entry[key] ?? ""));
    }

    it("has one job per target@version the suite can launch, none twice, and does not stop the others on a failure", () => {
      const { job, entries } = launchedJob();
      const targets = entries.map((e) => String(e.target));
      expect([...targets].sort()).toEqual(LAUNCHABLE.map(launchLabel).sort());
      expect(job.strategy?.["fail-fast"]).toBe(false);
    });

    it("runs each in Debian 12 as root (a container: GitHub's runners are Ubuntu, not root), privileged where a chroot is built", () => {
      const { job, entries } = launchedJob();
      expect(job["runs-on"]).toMatch(/^ubuntu-/);
      expect(job.container?.image).toBe("debian:bookworm");
      for (const entry of entries) {
        const wanted = LAUNCHABLE.find((v) => launchLabel(v) === entry.target)!;
        const chroot = wanted.source === "root" && readPin(wanted.name, wanted.version).kind === "chroot";
        expect(render(job.container?.options ?? "", entry), String(entry.target)).toBe(chroot ? "--privileged" : "");
        expect(Boolean(entry.root), String(entry.target)).toBe(wanted.source === "root");
        expect(String(entry.packages), String(entry.target)).toMatch(/\S/);
      }
    });

    it("uploads each job's reports under an artifact name of its own, valid for upload-artifact", () => {
      const { entries, action } = launchedJob();
      const template = String(action.with?.["artifact-name"] ?? "");
      expect(template).toContain("${{ matrix.target }}");
      const names = entries.map((e) => render(template, e));
      expect(new Set(names).size).toBe(entries.length);
      // upload-artifact@v4 refuses " : < > | * ? \r \n \\ /
      for (const name of names) expect(name).not.toMatch(/[":<>|*?\r\n\\/]/);
      expect(names).toContain("xep0355-reports-prosody@13.0.1");
    });

    it("checks each against its pinned verdicts: Debian 12's keep their names, the newer ones are NAME@VERSION.json", () => {
      const { entries, action } = launchedJob();
      expect(String(action.with?.launch)).toBe("${{ matrix.target }}");
      for (const entry of entries) {
        const wanted = LAUNCHABLE.find((v) => launchLabel(v) === entry.target)!;
        expect(entry.expected).toBe(`suites/expected/${wanted.source === "system" ? wanted.name : launchLabel(wanted)}.json`);
      }
    });
  });
});
