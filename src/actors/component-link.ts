import { createHash, randomUUID } from "node:crypto";
import { type Socket } from "node:net";
import { sameJid } from "../protocol/jid.js";
import { NS } from "../protocol/namespaces.js";
import { streamError } from "../protocol/stanzas.js";
import type { ComponentCredentials, Delegation, ProtocolVersion } from "../target/types.js";
import { Element, serialize } from "../xml/element.js";
import { StreamParser } from "../xml/stream-parser.js";
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
  /** XEP-0356 permissions, sent as one `urn:xmpp:privilege:2` advertisement when given. */
  privileges?: { roster?: string; message?: string; presence?: string };
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
  private readonly parser = new StreamParser();
  private state: "header" | "handshake" | "ready" | "closed" = "header";
  private buffer: LinkEvent[] = [];
  private sink: ((event: LinkEvent) => void) | undefined;
  private closeReason = "";
  /** Why the handshake failed, when it did. */
  failure: string | undefined;
  readonly autoAnswered: { at: number; stanza: Element }[] = [];

  constructor(
    private readonly socket: Socket,
    private readonly role: () => ServerRole,
    private readonly events: { ready(link: ComponentLink): boolean; closed(link: ComponentLink): void },
  ) {
    socket.setEncoding("utf8");
    // Stream header, handshake answer and advertisement are separate small writes: no Nagle wait between them.
    socket.setNoDelay(true);
    socket.on("data", (data: string) => {
      this.emit({ kind: "bytes", direction: "in", data });
      this.parser.write(data);
    });
    socket.on("close", () => this.finish("the component closed the TCP connection"));
    socket.on("error", (err) => this.finish(`socket error: ${err.message}`));
    this.parser.on("streamStart", (attrs) => this.onStreamStart(attrs));
    this.parser.on("stanza", (stanza) => this.onStanza(stanza));
    this.parser.on("streamEnd", () => {
      this.write("</stream:stream>");
      this.socket.end();
      this.finish("the component closed its stream");
    });
    this.parser.on("error", (err) => this.fail("not-well-formed", err.message));
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
    const past = this.buffer;
    this.buffer = [];
    for (const event of past) sink(event);
  }

  /** The adopter leaves: events are buffered again for the next one. */
  release(): void {
    this.sink = undefined;
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
    if (this.sink) this.sink(event);
    else this.buffer.push(event);
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
    if (stanza.name !== "handshake" || stanza.getText().trim().toLowerCase() !== expected) {
      return this.fail("not-authorized", stanza.name === "handshake" ? "wrong handshake digest" : `<${stanza.name}/> before the handshake`);
    }
    if (!this.events.ready(this)) return this.fail("conflict", "the component is already connected");
    this.state = "ready";
    this.write("<handshake/>");
    this.emit({ kind: "note", text: "handshake verified" });
  }
}
