/**
 * What the recording proxy saw: every proxied connection and, in the order the
 * proxy received them, the stream events of both directions of all of them.
 * Plain data (strings, no Element objects), so a recording can be kept as JSON
 * and fed to the script writer in tests.
 */

/** `up`: client → server (what the recorded party sends); `down`: server → client (what it receives). */
export type Direction = "up" | "down";

export interface RecordedConnection {
  /** 1, 2, … in the order the proxy accepted them. */
  id: number;
  /** The listener it came in on, e.g. "127.0.0.1:5347". */
  listen: string;
  /** Where the proxy forwarded it, e.g. "127.0.0.1:15347". */
  upstream: string;
  /** Milliseconds since the recording started. */
  openedAt: number;
  closedAt?: number;
  /** What the connection's first stream header said it is (jabber:client, jabber:component:accept, anything else). */
  stream?: "client" | "component" | "other";
}

interface EventBase {
  /** Order across all connections (what the proxy received first comes first). */
  seq: number;
  /** Milliseconds since the recording started. */
  t: number;
  conn: number;
}

export type RecordedEvent =
  | (EventBase & { kind: "stream-start"; dir: Direction; attrs: Record<string, string> })
  /** One top-level element (stanza, stream:features, SASL nonza, handshake …), serialized. */
  | (EventBase & { kind: "stanza"; dir: Direction; xml: string })
  | (EventBase & { kind: "stream-end"; dir: Direction })
  /**
   * Traffic that is not well-formed XML: `text` is what the parser could not take
   * (redacted, truncated to a few KB); that direction is not parsed any further.
   */
  | (EventBase & { kind: "malformed"; dir: Direction; error: string; text: string; truncated: boolean })
  /** Non-whitespace text between stanzas (ignored by XMPP parsers that tolerate it, an error for strict ones). */
  | (EventBase & { kind: "stray-text"; dir: Direction; text: string })
  /** STARTTLS succeeded: the rest is encrypted and passed on without being parsed. */
  | (EventBase & { kind: "tls"; dir: Direction })
  /** Bytes of a direction that were passed on without parsing (after malformed traffic or TLS), counted at close. */
  | (EventBase & { kind: "unparsed"; dir: Direction; bytes: number })
  /** The connection ended: who closed first, and a reason (socket error, upstream unreachable). */
  | (EventBase & { kind: "closed"; by: "client" | "server" | "proxy"; reason?: string });

export interface Recording {
  /** ISO time the proxy started. */
  startedAt: string;
  connections: RecordedConnection[];
  /** Sorted by seq. */
  events: RecordedEvent[];
}
