import type { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import { Element, serialize } from "../xml/element.js";
import type { Captures } from "../xml/matcher.js";
import type { Actor, ActorKind } from "./actor.js";
import { Inbox } from "./inbox.js";
import { tapSocket } from "./socket-tap.js";
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

  /** Taps the socket as soon as it exists, and turns stream events into inbox entries. */
  protected attach(connection: XmppConnection): void {
    this.connection = connection;
    connection.on("connect", () => {
      if (!connection.socket) return;
      // Each flight of a login or handshake is several small writes: with Nagle, each waits out the peer's delayed ACK (~40 ms).
      connection.socket.setNoDelay(true);
      tapSocket(connection.socket, this.transcript, this.name);
    });
    connection.on("error", (err: Error) => this.transcript.note(this.name, `connection error: ${err.message}`));
    connection.on("disconnect", () => this.inbox.close("disconnected"));
  }

  /** From here on, every element goes to the scenario and nothing answers automatically. */
  protected takeOverElements(connection: XmppConnection): void {
    connection.removeAllListeners("element");
    connection.on("element", (el: Element) => {
      if (el.name === "stream:error") this.transcript.note(this.name, `stream error received`);
      this.inbox.push(el);
    });
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
    await withTimeout(connection.disconnect(), 2000).catch(() => connection.socket?.destroy());
  }

  async dispose(): Promise<void> {
    const connection = this.connection;
    if (!connection) return;
    if (connection.status !== "offline" && connection.status !== "disconnect") {
      await withTimeout(connection.disconnect(), 1000).catch(() => undefined);
    }
    connection.socket?.destroy();
    connection.removeAllListeners();
    connection.on("error", () => undefined);
  }

  private requireConnection(): XmppConnection {
    if (!this.connection || !this.connection.socket) throw new Error(`${this.name} is not connected`);
    return this.connection;
  }
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
