import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { ComponentLink, type ServerRole } from "./component-link.js";

/**
 * Listens for XEP-0114 connections of one component. Keeps the current ready
 * link; a second connection while one is ready is refused (conflict).
 */
export class ComponentListener {
  private server: Server | undefined;
  private current: ComponentLink | undefined;
  private readonly links = new Set<ComponentLink>();
  private lastFailure: string | undefined;
  private waiters = new Set<(link: ComponentLink) => void>();
  private socketHook: ((socket: Socket) => void) | undefined;

  constructor(private role: ServerRole) {}

  /** Scenario-specific settings (e.g. the accounts the cast names); applies to the current link too. */
  setRole(role: ServerRole): void {
    this.role = role;
  }

  get serverRole(): ServerRole {
    return this.role;
  }

  async listen(host: string, port: number): Promise<number> {
    const server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.server = server;
    return this.port;
  }

  /** Sees each accepted socket before anything is read from it (the embedded mock's quiescence meter, mocks/quiescence.ts). */
  watchSockets(hook: (socket: Socket) => void): void {
    this.socketHook = hook;
  }

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  /** The ready link if there is one, else the next one to complete its handshake within `timeoutMs`. */
  waitForLink(timeoutMs: number): Promise<ComponentLink> {
    if (this.current?.ready) return Promise.resolve(this.current);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(settle);
        const why = this.lastFailure ? `; last attempt: ${this.lastFailure}` : this.links.size ? "; a connection is open but has not completed the handshake" : "; no connection at all";
        reject(new Error(`the component did not connect and complete the XEP-0114 handshake within ${timeoutMs} ms${why}`));
      }, timeoutMs);
      const settle = (link: ComponentLink) => {
        clearTimeout(timer);
        this.waiters.delete(settle);
        resolve(link);
      };
      this.waiters.add(settle);
    });
  }

  async close(): Promise<void> {
    for (const link of [...this.links]) link.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    this.socketHook?.(socket);
    const link: ComponentLink = new ComponentLink(socket, () => this.role, {
      ready: (l) => {
        if (this.current?.ready && this.current !== l) return false;
        this.current = l;
        queueMicrotask(() => {
          for (const waiter of [...this.waiters]) waiter(l);
        });
        return true;
      },
      closed: (l) => {
        this.links.delete(l);
        if (l.failure) this.lastFailure = l.failure;
        if (this.current === l) this.current = undefined;
      },
    });
    this.links.add(link);
  }
}
