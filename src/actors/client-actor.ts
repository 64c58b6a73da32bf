import type { Socket } from "node:net";
import { client, type Authenticate, type XmppEntity } from "@xmpp/client";
import type { Account } from "../target/types.js";
import type { Element } from "../xml/element.js";
import { StreamActor } from "./stream-actor.js";
import type { Transcript } from "./transcript.js";

export interface ClientEndpoint {
  host: string;
  port: number;
  domain: string;
  connectTimeoutMs: number;
  /** Sees the TCP socket once connected, before anything goes through it (the embedded mocks' quiescence meter). */
  onSocket?: (socket: Socket) => void;
}

const NS_SM = "urn:xmpp:sm:3";

/** A user (RFC 6120 client) logged in with a resource unique to this scenario. */
export class ClientActor extends StreamActor {
  readonly kind = "client";
  private boundJid = "";

  constructor(
    name: string,
    transcript: Transcript,
    private readonly endpoint: ClientEndpoint,
    private readonly account: Account,
    readonly resource: string,
  ) {
    super(name, transcript, "jabber:client");
    transcript.addSecret(account.password);
    // The SASL PLAIN payloads it may send (RFC 4616: [authzid] NUL authcid NUL passwd), should a target echo one.
    for (const authzid of ["", `${account.username}@${endpoint.domain}`]) {
      transcript.addSecret(Buffer.from(`${authzid}\0${account.username}\0${account.password}`).toString("base64"));
    }
  }

  get address(): string {
    return this.boundJid || `${this.account.username}@${this.endpoint.domain}/${this.resource}`;
  }

  get bare(): string {
    return `${this.account.username}@${this.endpoint.domain}`;
  }

  async connect(): Promise<void> {
    const { username, password } = this.account;
    const xmpp = client({
      service: `xmpp://${this.endpoint.host}:${this.endpoint.port}`,
      domain: this.endpoint.domain,
      resource: this.resource,
      timeout: this.endpoint.connectTimeoutMs,
      // xmpp.js 0.14 never picks PLAIN on a plain TCP stream; on loopback we want it (SCRAM when PLAIN is not offered).
      credentials: (authenticate: Authenticate, mechanisms: string[]) =>
        authenticate({ username, password }, mechanisms.includes("PLAIN") ? "PLAIN" : mechanisms[0]),
    });
    xmpp.reconnect.stop();
    // No XEP-0198: once takeOverElements() removes xmpp.js's middleware, a stream management session it
    // enabled goes unanswered (the server's <r/>), and the server re-routes what stayed unacked at the
    // close (to offline storage, seen by the next login). Hidden from the features before xmpp.js reads them.
    xmpp.prependListener("element", (el: Element) => {
      if (el.name === "stream:features") el.children = el.children.filter((c) => typeof c === "string" || c.attrs.xmlns !== NS_SM);
    });
    this.attach(xmpp);
    const onSocket = this.endpoint.onSocket;
    if (onSocket) xmpp.on("connect", () => xmpp.socket && onSocket(xmpp.socket));
    await this.whileConnecting(login(xmpp, this.endpoint.domain), this.endpoint.connectTimeoutMs, `${this.name} login`);
    this.boundJid = xmpp.jid?.toString() ?? "";
    this.takeOverElements(xmpp);
  }
}

/**
 * xmpp.js's Connection.start(), minus its unobserved promise: when the stream fails before the
 * server's header is parsed (refused input, a reset), start() rejects and its pending "online"
 * promise rejects too, with nobody listening (an unhandled rejection).
 */
async function login(xmpp: XmppEntity, domain: string): Promise<void> {
  const online = new Promise<void>((resolve, reject) => {
    xmpp.once("online", () => resolve());
    xmpp.once("error", reject);
  });
  online.catch(() => undefined);
  await xmpp.connect(xmpp.options.service);
  await xmpp.open({ domain, lang: xmpp.options.lang });
  await online;
}
