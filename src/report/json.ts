import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
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
  title: "XEP-0355 conformance run",
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
    scenarios: { type: "array", items: { $ref: "#/$defs/scenario" } },
    requirements: { type: "array", items: { $ref: "#/$defs/requirement" } },
  },
  $defs: {
    verdict,
    role,
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
        spec: { type: "string", enum: ["0355", "0356"], description: "the specification whose catalogue holds the row: XEP-0355 or XEP-0356" },
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

export async function writeJsonReport(run: RunResult, path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, JSON.stringify(run, null, 2) + "\n", "utf8");
}
