import { connect as tcpConnect } from "node:net";
import { noPositionals, parseCommandArgs } from "./args.js";
import { ClientActor } from "../actors/client-actor.js";
import { ComponentActor } from "../actors/component-actor.js";
import { managingNestingResponder } from "../actors/nesting-responder.js";
import { Transcript } from "../actors/transcript.js";
import { NS } from "../protocol/namespaces.js";
import { loadTargetFile } from "../target/load.js";
import type { ServerTarget } from "../target/types.js";
import { parseXml } from "../xml/element.js";
import { EXIT, UsageError } from "./errors.js";

export const DOCTOR_HELP = `xep0355 doctor --target FILE — check a server target before a run, step by step

Checks that the c2s and component ports answer, each component secret is accepted,
the accounts log in, and which delegation version the server advertises and lists in
disco#info. Each failure says what to change. Exit 0 when every check passes, 3 otherwise.
`;

type Check = { name: string; run: () => Promise<string>; fix: string };

export async function doctorCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs("doctor", args, { target: { type: "string" }, help: { type: "boolean", short: "h" } });
  noPositionals("doctor", positionals);
  if (values.help) {
    process.stdout.write(DOCTOR_HELP);
    return EXIT.compliant;
  }
  if (!values.target) throw new UsageError("doctor needs --target FILE");
  const target = await loadTargetFile(values.target);
  if (target.role !== "server") throw new UsageError("doctor checks server targets; for a component, start it and run the component suite");
  let failures = 0;
  for (const check of checks(target)) {
    try {
      const detail = await check.run();
      process.stdout.write(`  ok    ${check.name}${detail ? ` — ${detail}` : ""}\n`);
    } catch (err) {
      failures++;
      process.stdout.write(`  FAIL  ${check.name} — ${err instanceof Error ? err.message : String(err)}\n        fix: ${check.fix}\n`);
    }
  }
  process.stdout.write(failures ? `${failures} check(s) failed\n` : "target ready\n");
  return failures ? EXIT.unreachable : EXIT.compliant;
}

function checks(t: ServerTarget): Check[] {
  const timeout = t.timeouts.connect;
  const client = (key: "juliet" | "romeo") =>
    new ClientActor(`doctor-${key}`, new Transcript(), { host: t.host, port: t.c2sPort, domain: t.domain, connectTimeoutMs: timeout }, t.accounts[key], `doctor-${process.pid}`);
  const component = (key: "managing" | "other") => {
    const c = t.components[key]!;
    // Connected as the managing entity, the doctor answers the nesting queries exactly as the run's managing
    // entity will: Prosody asks them once per process and keeps the answer (SRV-DSC-02/05/06; item 8, the
    // suite does not change the target's state). ejabberd delegates nothing until they are answered.
    const responder = key === "managing" ? managingNestingResponder(t.version) : undefined;
    return new ComponentActor(`doctor-${key}`, new Transcript(), { host: t.host, port: c.port ?? t.componentPort, connectTimeoutMs: timeout, settleMs: t.timeouts.quiet * 3 }, c, responder);
  };
  const list: Check[] = [
    { name: `c2s port ${t.host}:${t.c2sPort} answers`, run: () => tcpOpen(t.host, t.c2sPort, timeout), fix: "start the server, or correct host / c2sPort in the target file" },
    { name: `component port ${t.host}:${t.componentPort} answers`, run: () => tcpOpen(t.host, t.componentPort, timeout), fix: "enable the XEP-0114 component listener (Prosody: component_ports; ejabberd: ejabberd_service) or correct componentPort" },
  ];
  for (const key of ["juliet", "romeo"] as const) {
    list.push({
      name: `account ${t.accounts[key].username}@${t.domain} logs in`,
      run: () => withActor(client(key), async () => ""),
      fix: `create the account (prosodyctl register / ejabberdctl register) with the password of accounts.${key}, or correct it; allow PLAIN or SCRAM-SHA-1 without TLS on loopback`,
    });
  }
  for (const key of ["managing", "other"] as const) {
    if (!t.components[key]) continue;
    list.push({
      name: `component ${t.components[key]!.jid}: secret accepted`,
      run: () => withActor(component(key), async () => ""),
      fix: `declare the component ${t.components[key]!.jid} with the secret of components.${key}.secret (Prosody: Component + component_secret; ejabberd: ejabberd_service hosts/password)`,
    });
  }
  list.push({
    name: "delegation advertised to the managing component",
    run: () =>
      withActor(component("managing"), async (me) => {
        const wanted = [t.delegations.plain, t.delegations.filtered].filter((d) => d !== undefined).map((d) => d.namespace);
        // SRV-ADV-08: one message holding every delegation (Prosody) or one per namespace (ejabberd): read them all
        const adverts = () => me.received.flatMap((el) => (el.name === "message" ? el.getChildren("delegation") : []));
        const advertised = () => [...new Set(adverts().flatMap((d) => d.getChildren("delegated").map((x) => String(x.attrs.namespace))))];
        const deadline = Date.now() + t.timeouts.quiet;
        while (Date.now() < deadline && !wanted.every((ns) => advertised().includes(ns))) await new Promise((r) => setTimeout(r, 20));
        const [delegation] = adverts();
        if (!delegation) throw new Error(`no <delegation/> message within ${t.timeouts.quiet * 3} ms of the handshake`);
        const namespaces = advertised();
        const missing = wanted.filter((ns) => !namespaces.includes(ns));
        if (missing.length) throw new Error(`advertised ${namespaces.join(", ") || "nothing"}, but not ${missing.join(", ")}`);
        const messages = adverts().length > 1 ? ` (${adverts().length} messages)` : "";
        return `${delegation.attrs.xmlns} (XEP-0355 ${delegation.attrs.xmlns === "urn:xmpp:delegation:1" ? "0.4.1" : "0.5"}): ${namespaces.join(", ")}${messages}`;
      }),
    fix: "delegate delegations.plain (and filtered) to components.managing (Prosody: delegations table + modules_enabled = { \"delegation\" } in the Component section; ejabberd: mod_delegation namespaces with an access rule allowing the component)",
  });
  list.push({
    name: "server disco#info lists a delegation namespace",
    run: () =>
      withActor(client("juliet"), async (juliet) => {
        await juliet.send(parseXml(`<iq type='get' id='doctor-disco' to='${t.domain}'><query xmlns='${NS.discoInfo}'/></iq>`));
        const { stanza } = await juliet.expect(parseXml("<iq id='doctor-disco'/>"), t.timeouts.step, new Map());
        const features = stanza.getChild("query", NS.discoInfo)?.getChildren("feature").map((f) => String(f.attrs.var)) ?? [];
        const found = features.filter((f) => f.startsWith("urn:xmpp:delegation:"));
        if (!found.length) throw new Error("neither urn:xmpp:delegation:2 nor :1 is listed (SRV-DSC-01); set \"version\" in the target file instead of \"auto\"");
        return found.join(", ");
      }),
    fix: "this is a conformance finding, not a set-up problem: the run will report it (SRV-DSC-01)",
  });
  return list;
}

async function withActor<A extends ClientActor | ComponentActor>(actor: A, body: (actor: A) => Promise<string>): Promise<string> {
  try {
    await actor.connect();
    return await body(actor);
  } finally {
    await actor.dispose();
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
