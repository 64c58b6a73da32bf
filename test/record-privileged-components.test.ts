import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MANAGING_JID, MOCK_DOMAIN, OTHER_JID, startMockServer, type MockServer } from "../mocks/server/index.js";
import { MESSENGER_JID, READER_JID } from "../mocks/server/options.js";
import { ClientActor } from "../src/actors/client-actor.js";
import { ComponentActor } from "../src/actors/component-actor.js";
import { Transcript } from "../src/actors/transcript.js";
import { recordCommand } from "../src/cli/record-command.js";
import { openReplayTarget, replayOnce } from "../src/cli/replay-command.js";
import { freePorts } from "../src/launchers/ports.js";
import type { RecordedEvent, Recording } from "../src/record/recording.js";
import { writeScript } from "../src/record/script-writer.js";
import { parseScenario } from "../src/scenario/parse.js";
import { parseXml } from "../src/xml/element.js";
import { silence } from "./helpers/cli.js";

// record knows the target's XEP-0356 components (PRV-ROS-01's reader and messenger): it casts them by their JIDs,
// and proxies a component's own port (ejabberd: one listener per component).

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A synthetic recording: components connecting, in order, each sending one message once set up. */
function componentsRecording(jids: string[]): Recording {
  let seq = 0;
  const events: RecordedEvent[] = [];
  const add = (conn: number, e: DistributiveOmit<RecordedEvent, "seq" | "t" | "conn">) => events.push({ ...e, seq: ++seq, t: seq, conn } as RecordedEvent);
  jids.forEach((jid, i) => {
    add(i + 1, { kind: "stream-start", dir: "up", attrs: { xmlns: "jabber:component:accept", to: jid } });
    add(i + 1, { kind: "stanza", dir: "up", xml: "<handshake>[redacted]</handshake>" });
    add(i + 1, { kind: "stanza", dir: "down", xml: "<handshake/>" });
    add(i + 1, { kind: "stanza", dir: "up", xml: `<message from="${jid}" to="juliet@capulet.test" id="m${i + 1}"/>` });
  });
  return { startedAt: "2026-01-02T03:04:05.000Z", connections: jids.map((_, i) => ({ id: i + 1, listen: "l", upstream: "u", openedAt: 0 })), events };
}

describe("the script writer and the target's components", () => {
  it("casts a component by the target's JID: reader and messenger by their refs, the managing one as me even without an advertisement", () => {
    const written = writeScript(componentsRecording([READER_JID, OTHER_JID, MANAGING_JID, MESSENGER_JID]), {
      components: { managing: MANAGING_JID, other: OTHER_JID, reader: READER_JID, messenger: MESSENGER_JID },
    });
    const scenario = parseScenario(written.text, "synthetic");
    expect(scenario.cast.map((c) => `${c.name}: ${c.kind} ${c.ref}`)).toEqual([
      "reader: component reader",
      "other: component other",
      "me: component managing",
      "messenger: component messenger",
    ]);
    expect(scenario.needs).toEqual(["otherComponent"]);
    expect(written.text).toContain("reader sends:\n  <message from='${reader}' to='juliet@${server}' id='m1'/>");
    expect(written.warnings).toEqual([]);
  });

  it("without them (record --listen), as before: the first component is me, the next other, a third is left out", () => {
    const written = writeScript(componentsRecording([READER_JID, OTHER_JID, MESSENGER_JID]));
    expect(parseScenario(written.text, "synthetic").cast.map((c) => `${c.name}: ${c.ref}`)).toEqual(["me: managing", "other: other"]);
    expect(written.warnings).toEqual([`component ${MESSENGER_JID} (connection 3) left out: a scenario has one managing and one other component`]);
  });

  it("a component whose JID the target does not know takes the free 'other' slot; the target's other, when it connects, keeps it", () => {
    const known = { managing: MANAGING_JID, other: OTHER_JID, reader: READER_JID };
    const free = parseScenario(writeScript(componentsRecording([MANAGING_JID, "lane.capulet.test"]), { components: known }).text, "a");
    expect(free.cast.map((c) => `${c.name}: ${c.ref}`)).toEqual(["me: managing", "other: other"]);
    const taken = writeScript(componentsRecording(["lane.capulet.test", OTHER_JID, MANAGING_JID]), { components: known });
    expect(parseScenario(taken.text, "b").cast.map((c) => `${c.name}: ${c.ref}`)).toEqual(["other: other", "me: managing"]);
    expect(taken.warnings).toEqual([`component lane.capulet.test (connection 1) left out: a scenario has one managing and one other component (and the target's reader and messenger)`]);
  });
});

describe("record --target with the target's reader", () => {
  let server: MockServer;
  let dir: string;
  beforeAll(async () => {
    server = await startMockServer();
    dir = await mkdtemp(join(tmpdir(), "xep0355-record-reader-"));
  });
  afterAll(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("proxies a component's own port, casts it as reader, and the script replays against the mock server (PRV-ROS-01's refusal)", async () => {
    const o = server.options;
    // the managing component's port is elsewhere (nothing listens there): the reader's own port is the mock's
    const [c2s, component, closed] = await freePorts(3);
    const targetFile = join(dir, "reader.json");
    await writeFile(
      targetFile,
      JSON.stringify({
        role: "server",
        host: "127.0.0.1",
        domain: MOCK_DOMAIN,
        c2sPort: server.c2sPort,
        componentPort: closed,
        version: 2,
        accounts: { juliet: { username: "juliet", password: o.accounts.juliet }, romeo: { username: "romeo", password: o.accounts.romeo } },
        components: { managing: { jid: MANAGING_JID, secret: o.components[MANAGING_JID] }, reader: { jid: READER_JID, secret: o.components[READER_JID], port: server.componentPort } },
        delegations: { plain: { namespace: "http://jabber.org/protocol/pubsub" } },
        privileges: { managing: o.privileges[MANAGING_JID], reader: o.privileges[READER_JID] },
      }),
    );
    const out = join(dir, "reader.scenario");
    const quiet = silence();
    const juliet = new ClientActor("juliet", new Transcript(), { host: "127.0.0.1", port: c2s, domain: MOCK_DOMAIN, connectTimeoutMs: 3000 }, { username: "juliet", password: o.accounts.juliet }, "balcony");
    let reader: ComponentActor | undefined;
    let code: number;
    try {
      const recording = recordCommand(["--target", targetFile, "--c2s-listen", String(c2s), "--component-listen", String(component), "--once", "--quiet", "--out", out]);
      await waitFor(() => /proxying 127\.0\.0\.1:\d+ → 127\.0\.0\.1:\d+ \(component reader/.test(quiet.stderr()));
      const readerPort = Number(new RegExp(`proxying 127\\.0\\.0\\.1:(\\d+) → 127\\.0\\.0\\.1:${server.componentPort} \\(component ${READER_JID.replace(/\./g, "\\.")}: point it here\\)`).exec(quiet.stderr())?.[1]);
      expect(readerPort).toBeGreaterThan(0);
      reader = new ComponentActor("reader", new Transcript(), { host: "127.0.0.1", port: readerPort, connectTimeoutMs: 3000 }, { jid: READER_JID, secret: o.components[READER_JID] });
      await juliet.connect();
      await reader.connect();
      await reader.expect(parseXml(`<message><privilege xmlns='urn:xmpp:privilege:2'/></message>`), 3000, new Map());
      await reader.send(parseXml(`<iq type='set' id='rec-ros01' from='${READER_JID}' to='juliet@${MOCK_DOMAIN}'><query xmlns='jabber:iq:roster'><item jid='nurse@${MOCK_DOMAIN}'/></query></iq>`));
      await reader.expect(parseXml(`<iq type='error' id='rec-ros01'><error><forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`), 3000, new Map());
      await juliet.disconnect();
      code = await recording;
    } finally {
      quiet.restore();
      await Promise.all([juliet.dispose(), reader?.dispose()]);
    }
    expect(code, quiet.stderr()).toBe(0);
    expect(quiet.stderr()).toMatch(new RegExp(`→ 127\\.0\\.0\\.1:${closed} \\(component: point your managing component here\\)`));
    const script = await readFile(out, "utf8");
    const scenario = parseScenario(script, out);
    expect(scenario.cast.map((c) => `${c.name}: ${c.kind} ${c.ref}`)).toEqual(["juliet: client juliet", "reader: component reader"]);
    expect(script).toContain("reader sends:\n  <iq type='set' id='rec-ros01' from='${reader}' to='${juliet.bare}'>");

    const target = await openReplayTarget({ against: "mock-server", timeout: "1500" }, scenario, "replay");
    try {
      const result = await replayOnce(scenario, target);
      expect(result.verdict, `${result.reason}\n${script}`).toBe("pass");
    } finally {
      await target.driver.close();
    }
  });
});


async function waitFor(condition: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}
