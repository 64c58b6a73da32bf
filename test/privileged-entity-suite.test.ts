import { afterEach, describe, expect, it } from "vitest";
import { PAM_NS, PRIVILEGED_ENTITY_FAULTS, readAdvertisement, startMockComponent } from "../mocks/component/index.js";
import { ServerActor, privilegeAdvertisement } from "../src/actors/server-actor.js";
import { Transcript } from "../src/actors/transcript.js";
import { loadCatalogue } from "../src/catalogue/catalogue.js";
import { mockComponentTarget } from "../src/runner/drivers/mock-component-driver.js";
import type { RunResult } from "../src/runner/result.js";
import { loadSuite } from "../src/scenario/load.js";
import { parseXml, serialize, type Element } from "../src/xml/element.js";
import { runRoleAgainstMocks } from "./helpers/cli.js";

/** XEP-0356's privileged-entity rows (section G of its catalogue). The fault matrix is in component-suite.test.ts. */
const PE_ROWS = loadCatalogue("0356").filter((r) => r.section === "G");

describe("XEP-0356 catalogue coverage (component role)", () => {
  it("has a scenario about every PE-* row and one mock-component fault per row", async () => {
    const scenarios = await loadSuite("component");
    expect(PE_ROWS.map((r) => r.id)).toEqual(["PE-ADV-01", "PE-ADV-02", "PE-IQ-01", "PE-MSG-01", "PE-ROB-01"]);
    expect(PE_ROWS.filter((r) => !scenarios.some((s) => s.requirements[0] === r.id)).map((r) => r.id)).toEqual([]);
    expect(Object.keys(PRIVILEGED_ENTITY_FAULTS).sort()).toEqual(PE_ROWS.map((r) => r.id).sort());
  });

  it("names PE-* scenarios pe-* and keeps their requirements within XEP-0356's section G", async () => {
    const pe = (await loadSuite("component")).filter((s) => s.requirements[0].startsWith("PE-"));
    expect(pe.length).toBeGreaterThanOrEqual(10);
    for (const s of pe) {
      expect(s.id, s.file).toMatch(/^pe-/);
      expect(s.requirements.every((id) => id.startsWith("PE-")), `${s.id}: ${s.requirements.join(", ")}`).toBe(true);
    }
    // #iq_stanzas arrived in 0.4: the scenarios that need a privileged IQ are urn:xmpp:privilege:2 only.
    const privilegedIq = pe.filter((x) => x.kind === "text" && x.steps.some((step) => "xml" in step && Boolean(step.xml?.includes("privileged_iq"))));
    expect(privilegedIq.map((s) => s.id).sort()).toEqual(["pe-adv-02-iq-namespaces", "pe-iq-01-subscribe-on-behalf", "pe-rob-01-forbidden-iq", "pe-rob-01-missing-iq-permission"]);
    for (const s of privilegedIq) expect(s.versions, s.id).toEqual([2]);
  });
});

describe("readAdvertisement (the spec's advertisement examples)", () => {
  const privilege = (xml: string, ns = "urn:xmpp:privilege:2") => parseXml(`<privilege xmlns='${ns}'>${xml}</privilege>`);

  it("reads roster with push, message, presence (#advertise_roster, #advertise_mess, #advertise_roster_presence)", () => {
    expect(readAdvertisement(privilege(`<perm access='roster' type='both' push='true'/><perm access='message' type='outgoing'/><perm access='presence' type='roster'/>`), 2)).toEqual({
      roster: "both",
      push: true,
      message: "outgoing",
      presence: "roster",
    });
    expect(readAdvertisement(privilege(`<perm access='roster' type='get' push='false'/>`), 2)).toEqual({ roster: "get", push: false });
  });

  it("reads every direct <namespace/> of an IQ perm with its type, and nothing nested or malformed (#advertise_iq, PE-ADV-02)", () => {
    const grant = readAdvertisement(
      privilege(
        `<perm access='iq'>
           <namespace ns='urn:xmpp:mam:2' type='both'><namespace ns='jabber:iq:private' type='set'/></namespace>
           <namespace ns='http://jabber.org/protocol/pubsub' type='set'/>
           <namespace ns='urn:xmpp:bogus' type='all'/>
           <namespace type='get'/>
         </perm>`,
      ),
      2,
    );
    expect(grant).toEqual({ iq: { "urn:xmpp:mam:2": "both", "http://jabber.org/protocol/pubsub": "set" } });
  });

  it("on urn:xmpp:privilege:1 has no IQ permission and no 'push' (catalogue preamble)", () => {
    const grant = readAdvertisement(
      privilege(`<perm access='roster' type='both' push='true'/><perm access='iq'><namespace ns='${PAM_NS}' type='set'/></perm>`, "urn:xmpp:privilege:1"),
      1,
    );
    expect(grant).toEqual({ roster: "both" });
  });

  it("ignores unknown accesses and types", () => {
    expect(readAdvertisement(privilege(`<perm access='vcard' type='both'/><perm access='message' type='incoming'/><perm access='roster'/>`), 2)).toEqual({});
  });
});

describe("the suite's server role: privilegeAdvertisement (XEP-0356 #advertise)", () => {
  const role = (version: 1 | 2, privileges?: Parameters<typeof privilegeAdvertisement>[0]["privileges"], privilegeVersion?: 1 | 2) => ({
    domain: "capulet.test",
    component: { jid: "pubsub.capulet.test", secret: "s" },
    version,
    delegations: [],
    accounts: [],
    privileges,
    privilegeVersion,
  });
  const text = (el: Element | undefined) => (el ? serialize(el).replace(/ id="[^"]*"/, "") : undefined);

  it("sends the revision the component speaks, with IQ permissions (one <namespace/> per granted namespace) and 'push' in :2", () => {
    const grant = { roster: "get", push: false, message: "outgoing", presence: "roster", iq: { "http://jabber.org/protocol/pubsub": "set", "urn:xmpp:mam:2": "both", "urn:xmpp:ping": "none" } } as const;
    expect(text(privilegeAdvertisement(role(2, grant)))).toBe(
      `<message from="capulet.test" to="pubsub.capulet.test"><privilege xmlns="urn:xmpp:privilege:2">` +
        `<perm access="roster" type="get" push="false"/><perm access="message" type="outgoing"/>` +
        `<perm access="iq"><namespace ns="http://jabber.org/protocol/pubsub" type="set"/><namespace ns="urn:xmpp:mam:2" type="both"/></perm>` +
        `<perm access="presence" type="roster"/></privilege></message>`,
    );
    // urn:xmpp:privilege:1 (XEP-0356 0.2–0.3): no IQ permission, no 'push' (catalogue preamble)
    expect(text(privilegeAdvertisement(role(1, grant)))).toBe(
      `<message from="capulet.test" to="pubsub.capulet.test"><privilege xmlns="urn:xmpp:privilege:1">` +
        `<perm access="roster" type="get"/><perm access="message" type="outgoing"/><perm access="presence" type="roster"/></privilege></message>`,
    );
    // the privilege revision may differ from the delegation one
    expect(text(privilegeAdvertisement(role(2, { message: "outgoing" }, 1)))).toContain(`xmlns="urn:xmpp:privilege:1"`);
  });

  it("advertises nothing without a grant, or with only 'none' IQ namespaces on :1", () => {
    expect(privilegeAdvertisement(role(2))).toBeUndefined();
    expect(privilegeAdvertisement(role(2, {}))).toBeUndefined();
    expect(privilegeAdvertisement(role(1, { iq: { "http://jabber.org/protocol/pubsub": "set" } }))).toBeUndefined();
    expect(privilegeAdvertisement(role(2, { iq: { "urn:xmpp:ping": "none" } }))).toBeUndefined();
  });
});

describe("the mock privileged entity on its own stream", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  /** A suite server and a connected healthy mock component, with pubsub and XEP-0376 delegated and `privilege` advertised. */
  async function connected(privilege: string, accounts = ["juliet", "romeo"]) {
    const target = mockComponentTarget(2);
    const role = {
      domain: target.domain,
      component: target.component,
      version: 2 as const,
      delegations: [target.delegations.plain, { namespace: PAM_NS }],
      accounts,
      host: "127.0.0.1",
      port: 0,
      connectTimeoutMs: 1000,
    };
    const server = await ServerActor.listen("server", role);
    cleanups.push(() => server.dispose());
    server.attachTranscript(new Transcript());
    const log: string[] = [];
    const component = await startMockComponent({
      host: "127.0.0.1",
      port: server.port,
      jid: target.component.jid,
      secret: target.component.secret,
      serverDomain: target.domain,
      version: 2,
      faults: [],
      delegatedNamespaces: [target.delegations.plain.namespace],
      log: (line) => log.push(line),
    });
    cleanups.push(() => component.stop());
    await server.connect();
    await server.send(parseXml(`<message from='${target.domain}' to='${target.component.jid}' id='adv'><privilege xmlns='urn:xmpp:privilege:2'>${privilege}</privilege></message>`));
    const captures = new Map<string, string>();
    const expect_ = (xml: string, ms = 1000) => server.expect(parseXml(xml), ms, captures).then((r: { stanza: Element }) => r.stanza);
    return { server, component, log, captures, expect: expect_, domain: target.domain, jid: target.component.jid };
  }

  const pam = (domain: string, jid: string, id: string) =>
    parseXml(
      `<iq type='set' id='${id}' from='${domain}' to='${jid}'><delegation xmlns='urn:xmpp:delegation:2'><forwarded xmlns='urn:xmpp:forward:0'>
         <iq xmlns='jabber:client' type='set' id='${id}-pam' from='juliet@${domain}/balcony' to='juliet@${domain}'>
           <pam xmlns='${PAM_NS}' jid='romeo@montague.example'><subscribe xmlns='http://jabber.org/protocol/pubsub' node='urn:xmpp:microblog:0' jid='juliet@${domain}'/></pam>
         </iq></forwarded></delegation></iq>`,
    );

  it("completes a XEP-0376 subscribe with an empty result once the forwarded response is a result, and forwards a remote error", async () => {
    const s = await connected(`<perm access='iq'><namespace ns='http://jabber.org/protocol/pubsub' type='set'/></perm>`);
    /** Sends a PAM request, takes the privileged IQ it causes and answers it as the server would (PRV-IQ-07), `outer` around the response. */
    const subscribe = async (id: string, outer: "result" | "error", response: "result" | "error", error = "") => {
      await s.server.send(pam(s.domain, s.jid, id));
      const privileged = await s.expect(`<iq type='set'><privileged_iq xmlns='urn:xmpp:privilege:2'/></iq>`);
      const inner = privileged.getChild("privileged_iq")!.getChild("iq")!;
      await s.server.send(
        parseXml(
          `<iq type='${outer}' from='juliet@${s.domain}' to='${s.jid}' id='${privileged.attrs.id}'><privilege xmlns='urn:xmpp:privilege:2'><forwarded xmlns='urn:xmpp:forward:0'>
             <iq xmlns='jabber:client' type='${response}' from='romeo@montague.example' to='juliet@${s.domain}' id='${inner.attrs.id}'>${error}</iq></forwarded></privilege></iq>`,
        ),
      );
      return s.expect(`<iq type='result' id='${id}'/>`);
    };
    const done = await subscribe("ok", "result", "result");
    expect(done.getChild("delegation")?.getChild("forwarded")?.getChild("iq")?.attrs).toMatchObject({ type: "result", id: "ok-pam" });

    // PRV-IQ-08's other reading: an outer error around the forwarded remote error.
    const refused = await subscribe("refused", "error", "error", `<error type='auth'><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>`);
    const reply = refused.getChild("delegation")?.getChild("forwarded")?.getChild("iq");
    expect(reply?.attrs.type).toBe("error");
    expect(reply?.getChild("error")?.getChild("not-authorized")).toBeDefined();
  });

  it("asks for a roster once per publish and, refused, notifies nobody and does not ask again", async () => {
    // 'ghost' has no account: the suite's server answers the roster get service-unavailable (RFC 6121 §8.5.1).
    const s = await connected(`<perm access='roster' type='get'/><perm access='message' type='outgoing'/>`);
    await s.server.send(
      parseXml(
        `<iq type='set' id='pub' from='${s.domain}' to='${s.jid}'><delegation xmlns='urn:xmpp:delegation:2'><forwarded xmlns='urn:xmpp:forward:0'>
           <iq xmlns='jabber:client' type='set' id='pub-1' from='ghost@${s.domain}/r' to='ghost@${s.domain}'>
             <pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='n'><item id='i'/></publish></pubsub></iq></forwarded></delegation></iq>`,
      ),
    );
    await s.expect(`<iq type='result' id='pub'/>`);
    await s.server.expectNothing(parseXml(`<message/>`), 300, 0, s.captures);
    expect(s.server.autoAnswered.filter((a) => a.stanza.getChild("query", "jabber:iq:roster")).map((a) => a.stanza.attrs.to)).toEqual([`ghost@${s.domain}`]);
    expect(s.log.some((line) => /no roster for ghost@capulet\.test \(service-unavailable\): nobody notified, not asked again/.test(line))).toBe(true);
  });

  it("acknowledges its server's roster pushes (#roster_pushes, RFC 6121 §2.1.6), and only pushes from a user's bare JID", async () => {
    const s = await connected(`<perm access='roster' type='both' push='true'/>`);
    const push = (id: string, from: string) =>
      s.server.send(parseXml(`<iq type='set' id='${id}' from='${from}' to='${s.jid}'><query xmlns='jabber:iq:roster'><item jid='nurse@example.com'/></query></iq>`));
    await push("roster_push_1", `juliet@${s.domain}`);
    await s.expect(`<iq type='result' id='roster_push_1'/>`);
    await push("forged_push", `juliet@${s.domain}/balcony`);
    await s.expect(`<iq type='error' id='forged_push'/>`);
  });

  it("logs the advertisements it ignores (PE-ADV-01: ignored and reported)", async () => {
    const s = await connected(`<perm access='roster' type='get'/>`);
    await s.server.send(parseXml(`<message from='montague.example' to='${s.jid}' id='f'><privilege xmlns='urn:xmpp:privilege:2'><perm access='message' type='outgoing'/></privilege></message>`));
    await s.server.send(parseXml(`<message from='${s.domain}' to='${s.jid}' id='v'><privilege xmlns='urn:xmpp:privilege:1'><perm access='message' type='outgoing'/></privilege></message>`));
    await s.server.send(parseXml(`<iq type='get' id='sync' from='${s.domain}' to='${s.jid}'><ping xmlns='urn:xmpp:ping'/></iq>`));
    await s.expect(`<iq type='result' id='sync'/>`);
    expect(s.log.filter((line) => line.includes("ignored a privilege advertisement"))).toEqual([
      expect.stringContaining("from montague.example: not its server"),
      expect.stringContaining("in urn:xmpp:privilege:1: it speaks urn:xmpp:privilege:2"),
    ]);
  });
});

const run = (args: string[]) => runRoleAgainstMocks("component", args);

describe("run --role component --spec", () => {
  it("by default checks both specifications, every PE-* row passing from its scenarios, and XEP-0355's verdicts are those of --spec 0355", async () => {
    const [all, only0355] = await Promise.all([run([]), run(["--spec", "0355"])]);
    expect(all.code, all.output).toBe(0);
    expect(only0355.code, only0355.output).toBe(0);
    expect(all.results.targets[0].specVersions).toEqual({ "0355": "0.5", "0356": "0.4.1" });
    const pe = all.results.requirements.filter((r) => r.spec === "0356");
    expect(pe.map((r) => r.id).sort()).toEqual(PE_ROWS.map((r) => r.id).sort());
    for (const r of pe) {
      expect(r.verdict, `${r.id}: ${r.reason}`).toBe("pass");
      expect(r.scenarios.every((id) => id.startsWith("pe-")), r.id).toBe(true);
    }
    const verdicts = (results: RunResult) => results.requirements.filter((r) => r.spec === "0355").map((r) => [r.id, r.verdict, [...r.scenarios].sort()]);
    expect(verdicts(all.results)).toEqual(verdicts(only0355.results));
    expect(only0355.results.requirements.every((r) => r.spec === "0355")).toBe(true);
    expect(only0355.results.scenarios.some((s) => s.id.startsWith("pe-"))).toBe(false);
  }, 60_000);

  it("on a urn:xmpp:privilege:1 mock, PE-IQ-01 is not applicable and the other PE-* rows pass", async () => {
    const { code, output, results } = await run(["--spec", "0356", "--version", "1"]);
    expect(code, output).toBe(0);
    const verdict = new Map(results.requirements.map((r) => [r.id, r.verdict]));
    expect(verdict.get("PE-IQ-01")).toBe("not-applicable");
    for (const id of ["PE-ADV-01", "PE-ADV-02", "PE-MSG-01", "PE-ROB-01"]) expect(verdict.get(id), id).toBe("pass");
    expect(results.targets[0].specVersions).toEqual({ "0356": "0.3" });
  }, 60_000);
});
