/** Minimal JID handling (RFC 7622), enough for routing decisions on loopback test domains. */
export interface Jid {
  local?: string;
  domain: string;
  resource?: string;
}

export function parseJid(text: string): Jid {
  const slash = text.indexOf("/");
  const resource = slash >= 0 ? text.slice(slash + 1) : undefined;
  const bare = slash >= 0 ? text.slice(0, slash) : text;
  const at = bare.indexOf("@");
  return at >= 0
    ? { local: bare.slice(0, at).toLowerCase(), domain: bare.slice(at + 1).toLowerCase(), resource }
    : { domain: bare.toLowerCase(), resource };
}

export function bareJid(text: string): string {
  const jid = parseJid(text);
  return jid.local ? `${jid.local}@${jid.domain}` : jid.domain;
}

export function isFullJid(text: string): boolean {
  return parseJid(text).resource !== undefined;
}

export function sameJid(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const x = parseJid(a);
  const y = parseJid(b);
  return x.local === y.local && x.domain === y.domain && x.resource === y.resource;
}
