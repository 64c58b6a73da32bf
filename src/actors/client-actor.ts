import { client, type Authenticate } from "@xmpp/client";
import type { Account } from "../target/types.js";
import { StreamActor, withTimeout } from "./stream-actor.js";
import type { Transcript } from "./transcript.js";

export interface ClientEndpoint {
  host: string;
  port: number;
  domain: string;
  connectTimeoutMs: number;
}

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
    // Belt and braces for a SASL PLAIN payload split across TCP segments (RFC 4616: [authzid] NUL authcid NUL passwd).
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
    this.attach(xmpp);
    await withTimeout(xmpp.start(), this.endpoint.connectTimeoutMs, `${this.name} login`);
    this.boundJid = xmpp.jid?.toString() ?? "";
    this.takeOverElements(xmpp);
  }
}
