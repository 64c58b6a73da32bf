import { mkdir, open } from "node:fs/promises";
import { dirname } from "node:path";
import { SPEC_IDS } from "../catalogue/specs.js";
import type { RunResult } from "../runner/result.js";

/** The subset of JSON Schema (draft 2020-12) that RESULTS_SCHEMA uses. */
export interface JsonSchema {
  $schema?: string;
  $id?: string;
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  title?: string;
  description?: string;
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean";
  enum?: readonly string[];
  required?: readonly string[];
  properties?: Record<string, JsonSchema>;
  /** false: no other property; a schema: every other property's value (a map). */
  additionalProperties?: false | JsonSchema;
  items?: JsonSchema;
  minimum?: number;
}

const verdict: JsonSchema = {
  type: "string",
  enum: ["pass", "fail", "not-supported", "not-applicable", "error", "untested"],
  description:
    "pass: verified; fail: the target broke the rule (or, with --strict, lacks the feature); not-supported: not exercised, the target lacks the optional feature; " +
    "not-applicable: the rule does not apply to this target; error: the suite could not reach a verdict; " +
    "untested (requirements only): it applies, but no scenario verifies it (an untested MUST means no compliance claim).",
};

const role: JsonSchema = { type: "string", enum: ["server", "component"] };

const str = (description?: string): JsonSchema => (description ? { type: "string", description } : { type: "string" });

/** JSON Schema of the file writeJsonReport writes; docs/results.schema.json is generated from it. */
export const RESULTS_SCHEMA: JsonSchema = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $id: "urn:xep0355-conformance:results",
  title: "xep0355-conformance run (XEP-0355 Namespace Delegation, XEP-0356 Privileged Entity)",
  type: "object",
  required: ["suiteVersion", "startedAt", "durationMs", "targets", "interrupted", "scenarios", "requirements"],
  additionalProperties: false,
  properties: {
    suiteVersion: str(),
    startedAt: str("ISO 8601 timestamp"),
    durationMs: { type: "number", minimum: 0 },
    targets: {
      type: "array",
      description: "one entry per role run",
      items: {
        type: "object",
        required: ["role", "name", "protocolVersion"],
        additionalProperties: false,
        properties: {
          role: { $ref: "#/$defs/role" },
          name: str(),
          protocolVersion: { type: "string", enum: ["0.5", "0.4.1"], description: "XEP-0355 version the target speaks" },
          software: str(),
          specVersions: {
            type: "object",
            description: "specification (\"0355\", \"0356\") → the XEP version the target speaks of it, for each specification the run covered",
            additionalProperties: str("XEP version"),
          },
        },
      },
    },
    interrupted: { type: "boolean", description: "true when the run was stopped before all scenarios finished" },
    partial: { type: "boolean", description: "true for a run of selected scenarios (--only): only the requirements they cover are reported, and compliance is not claimed" },
    specs: {
      type: "array",
      description: "the specifications the run covered, in catalogue order (a partial run: those of its requirements); absent in results of versions before XEP-0356",
      items: {
        type: "object",
        required: ["id", "name", "title", "url", "version", "targets"],
        additionalProperties: false,
        properties: {
          id: { $ref: "#/$defs/spec" },
          name: str("e.g. XEP-0355"),
          title: str("e.g. Namespace Delegation"),
          url: str("the XEP's URL"),
          version: str("the XEP version the catalogue restates: the rules checked"),
          targets: {
            type: "array",
            description: "each role whose target declares the specification (none: it was selected but the target does not declare it, so its requirements are not-supported)",
            items: {
              type: "object",
              required: ["role", "version", "namespace"],
              additionalProperties: false,
              properties: {
                role: { $ref: "#/$defs/role" },
                version: str("the XEP version the target speaks"),
                namespace: str("that version's namespace, e.g. urn:xmpp:privilege:2"),
              },
            },
          },
        },
      },
    },
    scenarios: { type: "array", items: { $ref: "#/$defs/scenario" } },
    requirements: { type: "array", items: { $ref: "#/$defs/requirement" } },
  },
  $defs: {
    verdict,
    role,
    spec: { type: "string", enum: SPEC_IDS, description: "a specification: 0355 (XEP-0355 Namespace Delegation) or 0356 (XEP-0356 Privileged Entity)" },
    level: { type: "string", enum: ["MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY", "implied", "ambiguous"] },
    transcriptEntry: {
      type: "object",
      required: ["t", "actor", "direction", "data"],
      additionalProperties: false,
      properties: {
        t: { type: "number", minimum: 0, description: "milliseconds since the scenario started" },
        actor: str(),
        direction: { type: "string", enum: ["in", "out", "note"] },
        data: str("raw XML (secrets redacted) or a note"),
      },
    },
    scenario: {
      type: "object",
      required: ["id", "title", "role", "file", "requirements", "verdict", "reason", "notes", "readings", "durationMs", "transcript"],
      additionalProperties: false,
      properties: {
        id: str(),
        title: str(),
        role: { $ref: "#/$defs/role" },
        file: str(),
        requirements: { type: "array", items: str("catalogue requirement ID") },
        verdict: { $ref: "#/$defs/verdict" },
        reason: str("one line; empty on pass"),
        failedRequirement: str("the requirement the failing step checks"),
        evidence: {
          type: "object",
          required: ["step", "line", "expected", "received"],
          additionalProperties: false,
          properties: {
            step: str(),
            line: { type: "integer", minimum: 0 },
            expected: str(),
            received: { type: "array", items: str() },
          },
        },
        checked: { type: "array", items: str(), description: "requirements whose checks held before the scenario ended (a failure of another does not taint them)" },
        notes: { type: "array", items: str() },
        readings: {
          type: "object",
          description: "ambiguous requirement ID → the reading the target follows (e.g. strict, lenient); several joined by ' + '",
          additionalProperties: str("reading name"),
        },
        durationMs: { type: "number", minimum: 0 },
        transcript: { type: "array", items: { $ref: "#/$defs/transcriptEntry" } },
      },
    },
    requirement: {
      type: "object",
      required: ["id", "spec", "role", "level", "section", "anchor", "text", "verdict", "reason", "scenarios"],
      additionalProperties: false,
      properties: {
        id: str(),
        spec: { $ref: "#/$defs/spec", description: "the specification whose catalogue holds the row" },
        role: { $ref: "#/$defs/role" },
        reason: str("why, when the verdict is not pass"),
        level: { $ref: "#/$defs/level" },
        section: str("catalogue section letter"),
        anchor: str("the XEP's HTML anchor (of the row's specification), without '#'"),
        text: str(),
        verdict: { $ref: "#/$defs/verdict" },
        reading: str("ambiguous requirements: the reading the target follows, from its scenarios (several joined by ' + '); absent when none was recorded"),
        scenarios: { type: "array", items: str("scenario ID") },
      },
    },
  },
};

/**
 * Writes `JSON.stringify(run, null, 2)` and a newline, scenario by scenario: the text of a whole
 * run (transcripts included) is never one string in memory.
 */
export async function writeJsonReport(run: RunResult, path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const file = await open(path, "w");
  try {
    const scenarios = run.scenarios;
    const head = JSON.stringify(Object.fromEntries(Object.entries(run).map(([k, v]) => [k, k === "scenarios" ? [] : v])), null, 2);
    // The same key order as the RunResult: the scenarios go where their empty list is.
    const [before, after] = head.split(/(?<=\n  "scenarios": )\[\]/);
    await file.write(before);
    if (scenarios.length === 0) await file.write("[]");
    else {
      await file.write("[\n");
      for (const [i, s] of scenarios.entries()) await file.write(`    ${JSON.stringify(s, null, 2).replace(/\n/g, "\n    ")}${i < scenarios.length - 1 ? "," : ""}\n`);
      await file.write("  ]");
    }
    await file.write(`${after}\n`);
  } finally {
    await file.close();
  }
}
