import { parseJid as parseJidOnce, type Jid } from "../src/protocol/jid.js";

/**
 * src/protocol/jid.ts with its parses remembered: the mocks look at the same few addresses (the
 * domain, the users' full JIDs, the managing entities) a dozen times per delegated IQ, and each
 * parse slices and lower-cases anew. Same answers as jid.ts (pure functions of the text); the parsed
 * JIDs are frozen, being shared. Forgotten wholesale past MAX_REMEMBERED texts (peers choose them).
 */
const MAX_REMEMBERED = 4096;
const parsed = new Map<string, Readonly<Jid>>();
const bare = new Map<string, string>();

export function parseJid(text: string): Readonly<Jid> {
  let jid = parsed.get(text);
  if (jid === undefined) {
    if (parsed.size >= MAX_REMEMBERED) parsed.clear();
    jid = Object.freeze(parseJidOnce(text));
    parsed.set(text, jid);
  }
  return jid;
}

export function bareJid(text: string): string {
  let result = bare.get(text);
  if (result === undefined) {
    if (bare.size >= MAX_REMEMBERED) bare.clear();
    const jid = parseJid(text);
    result = jid.local ? `${jid.local}@${jid.domain}` : jid.domain;
    bare.set(text, result);
  }
  return result;
}

export function isFullJid(text: string): boolean {
  return parseJid(text).resource !== undefined;
}

export function sameJid(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a === b) return true;
  const x = parseJid(a);
  const y = parseJid(b);
  return x.local === y.local && x.domain === y.domain && x.resource === y.resource;
}
