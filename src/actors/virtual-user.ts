import type { Element } from "../xml/element.js";
import type { Captures } from "../xml/matcher.js";
import { ScenarioError } from "../runner/context.js";
import type { Actor } from "./actor.js";

/**
 * A user in a component-role scenario. The suite plays the server, so users
 * never have a connection of their own: they exist only as addresses
 * (`${juliet.full}`, `${juliet.bare}`) that the server writes into the
 * forwards it sends. Anything that needs a connection is a script error.
 */
export class VirtualUser implements Actor {
  readonly kind = "client";
  readonly address: string;

  constructor(
    readonly name: string,
    /** Local part of the account, e.g. juliet. */
    readonly username: string,
    readonly domain: string,
    readonly resource: string,
  ) {
    this.address = `${username}@${domain}/${resource}`;
  }

  get bare(): string {
    return `${this.username}@${this.domain}`;
  }

  private refuse(what: string): never {
    throw new ScenarioError(
      `${this.name} cannot ${what}: in the component role users are virtual (the suite plays the server); ` +
        `write what ${this.name} sends as a forward in a 'server sends:' step, and expect the component's answer with 'server receives:'`,
    );
  }

  async connect(): Promise<void> {
    this.refuse("connect");
  }

  async send(_stanza: Element): Promise<void> {
    this.refuse("send");
  }

  async sendRaw(_text: string): Promise<void> {
    this.refuse("send");
  }

  async expect(_pattern: Element, _timeoutMs: number, _captures: Captures): Promise<{ stanza: Element; captures: Captures }> {
    this.refuse("receive");
  }

  async expectAny(_patterns: Element[], _timeoutMs: number, _captures: Captures): Promise<{ stanza: Element; captures: Captures; alternative: number }> {
    this.refuse("receive");
  }

  async expectSeen(_pattern: Element, _timeoutMs: number, _captures: Captures): Promise<{ stanza: Element; captures: Captures }> {
    this.refuse("receive");
  }

  async expectNothing(_pattern: Element | undefined, _windowMs: number, _since: number, _captures: Captures): Promise<void> {
    this.refuse("receive");
  }

  async disconnect(): Promise<void> {
    this.refuse("disconnect");
  }

  async dispose(): Promise<void> {}
}
