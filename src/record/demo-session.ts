/**
 * A demo session to record: the suite's own actors (a managing entity that
 * answers the disco nesting queries like the suite does, juliet, romeo) talk
 * to a server, typically through `xep0355 record`. Used by docs/reproduce.md
 * and by the tests; run directly:
 *
 *   node --import tsx src/record/demo-session.ts --c2s PORT --component PORT \
 *     [--credentials TARGET.json] [--padding] [--reply wrapped,outer-error,unwrapped]
 *
 * Without --credentials it uses the embedded mock server's accounts and
 * component secret (xep0355 serve mock-server).
 */
import { readFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { MANAGING_JID, MOCK_DOMAIN, defaultMockServerOptions } from "../../mocks/server/index.js";
import { ClientActor } from "../actors/client-actor.js";
import { ComponentActor } from "../actors/component-actor.js";
import { nestingResponder } from "../actors/nesting-responder.js";
import { Transcript } from "../actors/transcript.js";
import { delegationNamespace } from "../protocol/namespaces.js";
import { parseTarget } from "../target/load.js";
import type { Account, ComponentCredentials, ProtocolVersion } from "../target/types.js";
import { escapeXML, parseXml, type Element } from "../xml/element.js";

export interface DemoEndpoints {
  host: string;
  c2sPort: number;
  componentPort: number;
  domain: string;
  version: ProtocolVersion;
}

export interface DemoCredentials {
  juliet: Account;
  romeo: Account;
  managing: ComponentCredentials;
}

/**
 * How the managing entity answers each of juliet's requests, in order:
 * `wrapped` a correct wrapped result (with a payload), `outer-error` an outer
 * IQ error (SRV-REP-08), `unwrapped` a plain result without <delegation/>
 * (SRV-REP-09).
 */
export type DemoReply = "wrapped" | "outer-error" | "unwrapped";
export const DEMO_REPLIES: readonly DemoReply[] = ["wrapped", "outer-error", "unwrapped"];

export interface DemoOptions {
  /** Unrelated traffic around the delegated requests: romeo logs in, asks the server's version, pings it; juliet asks its disco#info. */
  padding?: boolean;
  replies?: DemoReply[];
  /** How long juliet waits for each answer (and the component for each forward). */
  waitMs?: number;
  log?: (line: string) => void;
}

/** The embedded mock server's defaults (mocks/server/options.ts). */
export function mockCredentials(): DemoCredentials {
  const o = defaultMockServerOptions();
  return {
    juliet: { username: "juliet", password: o.accounts.juliet },
    romeo: { username: "romeo", password: o.accounts.romeo },
    managing: { jid: MANAGING_JID, secret: o.components[MANAGING_JID] },
  };
}

const PUBSUB = "http://jabber.org/protocol/pubsub";

/** Runs the session; returns one line per delegated request saying what juliet got. */
export async function driveDemoSession(at: DemoEndpoints, credentials: DemoCredentials, options: DemoOptions = {}): Promise<string[]> {
  const log = options.log ?? (() => undefined);
  const waitMs = options.waitMs ?? 3000;
  const deleg = delegationNamespace(at.version);
  const transcript = new Transcript();
  const c2s = { host: at.host, port: at.c2sPort, domain: at.domain, connectTimeoutMs: 5000 };
  const me = new ComponentActor(
    "me",
    transcript,
    { host: at.host, port: at.componentPort, connectTimeoutMs: 5000, settleMs: 300 },
    credentials.managing,
    nestingResponder(deleg),
  );
  const juliet = new ClientActor("juliet", transcript, c2s, credentials.juliet, "balcony");
  const romeo = new ClientActor("romeo", transcript, c2s, credentials.romeo, "orchard");
  const expect = async (actor: ClientActor | ComponentActor, pattern: string): Promise<Element | undefined> => {
    try {
      return (await actor.expect(parseXml(pattern), waitMs, new Map())).stanza;
    } catch {
      return undefined;
    }
  };
  const outcomes: string[] = [];
  try {
    await me.connect();
    await juliet.connect();
    log(`me (${me.address}) and juliet (${juliet.address}) connected`);
    if (options.padding) {
      await romeo.connect();
      await romeo.send(parseXml(`<iq type='get' id='pad-version' to='${at.domain}'><query xmlns='jabber:iq:version'/></iq>`));
      await expect(romeo, "<iq id='pad-version'/>");
      await juliet.send(parseXml(`<iq type='get' id='pad-disco' to='${at.domain}'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`));
      await expect(juliet, "<iq id='pad-disco'/>");
    }
    const replies = options.replies ?? ["wrapped"];
    for (const [i, reply] of replies.entries()) {
      const id = `items-${i + 1}`;
      await juliet.send(parseXml(`<iq type='get' id='${id}' to='${at.domain}'><pubsub xmlns='${PUBSUB}'><items node='urn:xmpp:microblog:0'/></pubsub></iq>`));
      const forward = await expect(me, `<iq type='set'><match:deep><iq id='${id}'/></match:deep></iq>`);
      if (!forward) {
        outcomes.push(`${id}: the server did not forward it to ${me.address}`);
        log(outcomes[outcomes.length - 1]);
        continue;
      }
      const inner = forward.getChild("delegation")?.getChild("forwarded")?.getChild("iq");
      const fwd = escapeXML(String(forward.attrs.id));
      const self = escapeXML(me.address);
      const to = escapeXML(String(inner?.attrs.from ?? juliet.address));
      const from = escapeXML(String(inner?.attrs.to ?? at.domain));
      const answer =
        reply === "wrapped"
          ? `<iq type='result' id='${fwd}' from='${self}' to='${at.domain}'><delegation xmlns='${deleg}'><forwarded xmlns='urn:xmpp:forward:0'>` +
            `<iq xmlns='jabber:client' type='result' id='${id}' from='${from}' to='${to}'><pubsub xmlns='${PUBSUB}'><items node='urn:xmpp:microblog:0'>` +
            `<item id='i1'><entry xmlns='http://www.w3.org/2005/Atom'><title>Hello &amp; welcome</title></entry></item></items></pubsub></iq>` +
            `</forwarded></delegation></iq>`
          : reply === "outer-error"
            ? `<iq type='error' id='${fwd}' from='${self}' to='${at.domain}'><error type='cancel'><feature-not-implemented xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>` +
              `<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>not today</text></error></iq>`
            : `<iq type='result' id='${fwd}' from='${self}' to='${at.domain}'><pubsub xmlns='${PUBSUB}'/></iq>`;
      await me.send(parseXml(answer));
      const got = await expect(juliet, `<iq id='${id}'/>`);
      outcomes.push(`${id} (${reply} reply): ${got ? got.toString() : `no answer within ${waitMs} ms`}`);
      log(outcomes[outcomes.length - 1]);
    }
    if (options.padding) {
      await romeo.send(parseXml(`<iq type='get' id='pad-ping' to='${at.domain}'><ping xmlns='urn:xmpp:ping'/></iq>`));
      await expect(romeo, "<iq id='pad-ping'/>");
      await romeo.disconnect();
    }
    await juliet.disconnect();
    await me.disconnect();
  } finally {
    await Promise.all([me.dispose(), juliet.dispose(), romeo.dispose()]);
  }
  return outcomes;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    strict: true,
    options: {
      host: { type: "string", default: "127.0.0.1" },
      c2s: { type: "string" },
      component: { type: "string" },
      domain: { type: "string" },
      version: { type: "string" },
      credentials: { type: "string" },
      padding: { type: "boolean" },
      reply: { type: "string", default: "wrapped" },
    },
  });
  if (!values.c2s || !values.component) throw new Error("give --c2s PORT --component PORT (the proxy's ports)");
  let credentials = mockCredentials();
  let domain = values.domain ?? MOCK_DOMAIN;
  let version: ProtocolVersion = values.version === "1" ? 1 : 2;
  if (values.credentials) {
    const target = parseTarget(JSON.parse(await readFile(values.credentials, "utf8")), values.credentials);
    if (target.role !== "server") throw new Error(`${values.credentials} is not a server target file`);
    credentials = { juliet: target.accounts.juliet, romeo: target.accounts.romeo, managing: target.components.managing };
    domain = values.domain ?? target.domain;
    if (values.version === undefined && target.version !== "auto") version = target.version;
  }
  const replies = values.reply.split(",").map((r) => r.trim()) as DemoReply[];
  for (const r of replies) if (!DEMO_REPLIES.includes(r)) throw new Error(`--reply: '${r}' is not one of ${DEMO_REPLIES.join(", ")}`);
  await driveDemoSession(
    { host: values.host, c2sPort: Number(values.c2s), componentPort: Number(values.component), domain, version },
    credentials,
    { padding: values.padding, replies, log: (line) => process.stdout.write(`${line}\n`) },
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`demo-session: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  });
}
