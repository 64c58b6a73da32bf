import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { connect, createServer, type AddressInfo, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MANAGING_JID, MOCK_DOMAIN, defaultMockServerOptions, startMockServer, type MockServer, type ServerFault } from "../mocks/server/index.js";
import { startMockComponent } from "../mocks/component/index.js";
import { ClientActor } from "../src/actors/client-actor.js";
import { ComponentActor } from "../src/actors/component-actor.js";
import { nestingResponder } from "../src/actors/nesting-responder.js";
import { Transcript } from "../src/actors/transcript.js";
import { openReplayTarget, replayOnce } from "../src/cli/replay-command.js";
import { freePorts } from "../src/launchers/ports.js";
import { ddmin, split } from "../src/minimize/ddmin.js";
import { failureSignature, minimizeScenario, renderMinimized, stepClosure } from "../src/minimize/minimize-scenario.js";
import { DEMO_REPLIES, driveDemoSession, mockCredentials } from "../src/record/demo-session.js";
import { RecordingProxy } from "../src/record/proxy.js";
import type { RecordedEvent, Recording } from "../src/record/recording.js";
import { writeScript } from "../src/record/script-writer.js";
import type { ScenarioResult } from "../src/runner/result.js";
import type { TextScenario } from "../src/scenario/model.js";
import { escapeLiterals, parseScenario, unescapeLiterals } from "../src/scenario/parse.js";
import { matchValue } from "../src/xml/matcher.js";
import { parseXml } from "../src/xml/element.js";
import { SUITES_DIR, loadSuite } from "../src/scenario/load.js";
import { silence } from "./helpers/cli.js";

const OPTIONS = defaultMockServerOptions();
const SECRETS = {
  component: OPTIONS.components[MANAGING_JID],
  juliet: OPTIONS.accounts.juliet,
  romeo: OPTIONS.accounts.romeo,
};
const plainPayload = (user: string, password: string) => Buffer.from(`\0${user}\0${password}`).toString("base64");

interface Proxied {
  server: MockServer;
  proxy: RecordingProxy;
  c2sPort: number;
  componentPort: number;
}

async function proxiedMock(): Promise<Proxied> {
  const server = await startMockServer();
  const proxy = new RecordingProxy({
    routes: [
      { listenHost: "127.0.0.1", listenPort: 0, upstreamHost: "127.0.0.1", upstreamPort: server.c2sPort },
      { listenHost: "127.0.0.1", listenPort: 0, upstreamHost: "127.0.0.1", upstreamPort: server.componentPort },
    ],
  });
  await proxy.start();
  const [c2s, component] = proxy.addresses;
  return { server, proxy, c2sPort: c2s.port, componentPort: component.port };
}

function client(p: Proxied, name: "juliet" | "romeo", resource: string): ClientActor {
  return new ClientActor(
    name,
    new Transcript(),
    { host: "127.0.0.1", port: p.c2sPort, domain: MOCK_DOMAIN, connectTimeoutMs: 3000 },
    { username: name, password: SECRETS[name] },
    resource,
  );
}

/**
 * A session through the proxy, driven by the suite's own actors
 * (src/record/demo-session.ts): juliet asks the server for microblog items
 * (delegated), the managing entity gets the forward and answers with a
 * wrapped result, juliet gets it. With `padding`, unrelated traffic around
 * it: romeo logs in, asks the server's version and pings it, juliet asks the
 * server's disco#info.
 */
async function recordSession(padding: boolean): Promise<{ recording: Recording; script: string; proxy: RecordingProxy; outcomes: string[] }> {
  const p = await proxiedMock();
  let outcomes: string[];
  try {
    outcomes = await driveDemoSession(
      { host: "127.0.0.1", c2sPort: p.c2sPort, componentPort: p.componentPort, domain: MOCK_DOMAIN, version: 2 },
      mockCredentials(),
      { padding, replies: ["wrapped"] },
    );
    await p.proxy.whenIdle();
  } finally {
    await p.proxy.stop();
    await p.server.stop();
  }
  const written = writeScript(p.proxy.recording, { scrub: (t) => p.proxy.secrets.scrub(t) });
  return { recording: p.proxy.recording, script: written.text, proxy: p.proxy, outcomes };
}

async function replay(script: string, faults: ServerFault[] = [], timeout = "1500"): Promise<ScenarioResult> {
  const scenario = parseScenario(script, "recorded.scenario");
  const target = await openReplayTarget({ against: "mock-server", "mock-fault": faults, timeout }, scenario, "replay");
  try {
    return await replayOnce(scenario, target);
  } finally {
    await target.driver.close();
  }
}

describe("record → replay (end to end, embedded mock server behind the proxy)", () => {
  let recorded: Awaited<ReturnType<typeof recordSession>>;
  let dir: string;

  beforeAll(async () => {
    recorded = await recordSession(false);
    dir = await mkdtemp(join(tmpdir(), "xep0355-record-"));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes a script with one actor per connection, connects instead of the stream setup, and variables for JIDs", () => {
    const s = recorded.script;
    const scenario = parseScenario(s, "recorded.scenario");
    expect(scenario.role).toBe("server");
    expect(scenario.cast).toEqual([
      { name: "me", kind: "component", ref: "managing" },
      { name: "juliet", kind: "client", ref: "juliet" },
    ]);
    expect(scenario.steps.map((x) => x.text)).toEqual([
      "me connects",
      "me receives:", // the delegation advertisement
      "me receives:", // the privilege advertisement (XEP-0356)
      "juliet connects",
      "juliet sends:",
      "me receives:", // the forward
      "me sends:", // the wrapped reply
      "juliet receives:",
      "juliet disconnects",
      "me disconnects",
    ]);
    expect(s).toContain("requirements: REC-TODO-1");
    expect(s).toMatch(/# TODO requirements/);
    // JIDs and ids generalised
    expect(s).not.toContain("balcony");
    expect(s).not.toContain(MOCK_DOMAIN);
    expect(s).toContain("from=\"${juliet.full}\"");
    expect(s).toContain("to='${juliet.full}'");
    expect(s).toMatch(/me receives:\n {2}<iq type="set" from="\$\{server\}" to="\$\{me\}" id="\{\$fwd1\}">/);
    expect(s).toMatch(/me sends:\n {2}<iq type='result' id='\{\$fwd1\}' from='\$\{me\}' to='\$\{server\}'>/);
    expect(s).toContain("<delegation xmlns='${deleg}'>");
    expect(s).toContain("id='items-1'"); // the client's own id stays literal
    expect(s).not.toMatch(/nest-|fwd-[0-9a-f]/); // the server's ids do not
    // the setup is gone
    expect(s).not.toMatch(/<handshake|xmpp-sasl|xmpp-bind|stream:features/);
    expect(s).toMatch(/disco#info queries on the delegation nesting nodes/);
  });

  it("replays against a fresh healthy mock server: pass", async () => {
    const result = await replay(recorded.script);
    expect(result.verdict, result.reason).toBe("pass");
  });

  it.each([
    ["SRV-REP-01", "juliet receives:", /title\/text\(\): expected 'Hello & welcome', received ''/],
    ["SRV-FWD-07", "me receives:", /expected <delegation/],
  ] as const)("replays against the mock with %s on: fail, at the step that shows it", async (fault, step, why) => {
    const result = await replay(recorded.script, [fault]);
    expect(result.verdict, result.reason).toBe("fail");
    expect(result.reason).toContain(`(${step})`);
    expect(result.reason).toMatch(why);
  });

  it("records error answers too: the reference's service-unavailable replays, a server relaying the outer error or the raw reply fails", async () => {
    const p = await proxiedMock();
    let outcomes: string[];
    try {
      outcomes = await driveDemoSession(
        { host: "127.0.0.1", c2sPort: p.c2sPort, componentPort: p.componentPort, domain: MOCK_DOMAIN, version: 2 },
        mockCredentials(),
        { replies: [...DEMO_REPLIES] },
      );
      await p.proxy.whenIdle();
    } finally {
      await p.proxy.stop();
      await p.server.stop();
    }
    expect(outcomes[1]).toContain("service-unavailable");
    expect(outcomes[2]).toContain("service-unavailable");
    const script = writeScript(p.proxy.recording).text;
    expect(script).toMatch(/me sends:\n {2}<iq type='error' id='\{\$fwd2\}'/);
    expect(script).toMatch(/me sends:\n {2}<iq type='result' id='\{\$fwd3\}' from='\$\{me\}' to='\$\{server\}'>\n {4}<pubsub/);
    expect((await replay(script)).verdict).toBe("pass");
    for (const [fault, id] of [["SRV-REP-08", "items-2"], ["SRV-REP-09", "items-3"]] as const) {
      const result = await replay(script, [fault], "500");
      expect(result.verdict, fault).toBe("fail");
      expect(result.evidence?.expected, fault).toContain(`id="${id}"`);
    }
  });

  it("the replay command loads the written file and gives the verdict through the same path", async () => {
    const file = join(dir, "recorded.scenario");
    await writeFile(file, recorded.script);
    const { replayCommand } = await import("../src/cli/replay-command.js");
    const quiet = silence();
    let pass: number;
    let fail: number;
    let keepGoing: number;
    try {
      pass = await replayCommand([file, "--against", "mock-server"]);
      fail = await replayCommand([file, "--against", "mock-server", "--mock-fault", "SRV-REP-01", "--timeout", "500"]);
      keepGoing = await replayCommand([file, "--against", "mock-server", "--mock-fault", "SRV-FWD-07", "--timeout", "300", "--keep-going"]);
    } finally {
      quiet.restore();
    }
    expect(pass).toBe(0);
    expect(fail).toBe(1);
    expect(keepGoing).toBe(1);
    const out = quiet.stdout();
    expect(out).toMatch(/PASS {2}recorded-/);
    expect(out).toMatch(/FAIL {2}recorded-.*juliet receives:/);
    // --keep-going: the forward does not match, so the reply cannot use its id; juliet then gets no answer
    expect(out).toMatch(/FAIL {2}line \d+ \(me receives:\)/);
    expect(out).toMatch(/SKIP {2}line \d+ \(me sends:\) needs \{\$fwd1\}, which an earlier failing step did not capture/);
    expect(out).toMatch(/FAIL {2}line \d+ \(juliet receives:\)/);
    expect(out).toMatch(/3 of 10 steps differ/);
    await expect(replayCommand([file, "--against", "mock-component"])).rejects.toThrow(/server-role scenario/);
    await expect(replayCommand([file, "--target", "x.json", "--against", "mock-server"])).rejects.toThrow(/not both/);
    await expect(replayCommand([file, "--mock-fault", "ME-REP-01"])).rejects.toThrow(/not a fault of the mock-server/);
  });

  it("the record command (--once) proxies, stops when the session is over and writes the script and the JSON", async () => {
    const server = await startMockServer();
    const [c2s, component] = await freePorts(2);
    const out = join(dir, "cli.scenario");
    const json = join(dir, "cli.json");
    const { recordCommand } = await import("../src/cli/record-command.js");
    const quiet = silence();
    try {
      const recording = recordCommand([
        "--listen", String(c2s), "--upstream", `127.0.0.1:${server.c2sPort}`,
        "--listen", `127.0.0.1:${component}`, "--upstream", `127.0.0.1:${server.componentPort}`,
        "--once", "--quiet", "--out", out, "--json", json, "--id", "cli-recorded",
      ]);
      await waitFor(() => quiet.stderr().includes(`proxying 127.0.0.1:${component}`));
      await driveDemoSession({ host: "127.0.0.1", c2sPort: c2s, componentPort: component, domain: MOCK_DOMAIN, version: 2 }, mockCredentials(), {});
      expect(await recording).toBe(0);
    } finally {
      quiet.restore();
      await server.stop();
    }
    const script = await readFile(out, "utf8");
    expect(parseScenario(script, out).id).toBe("cli-recorded");
    expect(quiet.stderr()).toMatch(/2 connection\(s\), 10 step\(s\); me = component pubsub.capulet.test, connection 1; juliet = client juliet@capulet.test\/balcony, connection 2/);
    const events = JSON.parse(await readFile(json, "utf8")) as Recording;
    expect(events.connections).toHaveLength(2);
    for (const secret of [SECRETS.component, SECRETS.juliet, plainPayload("juliet", SECRETS.juliet)]) {
      expect(script).not.toContain(secret);
      expect(JSON.stringify(events)).not.toContain(secret);
    }
    expect((await replay(script)).verdict).toBe("pass");
    await expect(recordCommand(["--listen", "1"])).rejects.toThrow(/1 --listen but 0 --upstream/);
    await expect(recordCommand(["--listen", "1", "--upstream", "nohost"])).rejects.toThrow(/expected HOST:PORT/);
  });

  it("never writes a credential: component secret, passwords, SASL payloads, handshake digests", async () => {
    const padded = await recordSession(true);
    const json = padded.proxy.secrets.scrub(JSON.stringify(padded.recording));
    const forbidden = [
      SECRETS.component,
      SECRETS.juliet,
      SECRETS.romeo,
      plainPayload("juliet", SECRETS.juliet),
      plainPayload("romeo", SECRETS.romeo),
    ];
    for (const text of [recorded.script, padded.script, json]) {
      for (const secret of forbidden) expect(text).not.toContain(secret);
      expect(text).not.toMatch(/<handshake>[0-9a-f]{40}</);
      expect(text).not.toMatch(/<auth[^>]*>(?!\[redacted\])[^<]+</);
    }
    // the proxy did see them (so the check above means something)
    expect(padded.proxy.secrets.scrub(`x ${plainPayload("romeo", SECRETS.romeo)} ${SECRETS.juliet} y`)).toBe("x [redacted] [redacted] y");
    expect(JSON.stringify(padded.recording)).toContain("<handshake>[redacted]</handshake>");
  });
});

describe("the proxy and malformed traffic", () => {
  let upstream: Server;
  const received: Buffer[] = [];
  let toClient: Buffer;
  let proxy: RecordingProxy;

  beforeAll(async () => {
    // A stand-in server that keeps every byte it gets and answers with bytes of its own.
    toClient = Buffer.concat([
      Buffer.from("<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' from='capulet.test' id='s1' version='1.0'>"),
      Buffer.from("<message><body>caf\u00e9 \u2603</body></message>"),
      Buffer.from([0xff, 0xfe, 0x00, 0x3c, 0x3c]),
      Buffer.from("<iq></message>"),
    ]);
    upstream = createServer((socket) => {
      socket.on("data", (d: Buffer) => {
        received.push(d);
        if (received.length === 1) socket.write(toClient);
      });
    });
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
    proxy = new RecordingProxy({
      routes: [{ listenHost: "127.0.0.1", listenPort: 0, upstreamHost: "127.0.0.1", upstreamPort: (upstream.address() as AddressInfo).port }],
    });
    await proxy.start();
  });

  afterAll(async () => {
    await proxy.stop();
    await new Promise<void>((r) => upstream.close(() => r()));
  });

  it("passes malformed bytes on unchanged in both directions, notes them in the script and keeps running", async () => {
    const fromClient = Buffer.concat([
      Buffer.from("<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='capulet.test' version='1.0'>"),
      Buffer.from("<iq type='get' id='bad'><query xmlns='jabber:iq:version'></iq>"),
      Buffer.from([0xe2, 0x98]), // half a UTF-8 character…
      Buffer.from([0x83, 0x00, 0xff]), // …its end, and bytes that are not XML at all
    ]);
    const socket = connect((proxy.addresses[0] as { port: number }).port, "127.0.0.1");
    const back: Buffer[] = [];
    socket.on("data", (d: Buffer) => back.push(d));
    await new Promise<void>((r) => socket.once("connect", () => r()));
    // in pieces, cut in the middle of tags and of the UTF-8 character
    for (const cut of [[0, 50], [50, 140], [140, 175], [175, fromClient.length - 3], [fromClient.length - 3, fromClient.length]]) {
      socket.write(fromClient.subarray(cut[0], cut[1]));
      await new Promise((r) => setTimeout(r, 15));
    }
    await waitFor(() => Buffer.concat(received).length >= fromClient.length && Buffer.concat(back).length >= toClient.length);
    expect(Buffer.concat(received).equals(fromClient)).toBe(true);
    expect(Buffer.concat(back).equals(toClient)).toBe(true);
    socket.destroy();
    await waitFor(() => proxy.openConnections === 0);

    const events = proxy.recording.events.filter((e) => e.conn === 1);
    const malformed = events.filter((e) => e.kind === "malformed");
    const up = malformed.find((e) => e.kind === "malformed" && e.dir === "up");
    const down = malformed.find((e) => e.kind === "malformed" && e.dir === "down");
    expect(malformed).toHaveLength(2);
    expect(up?.kind === "malformed" && up.error).toMatch(/^mismatched end tag <\/iq>, expected <\/query>/);
    expect(up?.kind === "malformed" && up.text).toMatch(/^<iq type='get' id='bad'><query xmlns='jabber:iq:version'><\/iq>/);
    expect(down?.kind === "malformed" && down.error).toMatch(/^mismatched end tag <\/message>/);
    expect(events.some((e) => e.kind === "stanza" && e.xml.includes("café ☃"))).toBe(true);

    const script = writeScript(proxy.recording).text;
    expect(script).toMatch(/# connection 1 → server: not well-formed XML \(mismatched end tag <\/iq>, expected <\/query>[^)]*\)/);
    expect(script).toMatch(/# server → connection 1: not well-formed XML/);

    // still proxying
    const again = connect((proxy.addresses[0] as { port: number }).port, "127.0.0.1");
    await new Promise<void>((r) => again.once("connect", () => r()));
    const before = Buffer.concat(received).length;
    again.write("<?xml version='1.0'?>");
    await waitFor(() => Buffer.concat(received).length === before + 21);
    again.destroy();
    expect(proxy.recording.connections).toHaveLength(2);
  });

  it("a malformed stanza from a logged-in client becomes a 'sends raw' step that replays the server's reaction", async () => {
    const p = await proxiedMock();
    const juliet = client(p, "juliet", "balcony");
    try {
      await juliet.connect();
      await juliet.sendRaw("<iq type='get' id='bad'><query xmlns='jabber:iq:version'></iq>");
      await waitFor(() => juliet.isClosed);
      await p.proxy.whenIdle();
    } finally {
      await juliet.dispose();
      await p.proxy.stop();
      await p.server.stop();
    }
    const script = writeScript(p.proxy.recording).text;
    expect(script).toContain("juliet sends raw:\n  <iq type='get' id='bad'><query xmlns='jabber:iq:version'></iq>");
    expect(script).toMatch(/juliet receives:\n {2}<stream:error[^>]*>\n {4}<not-well-formed xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>\n {2}<\/stream:error>/);
    const result = await replay(script);
    expect(result.verdict, result.reason).toBe("pass");
  });
});

describe("the script writer (synthetic recording)", () => {
  it("names actors by role and account, generalises JIDs and server ids, drops setup nonzas, keeps malformed client XML as 'sends raw'", () => {
    let seq = 0;
    const events: RecordedEvent[] = [];
    const add = (conn: number, e: DistributiveOmit<RecordedEvent, "seq" | "t" | "conn">) => events.push({ ...e, seq: ++seq, t: seq, conn } as RecordedEvent);
    const clientSetup = (conn: number, jid: string) => {
      add(conn, { kind: "stream-start", dir: "up", attrs: { xmlns: "jabber:client", to: "example.org" } });
      add(conn, { kind: "stanza", dir: "up", xml: `<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="PLAIN">[redacted]</auth>` });
      add(conn, { kind: "stanza", dir: "up", xml: `<iq type="set" id="b${conn}"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"/></iq>` });
      add(conn, { kind: "stanza", dir: "down", xml: `<iq type="result" id="b${conn}"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"><jid>${jid}</jid></bind></iq>` });
    };
    const componentSetup = (conn: number, jid: string) => {
      add(conn, { kind: "stream-start", dir: "up", attrs: { xmlns: "jabber:component:accept", to: jid } });
      add(conn, { kind: "stanza", dir: "up", xml: "<handshake>[redacted]</handshake>" });
      add(conn, { kind: "stanza", dir: "down", xml: "<handshake/>" });
    };
    componentSetup(1, "other.example.org");
    componentSetup(2, "pubsub.example.org");
    add(2, { kind: "stanza", dir: "down", xml: `<message from="example.org" to="pubsub.example.org" id="adv"><delegation xmlns="urn:xmpp:delegation:1"><delegated namespace="urn:x"/></delegation></message>` });
    clientSetup(3, "alice@example.org/phone");
    clientSetup(4, "alice@example.org/laptop");
    clientSetup(5, "romeo@example.org/r");
    add(3, { kind: "stanza", dir: "up", xml: `<iq type="set" id="s1"><session xmlns="urn:ietf:params:xml:ns:xmpp-session"/></iq>` });
    add(3, { kind: "stanza", dir: "down", xml: `<iq type="result" id="s1"/>` });
    add(3, { kind: "stanza", dir: "up", xml: `<enable xmlns="urn:xmpp:sm:3"/>` });
    add(3, { kind: "stanza", dir: "up", xml: `<message to="alice@example.org/laptop" id="m1"><body>hi</body></message>` });
    add(4, { kind: "stanza", dir: "down", xml: `<message to="alice@example.org/laptop" from="alice@example.org/phone" id="m1" xml:lang="en"><body>hi</body></message>` });
    add(5, { kind: "stanza", dir: "down", xml: `<iq type="get" id="srv-ping" from="example.org" to="romeo@example.org/r"><ping xmlns="urn:xmpp:ping"/></iq>` });
    add(5, { kind: "stanza", dir: "up", xml: `<iq type="result" id="srv-ping" to="example.org"/>` });
    add(5, { kind: "stanza", dir: "down", xml: `<presence from="room@conference.example.org/x" id="p-srv"/>` });
    add(1, { kind: "stanza", dir: "up", xml: `<message from="other.example.org" to="romeo@example.org"/>` });
    add(4, { kind: "malformed", dir: "up", error: "mismatched end tag", text: "<iq to='alice@example.org/phone'><query></iq>", truncated: false });
    add(5, { kind: "stream-end", dir: "up" });
    add(5, { kind: "closed", by: "client" });
    add(2, { kind: "closed", by: "proxy", reason: "the recording stopped" });
    const recording: Recording = { startedAt: "2026-01-02T03:04:05.000Z", connections: [1, 2, 3, 4, 5].map((id) => ({ id, listen: "l", upstream: "u", openedAt: 0 })), events };
    const written = writeScript(recording);
    const scenario = parseScenario(written.text, "synthetic");
    expect(scenario.id).toBe("recorded-20260102-030405");
    expect(scenario.needs).toEqual(["otherComponent"]);
    expect(scenario.cast.map((c) => `${c.name}: ${c.kind} ${c.ref}`)).toEqual([
      "other: component other",
      "me: component managing", // it got the advertisement
      "juliet: client juliet", // alice, written as juliet
      "juliet2: client juliet", // alice's second connection
      "romeo: client romeo",
    ]);
    expect(written.warnings).toEqual(["account 'alice' is written as juliet (target files define the accounts juliet and romeo)"]);
    const t = written.text;
    expect(t).not.toMatch(/xmpp-session|urn:xmpp:sm:3|xmpp-sasl|handshake>/);
    expect(t).toContain("juliet sends:\n  <message to='${juliet2.full}' id='m1'><body>hi</body></message>");
    expect(t).toMatch(/juliet2 receives:\n {2}<message to="\$\{juliet2.full\}" from="\$\{juliet.full\}" id="m1">/); // xml:lang dropped
    expect(t).toMatch(/romeo receives:\n {2}<iq type="get" id="\{\$srv1\}"/);
    expect(t).toContain("romeo sends:\n  <iq type='result' id='{$srv1}' to='${server}'/>");
    expect(t).toContain(`<presence from="room@conference.\${server}/x"/>`); // the server's own id is left out
    expect(t).toContain(`<message from="\${server}" to="\${me}">`);
    expect(t).toContain("other sends:\n  <message from='${other}' to='${romeo.bare}'/>");
    expect(t).toContain("juliet2 sends raw:\n  <iq to='${juliet.full}'><query></iq>");
    expect(t).toMatch(/romeo disconnects\n/);
    expect(t).toMatch(/# me's TCP connection was still open when the recording stopped/);
  });
});

describe("suites/regressions", () => {
  it("every regression script passes against the reference and fails with the mock fault of its first requirement", async () => {
    const scenarios = await loadSuite("server", join(SUITES_DIR, "regressions", "server"));
    expect(scenarios.length).toBeGreaterThanOrEqual(1);
    for (const scenario of scenarios) {
      const healthy = await replay(await readFile(scenario.file, "utf8"));
      expect(healthy.verdict, `${scenario.id}: ${healthy.reason}`).toBe("pass");
      const fault = scenario.requirements[0] as ServerFault;
      const faulty = await replay(await readFile(scenario.file, "utf8"), [fault], "500");
      expect(faulty.verdict, `${scenario.id} with ${fault}`).toBe("fail");
      expect(faulty.failedRequirement).toBe(fault);
    }
  });
});

describe("ddmin", () => {
  it("finds the 1-minimal failing subset of a synthetic predicate", async () => {
    const items = Array.from({ length: 40 }, (_, i) => i);
    let calls = 0;
    const result = await ddmin(items, (c) => {
      calls++;
      return [3, 17, 29].every((x) => c.includes(x));
    });
    expect(result.items).toEqual([3, 17, 29]);
    expect(result.tests).toBe(calls);
    expect(result.tests).toBeLessThan(100);
  });

  it("repairs candidates with close() and never tests a candidate twice", async () => {
    const items = Array.from({ length: 16 }, (_, i) => i);
    const seen = new Set<string>();
    const result = await ddmin(
      items,
      (c) => {
        const key = c.join(",");
        expect(seen.has(key)).toBe(false);
        seen.add(key);
        return c.includes(11) && c.includes(5);
      },
      // 11 cannot go without 2 (say, the step that captures what 11 uses)
      { close: (c) => (c.includes(11) ? [...c, 2] : c) },
    );
    expect(result.items).toEqual([2, 5, 11]);
  });

  it("keeps the whole list when every item is needed, and stops at maxTests", async () => {
    expect((await ddmin([1, 2, 3], (c) => c.length === 3)).items).toEqual([1, 2, 3]);
    const capped = await ddmin(Array.from({ length: 64 }, (_, i) => i), (c) => c.includes(63), { maxTests: 3 });
    expect(capped.exhausted).toBe(true);
    expect(capped.items).toContain(63);
    expect(split([1, 2, 3, 4, 5], 2)).toEqual([[1, 2, 3], [4, 5]]);
  });

  it("closes a step set over connects, captures, 'it matches' and requests", () => {
    const scenario = parseScenario(
      [
        "id: t",
        "title: t",
        "role: server",
        "requirements: SRV-FWD-07",
        "cast:",
        "  juliet: client",
        "  me: component managing",
        "me connects",
        "juliet connects",
        "juliet sends:",
        "  <iq type='get' id='a'/>",
        "me receives:",
        "  <iq id='{$fwd}'/>",
        "it matches:",
        "  <iq type='set'/>",
        "me sends:",
        "  <iq type='result' id='{$fwd}'/>",
        "juliet receives:",
        "  <iq type='result' id='a'/>",
      ].join("\n"),
      "t",
    );
    const [meConnects, julietConnects, julietSends, meReceives, itMatches, meSends, julietReceives] = scenario.steps;
    const close = stepClosure(scenario.steps);
    expect(close([meSends])).toEqual([meConnects, meReceives, meSends]);
    expect(close([itMatches])).toEqual([meConnects, meReceives, itMatches]);
    expect(close([julietSends])).toEqual([julietConnects, julietSends]);
    // a response needs its request
    expect(close([julietReceives])).toEqual([julietConnects, julietSends, julietReceives]);
  });
});

describe("minimize a recorded script", () => {
  it("drops the padding and keeps a script that still fails the same way against the faulty mock", async () => {
    const { script } = await recordSession(true);
    const scenario = parseScenario(script, "padded.scenario");
    expect(scenario.steps.length).toBeGreaterThanOrEqual(16);
    const target = await openReplayTarget({ against: "mock-server", "mock-fault": ["SRV-REP-01"], timeout: "500" }, scenario, "minimize");
    try {
      const run = (s: TextScenario) => replayOnce(s, target);
      const minimized = await minimizeScenario(scenario, run);
      expect(minimized.original.verdict).toBe("fail");
      expect(minimized.steps.length).toBeLessThan(scenario.steps.length);
      const texts = minimized.steps.map((s) => s.text);
      expect(texts).toEqual(["me connects", "juliet connects", "juliet sends:", "me receives:", "me sends:", "juliet receives:"]);
      expect(texts.join(" ")).not.toMatch(/romeo/);

      const text = renderMinimized(script, scenario, minimized.steps, ["minimized in a test"]);
      const written = parseScenario(text, "minimized.scenario");
      expect(written.cast.map((c) => c.name)).toEqual(["me", "juliet"]);
      expect(written.steps).toHaveLength(minimized.steps.length);
      const again = await run(written);
      expect(failureSignature(again, written.steps)?.key).toBe(minimized.signature.key);
      const healthy = await replay(text);
      expect(healthy.verdict, healthy.reason).toBe("pass");
    } finally {
      await target.driver.close();
    }
  });
});

describe("recording what real clients do (issue 14)", () => {
  const TRICKY = "a ${juliet} b {$fwd1} c {any} d \\${x} e \\\\{$y} f $5 {x} \\n";

  it("escapes literal ${…}, {$…} and {any} (docs/scenario-format.md): sent exactly, matched literally", () => {
    for (const text of [TRICKY, "${$x}", "{${x}", "\\", "\\\\${", "{$", "$", "{any}any}", "plain"]) {
      const escaped = escapeLiterals(text);
      const sent = parseXml(`<b>${unescapeLiterals(escaped, "send")}</b>`);
      // what the runner does to a sends block before parsing it: no ${…} or {$…} may be left for it
      expect(unescapeLiterals(escaped, "send")).not.toMatch(/\$\{|\{\$/);
      expect(sent.getText()).toBe(text);
      const pattern = parseXml(`<b>${unescapeLiterals(escaped, "pattern")}</b>`).getText();
      expect(unescapeLiterals(escaped, "pattern")).not.toMatch(/\$\{/);
      expect(matchValue(pattern, text, new Map()), text).toBe(true);
    }
    const pattern = parseXml(`<b>${unescapeLiterals(escapeLiterals(TRICKY), "pattern")}</b>`).getText();
    const captures = new Map<string, string>();
    expect(matchValue(pattern, TRICKY.replace("${juliet}", "juliet@capulet.test"), captures)).toBe(false);
    expect(matchValue(pattern, TRICKY.replace("{any}", "zzz"), captures)).toBe(false);
    expect(captures.size).toBe(0);
    // an unescaped backslash elsewhere is itself
    expect(unescapeLiterals("C:\\temp\\new", "send")).toBe("C:\\temp\\new");
    // by hand, one backslash is enough for either character of ${ or {$
    for (const [written, text] of [["\\{$fwd1}", "{$fwd1}"], ["{\\$fwd1}", "{$fwd1}"], ["\\${juliet}", "${juliet}"], ["$\\{juliet}", "${juliet}"]]) {
      const sent = unescapeLiterals(written, "send");
      expect(sent, written).not.toMatch(/\$\{|\{\$/);
      expect(parseXml(`<b>${sent}</b>`).getText()).toBe(text);
      const pattern = unescapeLiterals(written, "pattern");
      expect(pattern).not.toMatch(/\$\{[\w.-]+\}/); // nothing the runner would take for a variable
      expect(matchValue(parseXml(`<b>${pattern}</b>`).getText(), text, new Map()), written).toBe(true);
    }
  });

  it("a message body with template syntax is recorded escaped and replays; the client that closed is the one that closed; no managing entity is said loudly", async () => {
    const p = await proxiedMock();
    const juliet = client(p, "juliet", "balcony");
    const romeo = client(p, "romeo", "orchard");
    try {
      await romeo.connect();
      await juliet.connect();
      await juliet.send(parseXml(`<message type='chat' id='m-1' to='${romeo.address}'><body>${escapeXml(TRICKY)}</body></message>`));
      await romeo.expect(parseXml("<message id='m-1'/>"), 3000, new Map());
      await juliet.disconnect();
      await romeo.disconnect();
      await p.proxy.whenIdle();
    } finally {
      await Promise.all([juliet.dispose(), romeo.dispose()]);
      await p.proxy.stop();
      await p.server.stop();
    }
    const closed = p.proxy.recording.events.filter((e) => e.kind === "closed");
    expect(closed.map((e) => e.kind === "closed" && e.by)).toEqual(["client", "client"]);
    const written = writeScript(p.proxy.recording);
    expect(written.text).toContain("<body>a \\${juliet} b \\{\\$fwd1} c \\{any} d \\\\\\${x} e \\\\\\\\\\{\\$y} f $5 {x} \\n</body>");
    expect(written.warnings.join(" ")).toMatch(/no managing entity: .*tests no delegation/);
    expect(written.text).toMatch(/# WARNING: no managing entity/);
    const result = await replay(written.text);
    expect(result.verdict, result.reason).toBe("pass");
  });

  it("the suite's mock component and mock server agree by default (an inner error, a reply without inner 'from'); a refusal shows the mock's reason", async () => {
    const p = await proxiedMock();
    const me = await startMockComponent({
      host: "127.0.0.1",
      port: p.componentPort,
      jid: MANAGING_JID,
      secret: SECRETS.component,
      serverDomain: MOCK_DOMAIN,
      version: 2,
      faults: [],
      readings: { "ME-REP-04": "no-from" },
    });
    const juliet = client(p, "juliet", "balcony");
    try {
      await juliet.connect();
      const pubsub = "xmlns='http://jabber.org/protocol/pubsub'";
      await juliet.send(parseXml(`<iq type='get' id='q-1' to='${juliet.bare}'><pubsub ${pubsub}><items node='nowhere'/></pubsub></iq>`));
      const error = await juliet.expect(parseXml("<iq id='q-1'/>"), 3000, new Map());
      expect(error.stanza.toString()).toContain("item-not-found"); // the inner error, relayed (SRV-REP-07 lenient)
      await juliet.send(parseXml(`<iq type='set' id='q-2' to='${juliet.bare}'><pubsub ${pubsub}><publish node='notes'><item id='n1'/></publish></pubsub></iq>`));
      const published = await juliet.expect(parseXml("<iq id='q-2'/>"), 3000, new Map());
      expect(published.stanza.attrs.type).toBe("result"); // no inner 'from', filled in (SRV-REP-14 delivered)
      await juliet.disconnect();
    } finally {
      await juliet.dispose();
      await me.stop();
      await p.proxy.stop();
      await p.server.stop();
    }
    const file = join(await mkdtemp(join(tmpdir(), "xep0355-pair-")), "pair.scenario");
    await writeFile(file, writeScript(p.proxy.recording).text);
    const { replayCommand } = await import("../src/cli/replay-command.js");
    const quiet = silence();
    let codes: number[];
    try {
      codes = [
        await replayCommand([file, "--against", "mock-server"]),
        await replayCommand([file, "--against", "mock-server", "--mock-reading", "SRV-REP-07=strict", "--timeout", "500"]),
        await replayCommand([file, "--against", "mock-server", "--mock-reading", "SRV-REP-14=refused", "--timeout", "500", "--keep-going"]),
      ];
    } finally {
      quiet.restore();
    }
    expect(codes).toEqual([0, 1, 1]);
    const out = quiet.stdout();
    expect(out).toMatch(/PASS {2}recorded-/);
    expect(out).toMatch(/the mock server: bad reply to fwd-[\w-]+: inner type error \(strict reading\)/);
    expect(out).toMatch(/the mock server: bad reply to fwd-[\w-]+: no inner 'from' \(strict reading of SRV-REP-14\)/);
    await expect(replayCommand([file, "--mock-reading", "SRV-REP-07=maybe"])).rejects.toThrow(/'SRV-REP-07' reads lenient or strict/);
  });

  it("--keep-going lists a stanza no step consumed once, not again at every later failure", async () => {
    const p = await proxiedMock();
    try {
      await driveDemoSession(
        { host: "127.0.0.1", c2sPort: p.c2sPort, componentPort: p.componentPort, domain: MOCK_DOMAIN, version: 2 },
        mockCredentials(),
        { replies: ["wrapped", "wrapped", "wrapped"] },
      );
      await p.proxy.whenIdle();
    } finally {
      await p.proxy.stop();
      await p.server.stop();
    }
    const file = join(await mkdtemp(join(tmpdir(), "xep0355-kg-")), "three.scenario");
    await writeFile(file, writeScript(p.proxy.recording).text);
    const { replayCommand } = await import("../src/cli/replay-command.js");
    const quiet = silence();
    try {
      expect(await replayCommand([file, "--against", "mock-server", "--mock-fault", "SRV-FWD-07", "--timeout", "300", "--keep-going"])).toBe(1);
    } finally {
      quiet.restore();
    }
    const out = quiet.stdout();
    // the fault forwards unwrapped: each 'me receives' fails and leaves its forward unconsumed
    expect(out.match(/FAIL {2}line \d+ \(me receives:\)/g)).toHaveLength(3);
    // each such forward is printed where it first appears, not again at the next failure
    for (const id of ["items-1", "items-2", "items-3"]) {
      expect(out.split("\n").filter((l) => l.startsWith("        <iq type=\"set\"") && l.includes(`id="${id}"`)), id).toHaveLength(1);
    }
    expect(out).toMatch(/received \(not consumed by earlier steps; 1 more listed above\)/);
    expect(out).toMatch(/received \(not consumed by earlier steps; 2 more listed above\)/);
  });

  it("record --target proxies both ports; --once ends when the clients are done, with the managing entity still connected (not a disconnect)", async () => {
    const server = await startMockServer();
    const dir = await mkdtemp(join(tmpdir(), "xep0355-once-"));
    const targetFile = join(dir, "mock.json");
    await writeFile(targetFile, JSON.stringify(mockTarget(server)));
    const [c2s, component] = await freePorts(2);
    const out = join(dir, "once.scenario");
    const { recordCommand } = await import("../src/cli/record-command.js");
    const quiet = silence();
    const me = new ComponentActor("me", new Transcript(), { host: "127.0.0.1", port: component, connectTimeoutMs: 3000 }, { jid: MANAGING_JID, secret: SECRETS.component }, nestingResponder("urn:xmpp:delegation:2"));
    const juliet = new ClientActor("juliet", new Transcript(), { host: "127.0.0.1", port: c2s, domain: MOCK_DOMAIN, connectTimeoutMs: 3000 }, { username: "juliet", password: SECRETS.juliet }, "balcony");
    let code: number;
    try {
      const recording = recordCommand(["--target", targetFile, "--c2s-listen", String(c2s), "--component-listen", String(component), "--once", "--quiet", "--out", out]);
      await waitFor(() => quiet.stderr().includes(`proxying 127.0.0.1:${component}`));
      await me.connect();
      await juliet.connect();
      await juliet.send(parseXml(`<iq type='get' id='p-1' to='${MOCK_DOMAIN}'><ping xmlns='urn:xmpp:ping'/></iq>`));
      await juliet.expect(parseXml("<iq id='p-1'/>"), 3000, new Map());
      await juliet.disconnect();
      code = await recording; // the managing entity never disconnects
    } finally {
      quiet.restore();
      await Promise.all([me.dispose(), juliet.dispose()]);
      await server.stop();
    }
    expect(code).toBe(0);
    expect(quiet.stderr()).toMatch(/\(c2s: point your clients here\)/);
    expect(quiet.stderr()).toMatch(/\(component: point your managing component here\)/);
    const script = await readFile(out, "utf8");
    expect(script).toContain("juliet disconnects");
    expect(script).not.toContain("me disconnects");
    expect(script).toMatch(/# me's TCP connection was still open when the recording stopped/);
    await expect(recordCommand(["--target", targetFile, "--listen", "1", "--upstream", "h:1"])).rejects.toThrow(/--target or --listen/);
  });

  it("what arrives once the recording is stopped (a component's goodbye after the same Ctrl-C) is not written as a step", async () => {
    const p = await proxiedMock();
    const me = new ComponentActor("me", new Transcript(), { host: "127.0.0.1", port: p.componentPort, connectTimeoutMs: 3000 }, { jid: MANAGING_JID, secret: SECRETS.component }, nestingResponder("urn:xmpp:delegation:2"));
    try {
      await me.connect();
      p.proxy.freeze();
      await me.disconnect();
      await waitFor(() => me.isClosed);
    } finally {
      await me.dispose();
      await p.proxy.stop();
      await p.server.stop();
    }
    const script = writeScript(p.proxy.recording).text;
    expect(script).toContain("me connects");
    expect(script).not.toContain("me disconnects");
    expect(script).toMatch(/# me's TCP connection was still open when the recording stopped/);
  });
});

/** A server target file for an embedded mock server (what `record --target` reads). */
function mockTarget(server: MockServer): object {
  return {
    role: "server",
    name: "embedded mock server",
    host: "127.0.0.1",
    domain: MOCK_DOMAIN,
    c2sPort: server.c2sPort,
    componentPort: server.componentPort,
    version: 2,
    accounts: { juliet: { username: "juliet", password: SECRETS.juliet }, romeo: { username: "romeo", password: SECRETS.romeo } },
    components: { managing: { jid: MANAGING_JID, secret: SECRETS.component } },
    delegations: { plain: { namespace: "http://jabber.org/protocol/pubsub" } },
  };
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;");
}



type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

async function waitFor(condition: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}
