import { createHash } from "node:crypto";

/** Attribute values go into hand-built stanzas: the bench writes strings, never element trees, for speed. */
export function attr(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/'/g, "&apos;").replace(/</g, "&lt;").replace(/"/g, "&quot;");
}

export const STREAM_NS = "http://etherx.jabber.org/streams";

export function clientStreamHeader(domain: string): string {
  return `<?xml version='1.0'?><stream:stream to='${attr(domain)}' version='1.0' xmlns='jabber:client' xmlns:stream='${STREAM_NS}'>`;
}

export function componentStreamHeader(jid: string): string {
  return `<?xml version='1.0'?><stream:stream to='${attr(jid)}' xmlns='jabber:component:accept' xmlns:stream='${STREAM_NS}'>`;
}

/** XEP-0114 §3: hex SHA-1 of the stream id followed by the secret. */
export function handshakeDigest(streamId: string, secret: string): string {
  return createHash("sha1").update(streamId + secret).digest("hex");
}

/** Rejects after `ms` unless `promise` settles first; the timer never keeps the process alive. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
