/**
 * Observes how a real server implements XEP-0355, with hand-written stanzas on raw sockets.
 * Usage: node --import tsx src/launchers/probe.ts prosody|ejabberd [--log-dir DIR] [--skip-long]
 * Prints a Markdown transcript on stdout (the source of docs/targets-notes.md).
 */
import { type Element, serialize } from "../xml/element.js";
import { launchers } from "./index.js";
import type { LaunchedServer } from "./launcher.js";
import { RawXmpp, type StanzaHook } from "./raw-xmpp.js";

const DISCO_INFO = "http://jabber.org/protocol/disco#info";
const PUBSUB = "http://jabber.org/protocol/pubsub";
const FORWARD = "urn:xmpp:forward:0";
const SILENT_CAP_MS = 40_000;
const REPLY_WAIT_MS = 3000;

const out = (line = ""): void => void process.stdout.write(line + "\n");
const block = (lines: string[]): void => out(["```xml", ...lines, "```"].join("\n"));

function delegationNs(target: LaunchedServer["target"]): string {
  return target.version === 1 ? "urn:xmpp:delegation:1" : "urn:xmpp:delegation:2";
}

/** The component answers the server's disco#info nesting queries with marker features, so nesting is visible. */
function answerDisco(jid: string): StanzaHook {
  return (el, comp) => {
    const query = el.getChild("query", DISCO_INFO);
    if (el.name !== "iq" || el.attrs.type !== "get" || !query) return false;
    const node: string = query.attrs.node ?? "";
    const kind = node.includes(":bare:") ? "bare" : node.includes("::") ? "main" : "plain";
    const ns = node.replace(/^urn:xmpp:delegation:\d(::|:bare:)/, "");
    const features = node
      ? [`${ns}#probe-${kind}`]
      : [DISCO_INFO, `${PUBSUB}#probe-component-own`];
    comp.send(
      `<iq type='result' id='${el.attrs.id}' to='${el.attrs.from}' from='${jid}'><query xmlns='${DISCO_INFO}'${node ? ` node='${node}'` : ""}>` +
        `<identity category='pubsub' type='service'/>${features.map((f) => `<feature var='${f}'/>`).join("")}</query></iq>`,
    );
    return false; // still queued and logged, so the order is visible
  };
}

function innerIq(wrapper: Element, ns: string): Element | undefined {
  return wrapper.getChild("delegation", ns)?.getChild("forwarded", FORWARD)?.getChild("iq");
}

type Reply = "correct" | "wrong-id" | "no-inner-from" | "unwrapped" | "outer-error" | "inner-error" | "silent";

function replyFor(kind: Reply, wrapper: Element, inner: Element, ns: string, comp: string): string | undefined {
  const outerHead = (type: string) => `<iq type='${type}' id='${wrapper.attrs.id}' to='${wrapper.attrs.from}' from='${comp}'>`;
  const innerFrom = inner.attrs.to ? ` from='${inner.attrs.to}'` : "";
  const innerHead = (type: string, id: string) => `<iq xmlns='jabber:client' type='${type}' id='${id}'${innerFrom} to='${inner.attrs.from}'>`;
  const payload = `<pubsub xmlns='${PUBSUB}'><items node='urn:xmpp:microblog:0'/></pubsub>`;
  const wrap = (iq: string) => `${outerHead("result")}<delegation xmlns='${ns}'><forwarded xmlns='${FORWARD}'>${iq}</forwarded></delegation></iq>`;
  switch (kind) {
    case "correct":
      return wrap(`${innerHead("result", inner.attrs.id)}${payload}</iq>`);
    case "wrong-id":
      return wrap(`${innerHead("result", "wrong-id")}${payload}</iq>`);
    case "no-inner-from":
      return wrap(`<iq xmlns='jabber:client' type='result' id='${inner.attrs.id}' to='${inner.attrs.from}'>${payload}</iq>`);
    case "unwrapped":
      return `${outerHead("result")}${payload}</iq>`;
    case "outer-error":
      return `${outerHead("error")}<error type='cancel'><feature-not-implemented xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>probe outer error</text></error></iq>`;
    case "inner-error":
      return wrap(`${innerHead("error", inner.attrs.id)}<error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`);
    case "silent":
      return undefined;
  }
}

const PEP_ITEMS = `<pubsub xmlns='${PUBSUB}'><items node='urn:xmpp:microblog:0'/></pubsub>`;

/** juliet sends an IQ; the component answers the forwarded copy as `reply` says. Returns the send time. */
async function sendAndAnswer(juliet: RawXmpp, comp: RawXmpp, ns: string, compJid: string, id: string, to: string | undefined, reply: Reply, payload: string): Promise<number> {
  const sent = `<iq type='get' id='${id}'${to ? ` to='${to}'` : ""}>${payload}</iq>`;
  const t0 = Date.now();
  juliet.send(sent);
  out(`juliet sends:`);
  block([sent]);
  const wrapper = await comp.maybeNext((el) => el.name === "iq" && innerIq(el, ns)?.attrs.id === id, 2000);
  if (!wrapper) {
    out(`component receives: nothing within 2000 ms`);
    return t0;
  }
  out(`component receives (${comp.arrivedAt(wrapper) - t0} ms):`);
  block([serialize(wrapper)]);
  const answer = replyFor(reply, wrapper, innerIq(wrapper, ns)!, ns, compJid);
  if (answer) {
    comp.send(answer);
    out(`component answers (${reply}):`);
    block([answer]);
  } else {
    out(`component does not answer`);
  }
  return t0;
}

async function awaitReply(juliet: RawXmpp, comp: RawXmpp, id: string, t0: number, wait: number): Promise<void> {
  const got = await juliet.maybeNext((el) => el.attrs.id === id, wait);
  if (got) {
    out(`juliet receives for ${id} (${juliet.arrivedAt(got) - t0} ms after sending):`);
    block([serialize(got)]);
  } else {
    out(`juliet receives for ${id}: nothing within ${wait} ms`);
  }
  reportStrays(juliet, comp, t0);
}

/** Whatever arrived that no step asked for (e.g. an error carrying the server's own id). */
function reportStrays(juliet: RawXmpp, comp: RawXmpp, t0: number): void {
  const stray = comp.drain().filter((el) => !el.getChild("query", DISCO_INFO));
  if (stray.length) {
    out(`component also receives:`);
    block(stray.map(serialize));
  }
  const strayJuliet = juliet.drain();
  if (strayJuliet.length) {
    out(`juliet also receives (other ids):`);
    block(strayJuliet.map((el) => `<!-- ${juliet.arrivedAt(el) - t0} ms after the request -->\n${serialize(el)}`));
  }
  out();
}

async function request(juliet: RawXmpp, comp: RawXmpp, ns: string, compJid: string, id: string, to: string | undefined, reply: Reply, payload = PEP_ITEMS): Promise<void> {
  const t0 = await sendAndAnswer(juliet, comp, ns, compJid, id, to, reply, payload);
  await awaitReply(juliet, comp, id, t0, REPLY_WAIT_MS);
}

async function discoInfo(juliet: RawXmpp, to: string, id: string): Promise<void> {
  const sent = `<iq type='get' id='${id}' to='${to}'><query xmlns='${DISCO_INFO}'/></iq>`;
  juliet.send(sent);
  const got = await juliet.maybeNext((el) => el.attrs.id === id, REPLY_WAIT_MS);
  out(`juliet → ${to}:`);
  block([sent]);
  if (!got) return out(`no answer\n`);
  const features = (got.getChild("query")?.getChildren("feature") ?? []).map((f) => f.attrs.var as string);
  out(`features (${features.length}): ${features.map((f) => "`" + f + "`").join(", ")}`);
  out();
  block([serialize(got)]);
  out();
}

async function probe(name: "prosody" | "ejabberd", logDir: string | undefined, skipLong: boolean): Promise<void> {
  const server = await launchers[name].launch({ logDir });
  try {
    const { target } = server;
    const ns = delegationNs(target);
    const { managing } = target.components;
    const bare = (u: string) => `${u}@${target.domain}`;
    out(`## ${server.software} (start-up ${server.startupMs} ms)`);
    out();

    const juliet = await RawXmpp.client(target.host, target.c2sPort, target.domain, "juliet", target.accounts.juliet.password);
    out(`### 1. After the component handshake (first 1500 ms)`);
    out();
    const comp = await RawXmpp.component(target.host, target.componentPort, managing.jid, managing.secret, answerDisco(managing.jid));
    await new Promise((r) => setTimeout(r, 1500));
    const handshakeAt = comp.log.find((e) => e.xml.startsWith("<handshake"))?.t ?? 0;
    block(comp.log.filter((e) => e.t >= handshakeAt).map((e) => `<!-- +${e.t - handshakeAt} ms ${e.dir} -->\n${e.xml}`));
    out();
    comp.drain();

    out(`### 2. Where a PEP request is forwarded, by addressing`);
    out();
    const addressing: [string, string | undefined][] = [
      ["no `to`", undefined],
      ["to juliet's bare JID", bare("juliet")],
      ["to romeo's bare JID", bare("romeo")],
      ["to the server domain", target.domain],
    ];
    let n = 0;
    for (const [label, to] of addressing) {
      out(`#### ${label}`);
      await request(juliet, comp, ns, managing.jid, `a${++n}`, to, "correct");
    }

    if (target.undelegatedDomain) {
      const other = target.undelegatedDomain;
      out(`### 2b. SRV-FWD-11: to bare JIDs of the undelegated hosted domain ${other}`);
      out();
      const julietThere = await RawXmpp.client(target.host, target.c2sPort, other, "juliet", target.accounts.juliet.password);
      out(`juliet@${other} logs in with juliet's password: bound \`${julietThere.jid}\``);
      out();
      julietThere.close();
      await discoInfo(juliet, other, "u-disco");
      for (const user of ["juliet", "romeo"]) {
        out(`#### to ${user}@${other}`);
        await request(juliet, comp, ns, managing.jid, `u-${user}`, `${user}@${other}`, "correct");
      }
    }

    out(`### 2c. SRV-ADV-05: an IQ in ${ns} itself (the launcher delegates it too, as a careless admin might)`);
    out();
    await request(juliet, comp, ns, managing.jid, "self1", undefined, "correct", `<query xmlns='${ns}'/>`);
    await request(juliet, comp, ns, managing.jid, "self2", target.domain, "correct", `<query xmlns='${ns}'/>`);

    out(`### 3. What juliet gets back, by the component's reply`);
    out();
    for (const reply of ["wrong-id", "no-inner-from", "unwrapped", "outer-error", "inner-error"] as const) {
      out(`#### ${reply}`);
      await request(juliet, comp, ns, managing.jid, `r-${reply}`, undefined, reply);
    }

    if (target.delegations.filtered) {
      out(`### 3b. Filtered delegation (${target.delegations.filtered.namespace}, attribute ${target.delegations.filtered.attributes?.join(",")})`);
      out();
      const mam = target.delegations.filtered.namespace;
      out(`#### with the attribute`);
      await request(juliet, comp, ns, managing.jid, "f1", undefined, "correct", `<query xmlns='${mam}' node='urn:xmpp:microblog:0'/>`);
      out(`#### without it`);
      await request(juliet, comp, ns, managing.jid, "f2", undefined, "correct", `<query xmlns='${mam}'/>`);
    }

    out(`### 4. Disco#info`);
    out();
    await discoInfo(juliet, target.domain, "d1");
    await discoInfo(juliet, bare("juliet"), "d2");
    out(`#### undelegated ${target.undelegatedNamespace}`);
    juliet.send(`<iq type='get' id='v1' to='${target.domain}'><query xmlns='${target.undelegatedNamespace}'/></iq>`);
    const version = await juliet.maybeNext((el) => el.attrs.id === "v1", REPLY_WAIT_MS);
    block([version ? serialize(version) : "<!-- no answer -->"]);
    out();

    if (skipLong) {
      juliet.close();
      comp.close();
      return;
    }
    out(`### 5. Long waits (cap ${SILENT_CAP_MS / 1000} s): a silent component, and an outer error`);
    out();
    const t1 = await sendAndAnswer(juliet, comp, ns, managing.jid, "s1", undefined, "silent", PEP_ITEMS);
    const t2 = await sendAndAnswer(juliet, comp, ns, managing.jid, "s2", undefined, "outer-error", PEP_ITEMS);
    const waits = [
      juliet.maybeNext((el) => el.attrs.id === "s1", SILENT_CAP_MS).then((el) => ["s1", t1, el] as const),
      juliet.maybeNext((el) => el.attrs.id === "s2", SILENT_CAP_MS).then((el) => ["s2", t2, el] as const),
    ];
    for (const [id, t, el] of await Promise.all(waits)) {
      out(el ? `juliet receives for ${id} (${juliet.arrivedAt(el) - t} ms after sending):` : `juliet receives for ${id}: nothing within ${SILENT_CAP_MS} ms`);
      if (el) block([serialize(el)]);
    }
    reportStrays(juliet, comp, t1);

    juliet.close();
    comp.close();
  } finally {
    const t = Date.now();
    await server.stop();
    out(`(stop: ${Date.now() - t} ms)`);
  }
}

const name = process.argv[2];
if (name !== "prosody" && name !== "ejabberd") {
  process.stderr.write("usage: probe.ts prosody|ejabberd [--log-dir DIR] [--skip-long]\n");
  process.exit(2);
}
const i = process.argv.indexOf("--log-dir");
await probe(name, i > 0 ? process.argv[i + 1] : undefined, process.argv.includes("--skip-long"));
