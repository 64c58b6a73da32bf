import { NEEDS, type CastEntry, type Need, type ReadingAlternative, type Role, type Step, type TextScenario } from "./model.js";

export class ScenarioSyntaxError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
  ) {
    super(`${file}:${line}: ${message}`);
  }
}

const HEADER_KEYS = new Set(["id", "title", "role", "requirements", "needs", "versions", "fresh"]);
const ACTOR = "([A-Za-z][\\w-]*)";
const TAG = "(?:\\s+\\[([A-Z]+-[A-Z]+-\\d+)\\])?";
const DURATION = "(\\d+)\\s*ms";

const STEP_PATTERNS: { re: RegExp; build: (m: RegExpExecArray, line: number, text: string) => Step; block: "none" | "required" | "alternatives" }[] = [
  { re: new RegExp(`^${ACTOR} connects${TAG}$`), block: "none", build: (m, line, text) => ({ kind: "connect", actor: m[1], requirement: m[2], line, text }) },
  {
    re: new RegExp(`^${ACTOR} connects without advertising${TAG}$`),
    block: "none",
    build: (m, line, text) => ({ kind: "connect", actor: m[1], withoutAdvertising: true, requirement: m[2], line, text }),
  },
  { re: new RegExp(`^${ACTOR} disconnects${TAG}$`), block: "none", build: (m, line, text) => ({ kind: "disconnect", actor: m[1], requirement: m[2], line, text }) },
  { re: new RegExp(`^${ACTOR} sends( raw)?:${TAG}$`), block: "required", build: (m, line, text) => ({ kind: "send", actor: m[1], raw: Boolean(m[2]), requirement: m[3], xml: "", line, text }) },
  {
    re: new RegExp(`^${ACTOR} receives(?: within ${DURATION})?:${TAG}$`),
    block: "required",
    build: (m, line, text) => ({ kind: "receive", actor: m[1], withinMs: num(m[2]), requirement: m[3], xml: "", line, text }),
  },
  {
    re: new RegExp(`^${ACTOR} receives(?: within ${DURATION})?, otherwise not supported:${TAG}$`),
    block: "required",
    build: (m, line, text) => ({ kind: "receive", actor: m[1], withinMs: num(m[2]), requirement: m[3], otherwiseNotSupported: true, xml: "", line, text }),
  },
  {
    re: new RegExp(`^${ACTOR} has received(?: within ${DURATION})?:${TAG}$`),
    block: "required",
    build: (m, line, text) => ({ kind: "has-received", actor: m[1], withinMs: num(m[2]), requirement: m[3], xml: "", line, text }),
  },
  {
    re: new RegExp(`^${ACTOR} receives nothing(?: within ${DURATION})?${TAG}$`),
    block: "none",
    build: (m, line, text) => ({ kind: "receive-nothing", actor: m[1], withinMs: num(m[2]), requirement: m[3], line, text }),
  },
  {
    re: new RegExp(`^${ACTOR} receives nothing matching(?: within ${DURATION})?:${TAG}$`),
    block: "required",
    build: (m, line, text) => ({ kind: "receive-nothing", actor: m[1], withinMs: num(m[2]), requirement: m[3], xml: "", line, text }),
  },
  {
    re: new RegExp(`^${ACTOR} was asked at most (\\d+) times?:${TAG}$`),
    block: "required",
    build: (m, line, text) => ({ kind: "asked-at-most", actor: m[1], times: Number(m[2]), requirement: m[3], xml: "", line, text }),
  },
  {
    re: new RegExp(`^${ACTOR} receives one of(?: within ${DURATION})?:${TAG}$`),
    block: "alternatives",
    build: (m, line, text) => ({ kind: "receive-one-of", actor: m[1], withinMs: num(m[2]), requirement: m[3], alternatives: [], line, text }),
  },
  { re: new RegExp(`^it matches one of:${TAG}$`), block: "alternatives", build: (m, line, text) => ({ kind: "it-matches-one-of", requirement: m[1], alternatives: [], line, text }) },
  { re: new RegExp(`^it matches:${TAG}$`), block: "required", build: (m, line, text) => ({ kind: "it-matches", requirement: m[1], xml: "", line, text }) },
  { re: new RegExp(`^wait ${DURATION}$`), block: "none", build: (m, line, text) => ({ kind: "wait", ms: Number(m[1]), line, text }) },
];

function num(s: string | undefined): number | undefined {
  return s === undefined ? undefined : Number(s);
}

/**
 * Parses the scenario text format (docs/scenario-format.md): a header of
 * `key: value` lines, a `cast:` block, then steps at column 0, each stanza in
 * an indented block below its step.
 */
export function parseScenario(source: string, file: string): TextScenario {
  const lines = source.split("\n");
  const header: Record<string, string> = {};
  const cast: CastEntry[] = [];
  const steps: Step[] = [];
  const cleanup: Step[] = [];
  let current = steps;
  let section: "header" | "cast" | "steps" = "header";
  let i = 0;
  const err = (line: number, message: string) => new ScenarioSyntaxError(file, line, message);

  while (i < lines.length) {
    const raw = lines[i];
    const lineNo = i + 1;
    const text = raw.trimEnd();
    i++;
    if (!text.trim() || text.trimStart().startsWith("#")) continue;
    const indented = /^\s/.test(text);

    if (section === "header") {
      if (text === "cast:") {
        section = "cast";
        continue;
      }
      const kv = /^([a-z]+):\s*(.*)$/.exec(text);
      if (!kv || !HEADER_KEYS.has(kv[1])) throw err(lineNo, `expected a header line (${[...HEADER_KEYS].join(", ")}) or 'cast:', got '${text.trim()}'`);
      if (kv[1] in header) throw err(lineNo, `header '${kv[1]}' given twice`);
      header[kv[1]] = kv[2].trim();
      continue;
    }
    if (section === "cast" && indented) {
      const entry = /^\s+([A-Za-z][\w-]*):\s*(client|component|server)(?:\s+([\w-]+))?\s*$/.exec(text);
      if (!entry) throw err(lineNo, `expected a cast line '  name: client ACCOUNT | component managing|other|reader|messenger | server', got '${text.trim()}'`);
      if (cast.some((c) => c.name === entry[1])) throw err(lineNo, `actor '${entry[1]}' cast twice`);
      cast.push({ name: entry[1], kind: entry[2] as CastEntry["kind"], ref: entry[3] ?? (entry[2] === "client" ? entry[1] : entry[2] === "component" ? "managing" : "server") });
      continue;
    }
    section = "steps";
    if (text === "finally:") {
      if (current === cleanup) throw err(lineNo, "'finally:' given twice");
      if (steps.length === 0) throw err(lineNo, "'finally:' needs steps before it");
      current = cleanup;
      continue;
    }
    if (indented) throw err(lineNo, `unexpected indented text: a stanza block must follow a step that ends with ':'`);
    const matched = STEP_PATTERNS.map((p) => ({ p, m: p.re.exec(text) })).find((x) => x.m);
    if (!matched || !matched.m) throw err(lineNo, `unknown step '${text}'`);
    const step = matched.p.build(matched.m, lineNo, text);
    if ("actor" in step && !cast.some((c) => c.name === step.actor)) throw err(lineNo, `actor '${step.actor}' is not in the cast`);
    if (matched.p.block !== "none") {
      const block: string[] = [];
      const firstBlockLine = i + 1;
      while (i < lines.length && (/^\s/.test(lines[i]) || !lines[i].trim())) {
        block.push(lines[i]);
        i++;
      }
      if (matched.p.block === "alternatives") {
        (step as { alternatives: ReadingAlternative[] }).alternatives = parseAlternatives(block, firstBlockLine, text, err).map((a) => ({
          ...a,
          xml: unescapeLiterals(a.xml, "pattern"),
        }));
      } else {
        const xml = block.join("\n").trim();
        if (!xml) throw err(lineNo, `step '${text}' needs an indented stanza below it`);
        (step as { xml: string }).xml = unescapeLiterals(xml, step.kind === "send" ? "send" : "pattern");
      }
    }
    current.push(step);
  }

  for (const key of ["id", "title", "role", "requirements"]) if (!header[key]) throw err(1, `missing header '${key}:'`);
  const role = header.role as Role;
  if (role !== "server" && role !== "component") throw err(1, `role must be 'server' or 'component', got '${header.role}'`);
  const requirements = list(header.requirements);
  for (const id of requirements) if (!/^[A-Z]+-[A-Z]+-\d+$/.test(id)) throw err(1, `'${id}' is not a catalogue ID`);
  const needs = list(header.needs ?? "");
  for (const need of needs) if (!NEEDS.includes(need as Need)) throw err(1, `unknown need '${need}' (known: ${NEEDS.join(", ")})`);
  const versions = header.versions ? list(header.versions).map(Number) : [1, 2];
  if (versions.some((v) => v !== 1 && v !== 2)) throw err(1, `versions must be 1 and/or 2`);
  if (header.fresh !== undefined && header.fresh !== "true" && header.fresh !== "false") throw err(1, `fresh must be 'true' or 'false'`);
  if (header.fresh === "true" && role !== "component") throw err(1, `'fresh: true' applies to component-role scenarios only`);
  if (cast.length === 0) throw err(1, "missing 'cast:' block");
  if (steps.length === 0) throw err(1, "no steps");
  if (current === cleanup && cleanup.length === 0) throw err(lines.length, "'finally:' needs steps after it");
  return {
    kind: "text",
    id: header.id,
    title: header.title,
    role,
    requirements,
    needs: needs as Need[],
    versions: versions as (1 | 2)[],
    cast,
    steps,
    ...(cleanup.length ? { cleanup } : {}),
    file,
    ...(header.fresh === "true" ? { fresh: true } : {}),
    ...(steps.some((st) => st.kind === "receive" && st.otherwiseNotSupported) ? { probesSupport: true } : {}),
  };
}

/**
 * The block of a `… one of:` step: `reading NAME:` lines at the block's first indentation,
 * each followed by its stanza, indented deeper.
 */
function parseAlternatives(block: string[], firstLine: number, stepText: string, err: (line: number, message: string) => ScenarioSyntaxError): ReadingAlternative[] {
  const alternatives: ReadingAlternative[] = [];
  let indent: number | undefined;
  let current: { reading: string; lines: string[]; line: number } | undefined;
  const close = () => {
    if (!current) return;
    const xml = current.lines.join("\n").trim();
    if (!xml) throw err(current.line, `'reading ${current.reading}:' needs an indented stanza below it`);
    alternatives.push({ reading: current.reading, xml });
  };
  for (const [offset, line] of block.entries()) {
    if (!line.trim() || line.trim().startsWith("#")) continue;
    const depth = line.length - line.trimStart().length;
    indent ??= depth;
    if (depth === indent) {
      const head = /^\s+reading ([a-z][\w-]*):$/.exec(line.trimEnd());
      if (!head) throw err(firstLine + offset, `expected 'reading NAME:' in the block of '${stepText}', got '${line.trim()}'`);
      close();
      if (alternatives.some((a) => a.reading === head[1])) throw err(firstLine + offset, `reading '${head[1]}' given twice`);
      current = { reading: head[1], lines: [], line: firstLine + offset };
    } else if (depth > indent && current) {
      current.lines.push(line);
    } else {
      throw err(firstLine + offset, `stanza outside a 'reading NAME:' of '${stepText}'`);
    }
  }
  close();
  if (alternatives.length < 2) throw err(firstLine - 1, `step '${stepText}' needs at least two 'reading NAME:' alternatives`);
  return alternatives;
}

function list(value: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * The escape of docs/scenario-format.md ("Literal text that looks like a variable"): `\$` is a literal `$`, `\{` a
 * literal `{`, `\\` a backslash; any other backslash is itself. What the runner gets cannot hold these
 * literally — it expands `${…}` and `{$…}` in the raw text, and the matcher reads `{any}` / `{$…}` in
 * decoded values — so in what is sent a literal `$` or `{` becomes a character reference (`&#36;`,
 * `&#123;`: exact, XML decodes them after the runner's substitutions); in a pattern a literal `$` becomes
 * `&#36;` and a literal `{` becomes `{` then `{any}` (the matcher has no literal form for `{$…}` and
 * `{any}`: it accepts anything between the brace and what follows). Escaping either character of `${`
 * or `{$` is enough.
 */
export function unescapeLiterals(xml: string, block: "send" | "pattern"): string {
  if (!xml.includes("\\")) return xml;
  return xml.replace(/\\([\\${])/g, (_whole, c: string) => (c === "\\" ? "\\" : c === "$" ? "&#36;" : block === "send" ? "&#123;" : "{{any}"));
}

/**
 * What the script writer does to recorded text so that unescapeLiterals gives it back: a backslash
 * before `\`, `$` or `{` is doubled, a `$` next to a `{` and a `{` opening `{$` or `{any}` get one.
 */
export function escapeLiterals(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const next = text[i + 1];
    if (c === "\\") out += next === "\\" || next === "$" || next === "{" ? "\\\\" : "\\";
    else if (c === "$") out += next === "{" || text[i - 1] === "{" ? "\\$" : "$";
    else if (c === "{") out += next === "$" || text.startsWith("{any}", i) ? "\\{" : "{";
    else out += c;
  }
  return out;
}
