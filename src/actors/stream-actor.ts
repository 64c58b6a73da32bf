import type { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import { Element, childElements, serialize } from "../xml/element.js";
import type { Captures } from "../xml/matcher.js";
import type { XmlStreamError } from "../xml/stream-parser.js";
import type { Actor, ActorKind } from "./actor.js";
import { Inbox } from "./inbox.js";
import { guardConnection } from "./socket-tap.js";
import type { Transcript } from "./transcript.js";

/** What the xmpp.js entities (client, component) have in common for us. */
export interface XmppConnection extends EventEmitter {
  socket: Socket | null;
  status: string;
  write(text: string): Promise<void>;
  disconnect(): Promise<unknown>;
}

/** Shared behaviour of actors that sit on an xmpp.js connection. */
export abstract class StreamActor implements Actor {
  abstract readonly kind: ActorKind;
  abstract readonly address: string;
  protected readonly inbox: Inbox;
  protected connection: XmppConnection | undefined;
  /** Why the suite refused the target's input, when it did. */
  private refused: string | undefined;
  /** The target's last stream error, "condition: text" (RFC 6120 §4.9). */
  private streamErrorSeen: string | undefined;
  private closingBySuite = false;
  private disposed = false;
  private connectedAt = 0;

  constructor(
    readonly name: string,
    protected readonly transcript: Transcript,
    streamNamespace: string,
  ) {
    this.inbox = new Inbox(streamNamespace);
  }

  abstract connect(): Promise<void>;

  /** The connection has ended (by either side). */
  get isClosed(): boolean {
    return this.inbox.closed !== undefined;
  }

  /** Every stanza received so far, including stream errors. */
  get received(): Element[] {
    return this.inbox.all();
  }

  /** Guards the connection's input and turns stream events into inbox entries; call before it connects. */
  protected attach(connection: XmppConnection): void {
    // A scenario body still running after its deadline or Ctrl-C must not open connections nobody closes.
    if (this.disposed) throw new Error(`${this.name} cannot connect: the scenario has ended`);
    this.connection = connection;
    guardConnection(connection, this.transcript, this.name, { rejected: (err) => this.onRefused(err) });
    connection.on("connect", () => {
      this.connectedAt = Date.now();
      // Each flight of a login or handshake is several small writes: with Nagle, each waits out the peer's delayed ACK (~40 ms).
      connection.socket?.setNoDelay(true);
    });
    connection.on("error", (err: Error & { condition?: unknown; text?: unknown }) => {
      if (err.name === "StreamError" && typeof err.condition === "string") {
        this.streamErrorSeen ??= `<${err.condition}/>${err.text ? ` "${String(err.text)}"` : ""}`;
      }
      this.transcript.note(this.name, `connection error: ${err.message}`);
    });
    connection.on("disconnect", () => this.inbox.close(this.closeReason()));
  }

  /** From here on, every element goes to the scenario and nothing answers automatically. */
  protected takeOverElements(connection: XmppConnection): void {
    connection.removeAllListeners("element");
    connection.on("element", (el: Element) => {
      if (el.name === "stream:error") this.transcript.note(this.name, `stream error received: ${describeStreamError(el)}`);
      this.inbox.push(el);
    });
  }

  /**
   * `login` (xmpp.js start or handshake) within `ms`, failing as soon as the connection ends
   * instead of at the timeout, with why it ended (the target's stream error and its text, refused
   * input, or a plain close).
   */
  protected async whileConnecting<T>(login: Promise<T>, ms: number, what: string): Promise<T> {
    const started = Date.now();
    let unsubscribe: (() => void) | undefined;
    const ended = new Promise<never>((_, reject) => {
      unsubscribe = this.inbox.onClose(() => reject(new Error(`${what} failed after ${Date.now() - started} ms: ${this.closeReason()}`)));
    });
    ended.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms${this.connectedAt ? " (the TCP connection was open, the target did not complete it)" : ""}`)), ms);
    });
    try {
      return await Promise.race([login, ended, timeout]);
    } finally {
      clearTimeout(timer);
      unsubscribe?.();
    }
  }

  async send(stanza: Element): Promise<void> {
    await this.sendRaw(serialize(stanza));
  }

  async sendRaw(text: string): Promise<void> {
    const connection = this.requireConnection();
    await connection.write(text);
  }

  expect(pattern: Element, timeoutMs: number, captures: Captures) {
    return this.inbox.expect(pattern, timeoutMs, captures);
  }

  expectAny(patterns: Element[], timeoutMs: number, captures: Captures) {
    return this.inbox.expectAny(patterns, timeoutMs, captures);
  }

  expectSeen(pattern: Element, timeoutMs: number, captures: Captures) {
    return this.inbox.expectSeen(pattern, timeoutMs, captures);
  }

  expectNothing(pattern: Element | undefined, windowMs: number, since: number, captures: Captures): Promise<void> {
    return this.inbox.expectNothing(pattern, windowMs, since, captures);
  }

  async disconnect(): Promise<void> {
    const connection = this.requireConnection();
    this.closingBySuite = true;
    await withTimeout(connection.disconnect(), 2000).catch(() => connection.socket?.destroy());
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    // Steps still waiting (a body running on after Ctrl-C or its deadline) end now, and their timers with them.
    this.inbox.close("the scenario ended");
    const connection = this.connection;
    if (!connection) return;
    this.closingBySuite = true;
    if (connection.status !== "offline" && connection.status !== "disconnect") {
      await withTimeout(connection.disconnect(), 1000).catch(() => undefined);
    }
    connection.socket?.destroy();
    // An IQ xmpp.js was still waiting for (the resource binding of an interrupted login) would keep a 30 s timer alive.
    const pending = (connection as { iqCaller?: { handlers?: Map<string, { reject(err: Error): void }> } }).iqCaller?.handlers;
    for (const request of pending?.values() ?? []) request.reject(new Error(`${this.name}: the scenario has ended`));
    pending?.clear();
    connection.removeAllListeners();
    connection.on("error", () => undefined);
  }

  private onRefused(err: XmlStreamError): void {
    this.refused ??= `the suite refused the target's input (${err.condition}): ${err.message}`;
    this.inbox.close(this.closeReason());
  }

  /** Why the stream ended, in words for a verdict. */
  private closeReason(): string {
    const received = this.inbox.all().find((el) => el.name === "stream:error");
    const streamError = this.streamErrorSeen ?? (received ? describeStreamError(received) : undefined);
    const byTarget = streamError ? `the target closed the stream with a stream error ${streamError}` : undefined;
    if (this.refused) return byTarget ? `${byTarget}; then ${this.refused}` : this.refused;
    if (byTarget) return byTarget;
    if (this.closingBySuite) return "the suite closed the stream";
    return this.connectedAt ? "the target closed the connection" : "the connection could not be opened";
  }

  private requireConnection(): XmppConnection {
    if (!this.connection) throw new Error(`${this.name} is not connected`);
    if (!this.connection.socket || this.inbox.closed) {
      throw new Error(this.inbox.closed ? `${this.name}'s stream is closed: ${this.inbox.closed}` : `${this.name} is not connected`);
    }
    return this.connection;
  }
}

/** `<policy-violation/> "text"` for a received `<stream:error>`. */
export function describeStreamError(el: Element): string {
  const kids = childElements(el);
  const condition = kids.find((k) => k.name !== "text");
  const text = kids.find((k) => k.name === "text")?.getText();
  return `${condition ? `<${condition.name}/>` : "(no condition)"}${text ? ` "${text.slice(0, 300)}"` : ""}`;
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what = "operation"): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
