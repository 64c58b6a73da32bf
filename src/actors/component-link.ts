import { createHash, randomUUID } from "node:crypto";
import { type Socket } from "node:net";
import { sameJid } from "../protocol/jid.js";
import { NS } from "../protocol/namespaces.js";
import type { PrivilegeGrant } from "../protocol/privilege.js";
import { streamError } from "../protocol/stanzas.js";
import type { ComponentCredentials, Delegation, ProtocolVersion } from "../target/types.js";
import { runSecrets } from "../record/redact.js";
import { Element, serialize } from "../xml/element.js";
import { LIMITS, formatSize, quoteBytes } from "../xml/limits.js";
import { StreamParser, XmlStreamError } from "../xml/stream-parser.js";
import { autoAnswer } from "./server-auto-answer.js";

/** What the suite, playing the delegating server, tells and answers a component. */
export interface ServerRole {
  /** The domain the suite pretends to serve (the `from` of advertisements and forwards). */
  domain: string;
  /** The component expected to connect, and its XEP-0114 secret. */
  component: ComponentCredentials;
  version: ProtocolVersion;
  /** Advertised after the handshake (#admin_perm). */
  delegations: Delegation[];
  /**
   * XEP-0356 permissions (#advertise), sent as one advertisement after the delegation one when
   * given, in the namespace of `privilegeVersion`.
   */
  privileges?: PrivilegeGrant;
  /** The XEP-0356 revision the component speaks (`:2` = 0.4.x, `:1` = 0.2–0.3); default `version`. */
  privilegeVersion?: ProtocolVersion;
  /** Local parts of the accounts that exist on `domain` (the rest get RFC 6121 §8.5.1 errors). */
  accounts: string[];
}

/** Something the link saw, replayed to whoever adopts it. */
export type LinkEvent =
  | { kind: "bytes"; direction: "in" | "out"; data: string }
  | { kind: "stanza"; stanza: Element }
  | { kind: "auto"; stanza: Element; at: number }
  | { kind: "note"; text: string }
  | { kind: "closed"; reason: string };

/**
 * One accepted XEP-0114 connection, server side: stream header with an id,
 * SHA-1 handshake (#example-3), `<handshake/>`, then stanzas. The queries a
 * real server answers (disco#info and roster gets to the server or users'
 * bare JIDs) are answered here, from the first stanza on; everything else
 * (and every byte) is kept as events until an actor adopts the link.
 */
export class ComponentLink {
  readonly streamId = randomUUID();
  private readonly parser = new StreamParser({ strict: true });
  private state: "header" | "handshake" | "ready" | "closed" = "header";
  private buffer: LinkEvent[] = [];
  private sink: ((event: LinkEvent) => void) | undefined;
  private closeReason = "";
  /** Once an adopter has left: what the component sends until the next adopter is counted and dropped, never replayed. */
  private released = false;
  private discarded = { events: 0, chars: 0 };
  /** What this adoption (or, before the first, the connection) has received so far, against LIMITS.streamChars/streamStanzas. */
  private budget = { chars: 0, stanzas: 0 };
  private endSeen = false;
  /** Why the handshake failed, when it did. */
  failure: string | undefined;
  readonly autoAnswered: { at: number; stanza: Element }[] = [];

  constructor(
    private readonly socket: Socket,
    private readonly role: () => ServerRole,
    private readonly events: { ready(link: ComponentLink): boolean; closed(link: ComponentLink): void },
  ) {
    // With the stream id, the digest allows an offline dictionary attack on the secret: never written, however it is split.
    runSecrets.addDigest(createHash("sha1").update(this.streamId + role().component.secret).digest("hex"));
    socket.setEncoding("utf8");
    // Stream header, handshake answer and advertisement are separate small writes: no Nagle wait between them.
    socket.setNoDelay(true);
    socket.on("data", (data: string) => {
      if (this.state === "closed") return;
      this.emit({ kind: "bytes", direction: "in", data });
      this.budget.chars += data.length;
      if (this.budget.chars > LIMITS.streamChars) {
        return this.refuse(new XmlStreamError("policy-violation", `more than ${formatSize(LIMITS.streamChars)} on one stream in one scenario (a flood)`, quoteBytes(data)));
      }
      if (this.parser.hasEnded && data.trim()) {
        return this.refuse(new XmlStreamError("not-well-formed", "data after the end of the stream (</stream:stream>)", quoteBytes(data)));
      }
      this.parser.write(data);
      if (this.endSeen && this.open) {
        try {
          this.write("</stream:stream>");
        } catch {
          // already unwritable
        }
        this.socket.end();
        this.finish("the component closed its stream");
      }
    });
    socket.on("close", () => this.finish("the component closed the TCP connection"));
    socket.on("error", (err) => this.finish(`socket error: ${err.message}`));
    this.parser.on("streamStart", (attrs) => this.onStreamStart(attrs));
    this.parser.on("stanza", (stanza) => {
      if (++this.budget.stanzas > LIMITS.streamStanzas) {
        return this.refuse(new XmlStreamError("policy-violation", `more than ${LIMITS.streamStanzas} stanzas on one stream in one scenario (a flood)`, quoteBytes(stanza.toString())));
      }
      this.onStanza(stanza);
    });
    // Closed once the read that carried </stream:stream> is parsed: data after it in the same read is refused instead.
    this.parser.on("streamEnd", () => (this.endSeen = true));
    this.parser.on("error", (err) => this.refuse(err));
  }

  get ready(): boolean {
    return this.state === "ready";
  }

  get open(): boolean {
    return this.state !== "closed";
  }

  /** Hands every past and future event to `sink` (one adopter at a time). */
  adopt(sink: (event: LinkEvent) => void): void {
    this.sink = sink;
    this.budget = { chars: 0, stanzas: 0 };
    if (this.discarded.events > 0) {
      const { events, chars } = this.discarded;
      this.discarded = { events: 0, chars: 0 };
      sink({ kind: "note", text: `${events} event${events === 1 ? "" : "s"} (${formatSize(chars)}) of the component's stream between scenarios were discarded, not replayed into this one` });
    }
    const past = this.buffer;
    this.buffer = [];
    for (const event of past) sink(event);
  }

  /** The adopter leaves: until the next one adopts the link, what arrives is dropped (and counted), never replayed. */
  release(): void {
    this.sink = undefined;
    this.released = true;
  }

  write(text: string): void {
    if (this.state === "closed" || !this.socket.writable) throw new Error("the component's stream is closed");
    this.emit({ kind: "bytes", direction: "out", data: text });
    this.socket.write(text);
  }

  send(stanza: Element): void {
    this.write(serialize(stanza));
  }

  /** Closes the stream cleanly (`</stream:stream>`) and waits a little for the TCP close. */
  async close(): Promise<void> {
    if (this.state === "closed") return;
    try {
      this.write("</stream:stream>");
    } catch {
      // already unwritable
    }
    this.socket.end();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.socket.destroy();
        resolve();
      }, 500);
      this.socket.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.finish("the suite closed the stream");
  }

  destroy(): void {
    this.socket.destroy();
    this.finish("the suite dropped the connection");
  }

  /** Input the suite does not take (XmlStreamError): closes the stream with the matching stream error, naming the offending bytes. */
  private refuse(err: XmlStreamError): void {
    if (this.state === "closed") return;
    const why = `the suite refused the component's input (${err.condition}): ${err.message}`;
    this.failure ??= why;
    try {
      this.write(streamError(err.condition, err.problem));
    } catch {
      // already unwritable
    }
    this.socket.end();
    this.socket.pause();
    setTimeout(() => this.socket.destroy(), 200).unref();
    this.finish(why);
  }

  /** Closes with a stream error (RFC 6120 §4.9). */
  fail(condition: string, text?: string): void {
    if (this.state === "closed") return;
    this.failure ??= text ? `${condition}: ${text}` : condition;
    try {
      this.write(streamError(condition, text));
    } catch {
      // already unwritable
    }
    this.socket.end();
    this.finish(`stream error ${condition}${text ? ` (${text})` : ""}`);
  }

  private emit(event: LinkEvent): void {
    if (this.sink) return this.sink(event);
    if (this.released && event.kind !== "closed") {
      this.discarded.events++;
      if (event.kind === "bytes") this.discarded.chars += event.data.length;
      return;
    }
    this.buffer.push(event);
  }

  private finish(reason: string): void {
    if (this.state === "closed") return;
    const wasReady = this.state === "ready";
    this.state = "closed";
    this.closeReason = reason;
    if (!wasReady) this.failure ??= reason;
    this.emit({ kind: "closed", reason: this.closeReason });
    this.events.closed(this);
  }

  private onStreamStart(attrs: Record<string, string>): void {
    if (this.state !== "header") return this.fail("not-authorized", "stream restarted");
    const role = this.role();
    const to = attrs.to ?? "";
    this.write(
      `<?xml version='1.0'?><stream:stream xmlns='${NS.component}' xmlns:stream='${NS.stream}' id='${this.streamId}' from='${to.replace(/'/g, "&apos;")}'>`,
    );
    if (!sameJid(to, role.component.jid)) return this.fail("host-unknown", `expected the component ${role.component.jid}, got '${to}'`);
    this.state = "handshake";
  }

  private onStanza(stanza: Element): void {
    if (this.state === "handshake") return this.onHandshake(stanza);
    if (this.state !== "ready") return;
    const answer = autoAnswer(stanza, this.role());
    if (answer) {
      const at = Date.now();
      this.autoAnswered.push({ at, stanza });
      this.emit({ kind: "auto", stanza, at });
      try {
        this.send(answer);
      } catch {
        // closed meanwhile
      }
      return;
    }
    this.emit({ kind: "stanza", stanza });
  }

  private onHandshake(stanza: Element): void {
    const expected = createHash("sha1").update(this.streamId + this.role().component.secret).digest("hex");
    runSecrets.addDigest(expected);
    if (stanza.name !== "handshake" || stanza.getText().trim().toLowerCase() !== expected) {
      return this.fail("not-authorized", stanza.name === "handshake" ? "wrong handshake digest" : `<${stanza.name}/> before the handshake`);
    }
    if (!this.events.ready(this)) return this.fail("conflict", "the component is already connected");
    this.state = "ready";
    this.write("<handshake/>");
    this.emit({ kind: "note", text: "handshake verified" });
  }
}
