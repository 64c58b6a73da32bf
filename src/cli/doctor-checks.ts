import { connect as tcpConnect } from "node:net";
import { ClientActor } from "../actors/client-actor.js";
import { ComponentActor } from "../actors/component-actor.js";
import { managingNestingResponder } from "../actors/nesting-responder.js";
import { Transcript } from "../actors/transcript.js";
import { RawXmpp } from "../launchers/raw-xmpp.js";
import { NS } from "../protocol/namespaces.js";
import type { ComponentCredentials, ServerTarget } from "../target/types.js";
import { parseXml, serialize, type Element } from "../xml/element.js";

/** What one check found. A thrown error is a set-up problem with the check's own fix. */
export type Outcome =
  | { kind: "ok"; detail?: string }
  /** A set-up problem: the run could not judge the target until it is fixed. */
  | { kind: "problem"; detail: string; fix: string }
  /** The server does something the suite will report as non-conformant: nothing to fix in the set-up. */
  | { kind: "finding"; requirement: string; detail: string };

/** What earlier checks learnt that later ones use. */
export interface DoctorContext {
  /** From XEP-0092: "prosody", "ejabberd" or another name, lower case; undefined when not told. */
  software?: string;
  /** Logged in as juliet, when that check passed (closed at the end). */
  juliet?: ClientActor;
}

export interface Check {
  id: string;
  name: string;
  /** Checks that must have passed (or found only a conformance finding) for this one to mean anything. */
  needs: string[];
  run(ctx: DoctorContext): Promise<Outcome>;
  /** The fix when run() throws. */
  fix(ctx: DoctorContext): string;
}

const ok = (detail?: string): Outcome => ({ kind: "ok", detail });

/** A fix for the server at hand when it said what it is, else for both servers the suite knows. */
function advice(ctx: DoctorContext, fixes: { prosody: string; ejabberd: string }): string {
  if (ctx.software === "prosody") return `Prosody: ${fixes.prosody}`;
  if (ctx.software === "ejabberd") return `ejabberd: ${fixes.ejabberd}`;
  return `Prosody: ${fixes.prosody}; ejabberd: ${fixes.ejabberd}`;
}

const SASL = "urn:ietf:params:xml:ns:xmpp-sasl";
/** The mechanisms the suite's clients (@xmpp/client) log in with. */
const USABLE = ["PLAIN", "SCRAM-SHA-1"];

/** The set-up checks of a server target, in order, and the SRV-DSC-01 finding. */
export function serverChecks(t: ServerTarget): Check[] {
  const timeout = t.timeouts.connect;
  const client = (username: string, password: string, domain = t.domain) =>
    new ClientActor(`doctor-${username}`, new Transcript(), { host: t.host, port: t.c2sPort, domain, connectTimeoutMs: timeout }, { username, password }, `doctor-${process.pid}`);
  const portOf = (c: ComponentCredentials) => c.port ?? t.componentPort;
  // PRV-ROS-01's reader and messenger are checked like the others: a wrong secret would make those scenarios error
  const components = COMPONENT_KEYS.flatMap((key) => (t.components[key] ? [{ key, credentials: t.components[key]! }] : []));
  const ports = [...new Set(components.map((c) => portOf(c.credentials)))];
  const register = (ctx: DoctorContext, who: string, domain: string, password: string) =>
    advice(ctx, {
      prosody: `prosodyctl --config CFG register ${who} ${domain} ${password}`,
      ejabberd: `ejabberdctl register ${who} ${domain} ${password}`,
    });

  const list: Check[] = [
    {
      id: "c2s",
      name: `c2s port ${t.host}:${t.c2sPort} answers`,
      needs: [],
      run: async () => ok(await tcpOpen(t.host, t.c2sPort, timeout)),
      fix: () => "start the server, or correct host / c2sPort in the target file",
    },
    {
      id: "plaintext",
      name: "c2s offers a login without TLS (loopback)",
      needs: ["c2s"],
      run: async (ctx) => {
        const { offered, refusal } = await mechanismsBeforeTls(t, timeout);
        const usable = offered.filter((m) => USABLE.includes(m));
        if (usable.length) return ok(`SASL ${usable.join(", ")}`);
        const fix = advice(ctx, {
          prosody: `c2s_require_encryption = false and allow_unencrypted_plain_auth = true (the suite speaks no TLS; loopback only)`,
          ejabberd: `starttls_required: false on the ejabberd_c2s listener (the suite speaks no TLS; loopback only)`,
        });
        const detail = refusal
          ? `the server ended the plain stream (${refusal}): it requires TLS`
          : offered.length
            ? `offers only ${offered.join(", ")} before TLS`
            : "offers no SASL mechanism before TLS (TLS required)";
        return { kind: "problem", detail, fix };
      },
      fix: () => "the server must answer an XMPP stream header on c2sPort: is it an XMPP client port?",
    },
    {
      id: "juliet",
      name: `account ${t.accounts.juliet.username}@${t.domain} logs in`,
      needs: ["plaintext"],
      run: async (ctx) => {
        const juliet = client(t.accounts.juliet.username, t.accounts.juliet.password);
        try {
          await juliet.connect();
        } catch (err) {
          await juliet.dispose();
          throw err;
        }
        ctx.juliet = juliet;
        return ok();
      },
      fix: (ctx) => `create the account with the password of accounts.juliet, or correct it (${register(ctx, t.accounts.juliet.username, t.domain, "<accounts.juliet.password>")})`,
    },
    {
      id: "software",
      name: "server software (XEP-0092)",
      needs: ["juliet"],
      run: async (ctx) => {
        // only to tailor the advice: never a problem
        const answer = await ask(ctx.juliet!, `<iq type='get' id='doctor-version' to='${t.domain}'><query xmlns='${NS.version}'/></iq>`, t.timeouts.step).catch(() => undefined);
        const query = answer?.getChild("query", NS.version);
        const name = query?.getChildText("name");
        if (!name) return ok("not told");
        ctx.software = /prosody/i.test(name) ? "prosody" : /ejabberd/i.test(name) ? "ejabberd" : name.toLowerCase();
        return ok(`${name} ${query?.getChildText("version") ?? ""}`.trim());
      },
      fix: () => "nothing: the server's name only tailors the advice of other checks",
    },
    {
      id: "romeo",
      name: `account ${t.accounts.romeo.username}@${t.domain} logs in`,
      needs: ["plaintext"],
      run: () => withActor(client(t.accounts.romeo.username, t.accounts.romeo.password), async () => ok()),
      fix: (ctx) => `create the account with the password of accounts.romeo, or correct it (${register(ctx, t.accounts.romeo.username, t.domain, "<accounts.romeo.password>")})`,
    },
  ];
  if (t.undelegatedDomain) {
    const domain = t.undelegatedDomain;
    list.push({
      id: "undelegated",
      name: `accounts ${t.accounts.juliet.username} and ${t.accounts.romeo.username} on ${domain} log in (SRV-FWD-11)`,
      // wrong passwords on the delegating domain are wrong here too: that is where to fix them
      needs: ["juliet", "romeo"],
      run: async () => {
        for (const a of [t.accounts.juliet, t.accounts.romeo]) await withActor(client(a.username, a.password, domain), async () => ok());
        return ok();
      },
      fix: (ctx) =>
        `host ${domain} on the server, without delegations, with the same two accounts and passwords (${register(ctx, "juliet", domain, "<accounts.juliet.password>")}, and romeo), or remove undelegatedDomain from the target file (SRV-FWD-11 is then not-supported)`,
    });
  }
  for (const port of ports) {
    list.push({
      id: `port:${port}`,
      name: `component port ${t.host}:${port} answers`,
      // nothing on the c2s port either: the server is not running, and this would say so again
      needs: ["c2s"],
      run: async () => ok(await tcpOpen(t.host, port, timeout)),
      fix: (ctx) => advice(ctx, { prosody: `component_ports = { ${port} } (and component_interfaces or local_interfaces including ${t.host})`, ejabberd: `an ejabberd_service listener on port ${port}` }) + ", or correct componentPort / components.*.port",
    });
  }
  for (const { key, credentials } of components) {
    list.push({
      id: `secret:${key}`,
      name: `component ${credentials.jid}: secret accepted`,
      needs: [`port:${portOf(credentials)}`],
      run: async (ctx) => {
        const refused = await handshake(t, credentials, key === "managing");
        if (!refused) return ok();
        const declare = advice(ctx, { prosody: `Component "${credentials.jid}" with component_secret`, ejabberd: `an ejabberd_service listener with hosts: "${credentials.jid}": password` });
        const fix =
          refused.condition === "not-authorized"
            ? `give the component ${credentials.jid} the secret of components.${key}.secret, or correct that (${declare})`
            : `declare the component ${credentials.jid} with the secret of components.${key}.secret (${declare}), or correct components.${key}.jid`;
        return { kind: "problem", detail: `the server refused the handshake: ${refused.condition}${refused.text ? ` (${refused.text})` : ""}`, fix };
      },
      fix: () => `the server must answer an XEP-0114 stream header on this port: is it the component port?`,
    });
  }
  if (t.privileges) list.push(privilegesCheck(t));
  list.push(advertisementCheck(t), discoFinding(t));
  return list;
}

const COMPONENT_KEYS = ["managing", "other", "reader", "messenger"] as const;

/**
 * XEP-0356: every grant of `privileges` is for a component the target file declares, and PRV-ROS-01's reader
 * and messenger have grants (without them their scenarios are not-supported, src/runner/drivers/privilege-needs.ts).
 * The file against itself: no connection.
 */
function privilegesCheck(t: ServerTarget): Check {
  const grants = t.privileges!;
  const what = { other: "a second component with no delegation", reader: "a component granted roster 'get' only", messenger: "a component granted no roster permission" } as const;
  return {
    id: "privileges",
    name: "privileges name the target file's components (XEP-0356)",
    needs: [],
    run: async () => {
      const keys = ["other", "reader", "messenger"] as const;
      const undeclared = keys.filter((key) => grants[key] && !t.components[key]);
      const ungranted = (["reader", "messenger"] as const).filter((key) => t.components[key] && !grants[key]);
      if (undeclared.length) {
        const list = undeclared.map((key) => `privileges.${key}`).join(", ");
        const fix = undeclared
          .map((key) => `add components.${key} (${what[key]}: its JID and secret, as the server's configuration declares it and grants it privileges.${key}), or remove privileges.${key}`)
          .join("; ");
        return { kind: "problem", detail: `${list} grant${undeclared.length > 1 ? "" : "s"} a component the target file does not declare`, fix };
      }
      if (ungranted.length) {
        const list = ungranted.map((key) => `components.${key}`).join(", ");
        const fix = ungranted
          .map((key) => `add privileges.${key} with what the server's configuration grants ${t.components[key]!.jid} (${what[key]}; docs/target-file.md), or remove components.${key}`)
          .join("; ");
        return { kind: "problem", detail: `${list} ha${ungranted.length > 1 ? "ve" : "s"} no grant in privileges: its PRV-ROS-01 scenario could not run`, fix };
      }
      const granted = ["managing", ...keys.filter((key) => grants[key])].map((key) => t.components[key as (typeof COMPONENT_KEYS)[number]]!.jid);
      return ok(`grants for ${granted.join(", ")}`);
    },
    fix: () => "the target file's privileges and components (docs/target-file.md)",
  };
}

/** The delegations reach the managing component; when they do not, a probe tells the server's configuration mistake. */
function advertisementCheck(t: ServerTarget): Check {
  const wanted = [t.delegations.plain, t.delegations.filtered].filter((d) => d !== undefined).map((d) => d.namespace);
  const plain = t.delegations.plain.namespace;
  const where = (ctx: DoctorContext) =>
    advice(ctx, {
      // prosody-modules' mod_delegation README: the module is loaded on the host, the table is an option of the host
      prosody: `load mod_delegation on the VirtualHost "${t.domain}" ("delegation" in the global modules_enabled, or in that VirtualHost's), give that VirtualHost section the delegations table (${wanted.join(", ")} → jid = "${t.components.managing.jid}"), and enable the module in the Component "${t.components.managing.jid}" section too (modules_enabled = { "delegation" })`,
      ejabberd: `mod_delegation in the modules of host "${t.domain}" (append_host_config) with the namespaces ${wanted.join(", ")}, each with an access rule allowing the component (acl server: "${t.components.managing.jid}")`,
    });
  return {
    id: "advertised",
    name: "delegation advertised to the managing component",
    needs: ["secret:managing"],
    run: (ctx) =>
      withActor(managingActor(t), async (me) => {
        // SRV-ADV-08: one message holding every delegation (Prosody) or one per namespace (ejabberd): read them all
        const adverts = () => me.received.flatMap((el) => (el.name === "message" ? el.getChildren("delegation") : []));
        const advertised = () => [...new Set(adverts().flatMap((d) => d.getChildren("delegated").map((x) => String(x.attrs.namespace))))];
        const deadline = Date.now() + t.timeouts.quiet;
        while (Date.now() < deadline && !wanted.every((ns) => advertised().includes(ns))) await new Promise((r) => setTimeout(r, 20));
        const [delegation] = adverts();
        const namespaces = advertised();
        const missing = wanted.filter((ns) => !namespaces.includes(ns));
        if (delegation && !missing.length) {
          const messages = adverts().length > 1 ? ` (${adverts().length} messages)` : "";
          return ok(`${delegation.attrs.xmlns} (XEP-0355 ${delegation.attrs.xmlns === "urn:xmpp:delegation:1" ? "0.4.1" : "0.5"}): ${namespaces.join(", ")}${messages}`);
        }
        if (delegation) return { kind: "problem", detail: `advertised ${namespaces.join(", ") || "nothing"}, but not ${missing.join(", ")}`, fix: `delegate ${missing.join(", ")} to ${t.components.managing.jid} too (${where(ctx)})` };
        const heard = `no <delegation/> message within ${t.timeouts.quiet * 3} ms of the handshake`;
        const probe = ctx.juliet ? await probeDelegation(t, ctx.juliet, me) : undefined;
        if (probe === "forwarded") {
          return { kind: "finding", requirement: "SRV-ADV-01", detail: `${heard}, yet the server forwards ${plain} to the component: it delegates without advertising` };
        }
        if (probe === "answered") {
          const fix = advice(ctx, {
            prosody: `load mod_delegation on the VirtualHost "${t.domain}" ("delegation" in the global modules_enabled, or in that VirtualHost's) and put the delegations table in that VirtualHost section, not in a Component section`,
            ejabberd: `add mod_delegation with ${plain} to the modules of host "${t.domain}" (append_host_config)`,
          });
          return { kind: "problem", detail: `${heard}; the server answered ${plain} for juliet itself: ${t.domain} delegates nothing`, fix };
        }
        if (probe === "unavailable") {
          const fix = advice(ctx, {
            prosody: `add modules_enabled = { "delegation" } to the Component "${t.components.managing.jid}" section (without it the host never learns that its managing entity connected)`,
            ejabberd: `let the access rule of mod_delegation's namespaces allow the component (acl server: "${t.components.managing.jid}")`,
          });
          return { kind: "problem", detail: `${heard}; ${plain} is delegated (service-unavailable), but not to this component connection`, fix };
        }
        return { kind: "problem", detail: heard, fix: where(ctx) };
      }),
    fix: () => `components.managing must connect again for this check: is the server still running?`,
  };
}

/**
 * How the server treats an IQ in the plain delegated namespace from juliet to her own account while
 * the managing component is connected but got no advertisement: "forwarded" to the component, served
 * by the server itself ("answered": it delegates nothing), or "unavailable" (service-unavailable: what
 * mod_delegation answers for a delegated namespace whose managing entity it does not see connected).
 * Only pubsub is probed: the server's own PEP service answers it when nothing is delegated.
 */
async function probeDelegation(t: ServerTarget, juliet: ClientActor, me: ComponentActor): Promise<"forwarded" | "answered" | "unavailable" | undefined> {
  const plain = t.delegations.plain.namespace;
  if (plain !== NS.pubsub) return undefined;
  const bare = `${t.accounts.juliet.username}@${t.domain}`;
  const answer = await ask(juliet, `<iq type='get' id='doctor-probe' to='${bare}'><pubsub xmlns='${plain}'><items node='urn:xmpp:xep0355:doctor'/></pubsub></iq>`, t.timeouts.step);
  if (me.received.some((el) => el.name === "iq" && el.getChildren("delegation").length > 0)) return "forwarded";
  if (!answer) return undefined;
  const condition = answer.getChild("error")?.children.find((c): c is Element => typeof c !== "string")?.name;
  return answer.attrs.type === "error" && condition === "service-unavailable" ? "unavailable" : "answered";
}

/** SRV-DSC-01 (a MUST): the server lists the delegation namespace in its disco#info. Not a set-up problem. */
function discoFinding(t: ServerTarget): Check {
  return {
    id: "disco",
    name: "server disco#info lists a delegation namespace",
    needs: ["juliet"],
    run: async (ctx) => {
      const answer = await ask(ctx.juliet!, `<iq type='get' id='doctor-disco' to='${t.domain}'><query xmlns='${NS.discoInfo}'/></iq>`, t.timeouts.step);
      if (!answer) throw new Error(`no answer to disco#info within ${t.timeouts.step} ms`);
      const features = answer.getChild("query", NS.discoInfo)?.getChildren("feature").map((f) => String(f.attrs.var)) ?? [];
      const found = features.filter((f) => f.startsWith("urn:xmpp:delegation:"));
      if (found.length) return ok(found.join(", "));
      const auto = t.version === "auto" ? `; "version": "auto" reads the version from the advertisement instead` : "";
      return { kind: "finding", requirement: "SRV-DSC-01", detail: `neither urn:xmpp:delegation:2 nor :1 is listed${auto}` };
    },
    fix: () => "the server must answer disco#info queries to its domain (XEP-0030)",
  };
}

/**
 * The XEP-0114 handshake of one component: undefined when accepted, else the stream error. The managing
 * component connects as the run's managing entity does, answering the nesting queries (the first
 * connection is the one Prosody asks them of); a refusal is then read again on a raw stream, which
 * shows the server's stream error as it is.
 */
async function handshake(t: ServerTarget, c: ComponentCredentials, managing: boolean): Promise<{ condition: string; text?: string } | undefined> {
  if (managing) {
    const accepted = await withActor(managingActor(t), async () => ok()).then(
      () => true,
      () => false,
    );
    if (accepted) return undefined;
  }
  const respond = managing ? managingNestingResponder(t.version) : undefined;
  const answerNesting = (el: Element, conn: RawXmpp) => {
    const answer = respond?.(el);
    if (answer) conn.send(serialize(answer));
    return answer !== undefined;
  };
  try {
    const raw = await RawXmpp.component(t.host, c.port ?? t.componentPort, c.jid, c.secret, answerNesting);
    // accepted this time after all: let the queries that follow a handshake be answered before leaving
    if (managing) await raw.maybeNext(() => false, t.timeouts.quiet);
    raw.close();
    return undefined;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const condition = message.match(/<([a-z-]+) xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/)?.[1];
    if (!condition) throw err;
    return { condition, text: message.match(/<text[^>]*>([^<]*)<\/text>/)?.[1] };
  }
}

function managingActor(t: ServerTarget): ComponentActor {
  const c = t.components.managing;
  // The doctor answers the nesting queries exactly as the run's managing entity will: Prosody asks them once
  // per process and keeps the answer (SRV-DSC-02/05/06; the suite does not change the target's state).
  // ejabberd delegates nothing until they are answered.
  const endpoint = { host: t.host, port: c.port ?? t.componentPort, connectTimeoutMs: t.timeouts.connect, settleMs: t.timeouts.quiet * 3 };
  return new ComponentActor("doctor-managing", new Transcript(), endpoint, c, managingNestingResponder(t.version));
}

async function withActor<A extends ClientActor | ComponentActor>(actor: A, body: (actor: A) => Promise<Outcome>): Promise<Outcome> {
  try {
    await actor.connect();
    return await body(actor);
  } finally {
    await actor.dispose();
  }
}

/** The answer to an IQ, or undefined when none came in time. */
async function ask(actor: ClientActor, xml: string, timeoutMs: number): Promise<Element | undefined> {
  const id = String(parseXml(xml).attrs.id);
  await actor.send(parseXml(xml));
  return actor.expect(parseXml(`<iq id='${id}'/>`), timeoutMs, new Map()).then(
    ({ stanza }) => stanza,
    () => undefined,
  );
}

/**
 * The SASL mechanisms the server offers on a plain (non-TLS) client stream, or the stream error it
 * ends that stream with (Prosody with c2s_require_encryption and no certificate: undefined-condition).
 */
async function mechanismsBeforeTls(t: ServerTarget, timeoutMs: number): Promise<{ offered: string[]; refusal?: string }> {
  const raw = await RawXmpp.connect(t.host, t.c2sPort, timeoutMs);
  try {
    raw.send(`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='${t.domain}' version='1.0'>`);
    const features = await raw.next((el) => el.name === "stream:features" || el.name === "stream:error", timeoutMs);
    if (features.name === "stream:error") {
      const parts = features.children.filter((c): c is Element => typeof c !== "string");
      const condition = parts.find((c) => c.name !== "text")?.name ?? "stream error";
      const text = parts.find((c) => c.name === "text")?.getText();
      return { offered: [], refusal: text ? `${condition}: ${text}` : condition };
    }
    return { offered: features.getChild("mechanisms", SASL)?.getChildren("mechanism").map((m) => m.getText()) ?? [] };
  } finally {
    raw.close();
  }
}

function tcpOpen(host: string, port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.destroy();
      resolve("");
    });
    socket.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
