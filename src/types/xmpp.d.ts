// Minimal typings for the parts of xmpp.js the actors use (xmpp.js ships none).
declare module "@xmpp/client" {
  import type { EventEmitter } from "node:events";
  import type { Socket } from "node:net";
  import type { Element } from "ltx";
  export type Authenticate = (credentials: { username: string; password: string }, mechanism: string) => Promise<void>;
  export interface ClientOptions {
    service: string;
    domain: string;
    resource?: string;
    timeout?: number;
    credentials: (authenticate: Authenticate, mechanisms: string[]) => Promise<void>;
  }
  export interface XmppEntity extends EventEmitter {
    socket: (Socket & { secure?: boolean }) | null;
    status: string;
    jid: { toString(): string } | null;
    reconnect: { stop(): void };
    start(): Promise<unknown>;
    stop(): Promise<unknown>;
    disconnect(): Promise<unknown>;
    write(text: string): Promise<void>;
    send(el: Element): Promise<void>;
    /** The steps of start(): the socket, then the stream. */
    connect(service: string): Promise<unknown>;
    open(options: { domain: string; lang?: string }): Promise<unknown>;
    options: ClientOptions & { lang?: string };
  }
  export function client(options: ClientOptions): XmppEntity;
}

declare module "@xmpp/component-core" {
  import type { EventEmitter } from "node:events";
  import type { Socket } from "node:net";
  import type { Element } from "ltx";
  export class Component extends EventEmitter {
    constructor(options: { service: string; domain: string; password?: string; timeout?: number });
    /** Milliseconds for open/close/sendReceive (0.13 ignores the constructor's `timeout`). */
    timeout: number;
    socket: Socket | null;
    status: string;
    jid: { toString(): string } | null;
    start(): Promise<unknown>;
    stop(): Promise<unknown>;
    disconnect(): Promise<unknown>;
    connect(service: string): Promise<unknown>;
    open(options: { domain: string; timeout?: number }): Promise<Element>;
    authenticate(id: string, password: string): Promise<void>;
    write(text: string): Promise<void>;
    send(el: Element): Promise<void>;
  }
}

declare module "@xmpp/component" {
  import type { EventEmitter } from "node:events";
  import type { Socket } from "node:net";
  import type { Element } from "ltx";
  /** @xmpp/component 0.13's component(): a component-core Component with middleware, IQ caller and callee, and reconnect. */
  export interface XmppComponent extends EventEmitter {
    socket: Socket | null;
    status: string;
    /** Of the connect, open and handshake steps. */
    timeout: number;
    reconnect: { stop(): void };
    middleware: { use(fn: (ctx: { stanza: Element }, next: () => Promise<unknown>) => unknown): void };
    start(): Promise<unknown>;
    stop(): Promise<unknown>;
    disconnect(): Promise<unknown>;
    write(text: string): Promise<void>;
  }
  export function component(options: { service: string; domain: string; password: string }): XmppComponent;
}
