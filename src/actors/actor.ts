import type { Element } from "../xml/element.js";
import type { Captures } from "../xml/matcher.js";

export type ActorKind = "client" | "component" | "server";

/** A party the scenario script drives (a client user, a component, or the suite playing the server). */
export interface Actor {
  readonly name: string;
  readonly kind: ActorKind;
  /** The actor's address once connected (full JID for clients). */
  readonly address: string;
  connect(): Promise<void>;
  send(stanza: Element): Promise<void>;
  /** Writes text as is, possibly malformed. */
  sendRaw(text: string): Promise<void>;
  /** Consumes the first stanza that matches; throws ExpectationTimeout. */
  expect(pattern: Element, timeoutMs: number, captures: Captures): Promise<{ stanza: Element; captures: Captures }>;
  /** Consumes the first stanza matching any pattern, with the index of the one it matched; throws ExpectationTimeout. */
  expectAny(patterns: Element[], timeoutMs: number, captures: Captures): Promise<{ stanza: Element; captures: Captures; alternative: number }>;
  /** Some stanza received so far (consumed or not), or within the timeout, matches; consumes nothing. */
  expectSeen(pattern: Element, timeoutMs: number, captures: Captures): Promise<{ stanza: Element; captures: Captures }>;
  /** Throws UnexpectedStanza if a matching stanza (any when undefined) is pending since `since` or arrives within the window. */
  expectNothing(pattern: Element | undefined, windowMs: number, since: number, captures: Captures): Promise<void>;
  disconnect(): Promise<void>;
  /** Releases the connection whatever its state; never throws. */
  dispose(): Promise<void>;
}
