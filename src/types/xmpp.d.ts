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
  }
  export function client(options: ClientOptions): XmppEntity;
}

declare module "@xmpp/component-core" {
  import type { EventEmitter } from "node:events";
  import type { Socket } from "node:net";
  import type { Element } from "ltx";
  export class Component extends EventEmitter {
    constructor(options: { service: string; domain: string; password?: string; timeout?: number });
    socket: Socket | null;
    status: string;
    jid: { toString(): string } | null;
    start(): Promise<unknown>;
    stop(): Promise<unknown>;
    disconnect(): Promise<unknown>;
    connect(service: string): Promise<unknown>;
    open(options: { domain: string }): Promise<Element>;
    authenticate(id: string, password: string): Promise<void>;
    write(text: string): Promise<void>;
    send(el: Element): Promise<void>;
  }
}
