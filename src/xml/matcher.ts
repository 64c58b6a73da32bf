import { Element, childElements, namespaceOf, ownText, serialize } from "./element.js";

/**
 * Stanza matcher. A received stanza matches a pattern when element names,
 * namespaces, every attribute written in the pattern and every child of the
 * pattern are present; extra attributes and children are tolerated and child
 * order is ignored. Markers (removed before comparing):
 *   match:strict="true"   this element may carry no extra attribute or child
 *   match:absent="a b"    these attributes must not be present
 *   match:count="0"       (on a child) no received child may match it
 *   <match:deep>P</match:deep>  some descendant, at any depth, matches P
 *   xmlns="{any}"         any namespace, here and below
 * Values and text may hold `{any}` or `{$name}` (captured on first use, must
 * be equal afterwards).
 */
export type Captures = Map<string, string>;

export interface MatchFailure {
  ok: false;
  /** e.g. /iq/delegation/forwarded/iq@from */
  path: string;
  expected: string;
  received: string;
}
export type MatchResult = { ok: true; captures: Captures } | MatchFailure;

const MARKER_STRICT = "match:strict";
const MARKER_ABSENT = "match:absent";
const MARKER_COUNT = "match:count";
const DEEP = "match:deep";
const MARKERS = new Set([MARKER_STRICT, MARKER_ABSENT, MARKER_COUNT]);
const PLACEHOLDER = /\{any\}|\{\$([A-Za-z_][\w.-]*)\}/g;

export interface MatchOptions {
  /** Namespace of the received stanza's stream (jabber:client, jabber:component:accept). */
  streamNamespace?: string;
}

export function match(pattern: Element, received: Element, captures: Captures = new Map(), options: MatchOptions = {}): MatchResult {
  const working = new Map(captures);
  const failure = matchElement(pattern, received, working, `/${pattern.name}`, options.streamNamespace, true);
  return failure ?? { ok: true, captures: working };
}

function matchElement(
  pattern: Element,
  received: Element,
  captures: Captures,
  path: string,
  streamNs: string | undefined,
  top: boolean,
): MatchFailure | undefined {
  if (pattern.name !== received.name) {
    return fail(path, `<${pattern.name}>`, `<${received.name}>`);
  }
  const expectedNs = patternNamespace(pattern, top);
  if (expectedNs !== undefined) {
    const receivedNs = namespaceOf(received, streamNs);
    if (!matchValue(expectedNs, receivedNs ?? "", new Map())) return fail(path, `xmlns='${expectedNs}'`, receivedNs ? `xmlns='${receivedNs}'` : "no namespace");
  }
  for (const [name, value] of Object.entries(pattern.attrs)) {
    if (MARKERS.has(name) || name === "xmlns") continue;
    const got = received.attrs[name];
    if (got === undefined) return fail(`${path}@${name}`, `'${value}'`, "attribute missing");
    if (!matchValue(String(value), String(got), captures)) return fail(`${path}@${name}`, `'${value}'`, `'${got}'`);
  }
  for (const name of String(pattern.attrs[MARKER_ABSENT] ?? "").split(/\s+/).filter(Boolean)) {
    if (received.attrs[name] !== undefined) return fail(`${path}@${name}`, "attribute absent", `'${received.attrs[name]}'`);
  }
  const strict = pattern.attrs[MARKER_STRICT] === "true";
  if (strict) {
    for (const name of Object.keys(received.attrs)) {
      if (name !== "xmlns" && !(name in pattern.attrs)) return fail(`${path}@${name}`, "no such attribute (strict)", `'${received.attrs[name]}'`);
    }
  }
  const expectedText = ownText(pattern).trim();
  if (expectedText && !matchValue(expectedText, ownText(received).trim(), captures)) {
    return fail(`${path}/text()`, `'${expectedText}'`, `'${ownText(received).trim()}'`);
  }
  const allKids = childElements(pattern);
  const deep = allKids.filter((k) => k.name === DEEP);
  const negative = allKids.filter((k) => k.attrs[MARKER_COUNT] === "0");
  const patternKids = allKids.filter((k) => k.name !== DEEP && k.attrs[MARKER_COUNT] !== "0");
  const receivedKids = childElements(received);
  if (strict && receivedKids.length > patternKids.length) {
    const extra = receivedKids.find((k) => !patternKids.some((p) => p.name === k.name)) ?? receivedKids[patternKids.length];
    return fail(`${path}/${extra.name}`, "no further child (strict)", serialize(extra));
  }
  for (const p of negative) {
    const hit = receivedKids.find((k) => !matchElement(p, k, new Map(captures), `${path}/${p.name}`, streamNs, false));
    if (hit) return fail(`${path}/${p.name}`, `no ${serializeShallow(p)}`, serialize(hit));
  }
  for (const d of deep) {
    const target = childElements(d)[0];
    if (!target) continue;
    const failure = matchDescendant(target, received, captures, `${path}//${target.name}`, streamNs);
    if (failure) return failure;
  }
  return matchChildren(patternKids, receivedKids, captures, path, streamNs);
}

/**
 * <match:deep>: the first descendant of `received` that matches wins (its captures are kept).
 * On failure, explains the nearest same-named descendant.
 */
function matchDescendant(pattern: Element, received: Element, captures: Captures, path: string, streamNs: string | undefined): MatchFailure | undefined {
  const queue = [...childElements(received)];
  let nearest: MatchFailure | undefined;
  while (queue.length) {
    const candidate = queue.shift()!;
    const trial = new Map(captures);
    const failure = matchElement(pattern, candidate, trial, path, streamNs, false);
    if (!failure) {
      for (const [k, v] of trial) captures.set(k, v);
      return undefined;
    }
    if (candidate.name === pattern.name && (!nearest || depth(failure.path) > depth(nearest.path))) nearest = failure;
    queue.push(...childElements(candidate));
  }
  return nearest ?? fail(path, serializeShallow(pattern), "no such descendant");
}

/** Assigns each pattern child a distinct received child (order ignored), backtracking. */
function matchChildren(
  patternKids: Element[],
  receivedKids: Element[],
  captures: Captures,
  path: string,
  streamNs: string | undefined,
): MatchFailure | undefined {
  const used = new Set<number>();
  let deepest: MatchFailure | undefined;
  const assign = (i: number): boolean => {
    if (i === patternKids.length) return true;
    const p = patternKids[i];
    const childPath = `${path}/${p.name}`;
    let tried = false;
    for (let j = 0; j < receivedKids.length; j++) {
      if (used.has(j)) continue;
      const trial = new Map(captures);
      const failure = matchElement(p, receivedKids[j], trial, childPath, streamNs, false);
      if (failure) {
        if (receivedKids[j].name === p.name) tried = true;
        if (!deepest || depth(failure.path) > depth(deepest.path)) deepest = failure;
        continue;
      }
      used.add(j);
      const before = new Map(captures);
      for (const [k, v] of trial) captures.set(k, v);
      if (assign(i + 1)) return true;
      used.delete(j);
      captures.clear();
      for (const [k, v] of before) captures.set(k, v);
    }
    if (!tried && (!deepest || depth(deepest.path) <= depth(childPath))) {
      deepest = fail(childPath, serializeShallow(p), "element missing");
    }
    return false;
  };
  return assign(0) ? undefined : deepest;
}

function patternNamespace(pattern: Element, top: boolean): string | undefined {
  // A pattern's top element without xmlns leaves the stream namespace open;
  // below it, an unqualified child inherits whatever its ancestors declared.
  for (let node: Element | null = pattern; node; node = node.parent as Element | null) {
    if (typeof node.attrs.xmlns === "string") return node.attrs.xmlns;
    if (top) return undefined;
    if (node.name === DEEP) return undefined; // the deep target's pattern ancestors are not its received ancestors
  }
  return undefined;
}

export function matchValue(pattern: string, value: string, captures: Captures): boolean {
  if (!pattern.includes("{")) return pattern === value;
  const names: string[] = [];
  let source = "";
  let last = 0;
  for (const m of pattern.matchAll(PLACEHOLDER)) {
    source += escapeRegExp(pattern.slice(last, m.index));
    const name = m[1];
    if (name === undefined) source += "[\\s\\S]*?";
    else if (captures.has(name)) source += escapeRegExp(captures.get(name)!);
    else if (names.includes(name)) source += `\\k<${groupName(name)}>`;
    else {
      names.push(name);
      source += `(?<${groupName(name)}>[\\s\\S]*?)`;
    }
    last = (m.index ?? 0) + m[0].length;
  }
  source += escapeRegExp(pattern.slice(last));
  const result = new RegExp(`^${source}$`).exec(value);
  if (!result) return false;
  for (const name of names) captures.set(name, result.groups?.[groupName(name)] ?? "");
  return true;
}

/** Substitutes captured values into text to be sent (`{$name}`). */
export function substituteCaptures(text: string, captures: Captures): string {
  return text.replace(/\{\$([A-Za-z_][\w.-]*)\}/g, (whole, name: string) => {
    const value = captures.get(name);
    if (value === undefined) throw new Error(`capture {$${name}} used before it was captured`);
    return value;
  });
}

function groupName(name: string): string {
  return "c_" + name.replace(/[^\w]/g, "_");
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function depth(path: string): number {
  return path.split(/[/@]/).length;
}

function serializeShallow(el: Element): string {
  const attrs = Object.entries(el.attrs)
    .filter(([k]) => !MARKERS.has(k))
    .map(([k, v]) => ` ${k}='${v}'`)
    .join("");
  return `<${el.name}${attrs}>`;
}

function fail(path: string, expected: string, received: string): MatchFailure {
  return { ok: false, path, expected, received };
}

export function describeFailure(f: MatchFailure): string {
  return `at ${f.path}: expected ${f.expected}, received ${f.received}`;
}
