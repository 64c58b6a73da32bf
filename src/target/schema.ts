import { readFileSync } from "node:fs";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { didYouMean } from "./did-you-mean.js";

/** Where the target-file JSON Schema lives (documented in docs/target-file.md). */
export const TARGET_SCHEMA_URL = new URL("./target-file.schema.json", import.meta.url);

/** What the `$ref`ed definitions of the schema mean, in the words of an error message. */
const DEFINITION_MESSAGES: Record<string, string> = {
  text: "must be a non-empty string",
  port: "must be a port number (0-65535)",
  milliseconds: "must be a positive number of milliseconds, at most 2147483647 (2^31−1: node's timers fire after 1 ms beyond that)",
  flag: "must be true or false",
};

interface Compiled {
  validate: ValidateFunction;
  /** Each definition's schema object by identity: an error's parentSchema tells which definition failed. */
  definitionOf: Map<unknown, string>;
}

let compiled: Compiled | undefined;

function validator(): Compiled {
  if (!compiled) {
    const schema = JSON.parse(readFileSync(TARGET_SCHEMA_URL, "utf8")) as { definitions: Record<string, { properties?: Record<string, unknown> }> };
    const definitionOf = new Map<unknown, string>(Object.entries(schema.definitions).map(([name, s]) => [s, name]));
    definitionOf.set(schema.definitions.filteredDelegation.properties?.attributes, "filteredDelegation");
    compiled = { validate: new Ajv({ allErrors: true, verbose: true }).compile(schema), definitionOf };
  }
  return compiled;
}

/** One problem of a target file: the dotted field path and what is wrong with it. */
export interface SchemaProblem {
  field: string;
  message: string;
}

/**
 * Checks parsed JSON against src/target/target-file.schema.json; returns its problems, most useful
 * first: an unknown key (a typo: "featurs" with a did-you-mean) before the missing key it stood for.
 */
export function schemaProblems(data: unknown): SchemaProblem[] {
  const { validate, definitionOf } = validator();
  if (validate(data)) return [];
  const errors = (validate.errors ?? []).filter((e) => e.keyword !== "if");
  const listedKnown = new Set<unknown>();
  const unknown = errors.filter((e) => e.keyword === "additionalProperties").map((e) => unknownKey(e, listedKnown));
  const meant = new Set(unknown.map((u) => u.meant).filter((m) => m !== undefined));
  const rest = errors
    .filter((e) => e.keyword !== "additionalProperties")
    // "domian" is there: "domain is missing" says the same thing again
    .filter((e) => !(e.keyword === "required" && meant.has(join(fieldOf(e), String(e.params.missingProperty)))))
    .map((e) => problem(e, definitionOf.get(e.parentSchema)));
  const seen = new Set<string>();
  return [...unknown.map((u) => u.problem), ...rest].filter((p) => {
    const key = `${p.field} ${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function fieldOf(e: ErrorObject): string {
  return e.instancePath
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .join(".");
}

function join(parent: string, key: string): string {
  return parent ? `${parent}.${key}` : key;
}

/** An unknown key: what it most likely meant, else (once per object) the keys it may have. */
function unknownKey(e: ErrorObject, listedKnown: Set<unknown>): { problem: SchemaProblem; meant?: string } {
  const parent = fieldOf(e);
  const key = String(e.params.additionalProperty);
  const schema = (e.parentSchema ?? {}) as { title?: string; properties?: Record<string, unknown> };
  const known = Object.keys(schema.properties ?? {}).filter((k) => k !== "$schema" && k !== "role");
  const guess = didYouMean(key, known);
  const what = schema.title ? `is not ${/^[aeiou]/i.test(schema.title) ? "an" : "a"} ${schema.title}` : "is not a known field";
  const hint = guess ? ` (did you mean '${guess}'?)` : listedKnown.has(e.parentSchema) ? "" : ` (known: ${known.join(", ")})`;
  if (!guess) listedKnown.add(e.parentSchema);
  return { problem: { field: join(parent, key), message: `${what}${hint}` }, meant: guess === undefined ? undefined : join(parent, guess) };
}

function problem(e: ErrorObject, definition: string | undefined): SchemaProblem {
  const field = fieldOf(e);
  if (e.keyword === "required") {
    const missing = join(field, String(e.params.missingProperty));
    if (definition === "filteredDelegation") return { field: missing, message: "must list at least one filtering attribute" };
    return { field: missing, message: "is missing" };
  }
  if (definition === "filteredDelegation" && e.keyword === "minItems") return { field, message: "must list at least one filtering attribute" };
  if (definition && DEFINITION_MESSAGES[definition]) return { field, message: DEFINITION_MESSAGES[definition] };
  if (e.keyword === "enum" || e.keyword === "const") {
    const allowed = (e.params.allowedValues as unknown[] | undefined) ?? [e.params.allowedValue];
    return { field, message: `must be one of: ${allowed.map((a) => JSON.stringify(a)).join(", ")}` };
  }
  if (e.keyword === "type" && e.params.type === "object") return { field, message: "must be an object" };
  if (e.keyword === "type" && e.params.type === "array") return { field, message: "must be a list of strings" };
  if (e.keyword === "type" && e.params.type === "string" && /\.\d+$/.test(field)) {
    return { field: field.replace(/\.\d+$/, ""), message: "must be a list of strings" };
  }
  return { field, message: e.message ?? e.keyword };
}
