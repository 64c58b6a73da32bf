/**
 * Issue 14, "reproduce, tried with a real client": slixmpp (scripts/slixmpp-session.py) logs in
 * through `xep0355 record`, which sits in front of a Prosody started by `xep0355 serve prosody`
 * (c2s and component port, the suite's mock component as the managing entity). Each recording is
 * checked against slixmpp's own log, for secrets, and replayed against the same Prosody; one is
 * broken on purpose and minimized. Needs Debian's prosody, prosody-modules and python3-slixmpp.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchers } from "../src/launchers/index.js";
import { freePorts } from "../src/launchers/ports.js";
import type { RecordedEvent, Recording } from "../src/record/recording.js";
import { parseScenario } from "../src/scenario/parse.js";
import type { ServerTarget } from "../src/target/types.js";
import { parseXml, type Element } from "../src/xml/element.js";
import { BIN, runCli, runCommand } from "./helpers/cli.js";

const DRIVER = new URL("../scripts/slixmpp-session.py", import.meta.url).pathname;

/** Debian's python3-slixmpp is on /usr/bin/python3's path, not necessarily on another python3's. */
function pythonWithSlixmpp(): string | undefined {
  for (const python of ["/usr/bin/python3", "python3"]) {
    if (spawnSync(python, ["-c", "import slixmpp"], { stdio: "ignore" }).status === 0) return python;
  }
  return undefined;
}

const PYTHON = pythonWithSlixmpp();
const SKIP = !PYTHON ? "slixmpp is not installed (apt-get install -y python3-slixmpp)" : launchers.prosody.missing();

/** A command still running, with what it printed so far. */
interface Running {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code. */
  done: Promise<number | null>;
  /** Resolves once `pattern` appears on stdout or stderr; rejects if the command ends first. */
  until(pattern: RegExp): Promise<void>;
}

function start(file: string, args: string[]): Running {
  const child = spawn(file, args);
  let out = "";
  let err = "";
  const watchers = new Set<() => void>();
  const changed = () => watchers.forEach((w) => w());
  child.stdout?.on("data", (d: Buffer) => ((out += d.toString()), changed()));
  child.stderr?.on("data", (d: Buffer) => ((err += d.toString()), changed()));
  const done = new Promise<number | null>((resolve) => child.on("close", (code) => (resolve(code), changed())));
  let ended = false;
  void done.then(() => (ended = true));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    done,
    until: (pattern) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (pattern.test(out) || pattern.test(err)) {
            watchers.delete(check);
            resolve();
          } else if (ended) {
            watchers.delete(check);
            reject(new Error(`${file} ${args[0]} ended before printing ${pattern}:\n${out}${err}`));
          }
        };
        watchers.add(check);
        check();
      }),
  };
}

interface Recorded {
  session: string;
  script: string;
  recording: Recording;
  /** slixmpp's own log (SASL included: never printed). */
  log: string;
  /** Everything the commands printed. */
  printed: string;
  steps: number;
}

describe.skipIf(Boolean(SKIP))(SKIP ? `real client (skipped: ${SKIP})` : "a real client (slixmpp) recorded in front of Prosody, replayed, minimized", () => {
  let dir: string;
  let targetFile: string;
  let target: ServerTarget;
  let serve: Running;
  const recorded = new Map<string, Recorded>();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "xep0355-real-client-"));
    targetFile = join(dir, "prosody.json");
    serve = start(BIN, ["serve", "prosody", "--out", targetFile]);
    await serve.until(/Ctrl-C to stop\./);
    target = JSON.parse(await readFile(targetFile, "utf8")) as ServerTarget;
  });

  afterAll(async () => {
    if (serve && serve.child.exitCode === null) {
      serve.child.kill("SIGINT");
      expect(await serve.done).toBe(0);
      expect(serve.stdout()).toMatch(/stopped; removed /);
    }
    await rm(dir, { recursive: true, force: true });
  });

  /** record --target (both ports) --once, the mock component on the proxied component port, then slixmpp on the proxied c2s port. */
  async function record(session: string): Promise<Recorded> {
    const [c2s, component] = await freePorts(2);
    const out = join(dir, `${session}.scenario`);
    const json = join(dir, `${session}.json`);
    const log = join(dir, `${session}.slixmpp.log`);
    const recorder = start(BIN, ["record", "--target", targetFile, "--c2s-listen", String(c2s), "--component-listen", String(component), "--once", "--out", out, "--json", json]);
    await recorder.until(new RegExp(`proxying 127\\.0\\.0\\.1:${component} `));
    const me = start(BIN, ["serve", "mock-component", "--target", targetFile, "--port", String(component)]);
    try {
      await me.until(/connected to 127\.0\.0\.1/);
      const client = await runCommand(PYTHON!, [DRIVER, "--target", targetFile, "--port", String(c2s), "--session", session, "--log", log], { killAfterMs: 60_000 });
      expect(client.code, client.stdout + client.stderr).toBe(0);
      expect(await recorder.done, recorder.stderr()).toBe(0);
    } finally {
      recorder.child.kill("SIGINT");
      me.child.kill("SIGINT");
      await Promise.all([recorder.done, me.done]);
    }
    const script = await readFile(out, "utf8");
    const result: Recorded = {
      session,
      script,
      recording: JSON.parse(await readFile(json, "utf8")) as Recording,
      log: await readFile(log, "utf8"),
      printed: recorder.stderr() + me.stdout() + me.stderr(),
      steps: parseScenario(script, out).steps.length,
    };
    recorded.set(session, result);
    return result;
  }

  it("serve prosody prints ports, accounts and the target file, never a password or secret", () => {
    const printed = serve.stdout() + serve.stderr();
    expect(printed).toContain(`c2s:         127.0.0.1:${target.c2sPort}`);
    expect(printed).toContain(`components:  127.0.0.1:${target.componentPort}`);
    expect(printed).toContain("accounts: juliet@capulet.test, romeo@capulet.test");
    expect(printed).toContain(`target file: ${targetFile}`);
    for (const secret of secretsOf(target)) expect(printed).not.toContain(secret);
  });

  it.each([
    // session, the steps it should come to, what must be in it. `serve prosody` loads mod_privilege, which sends each
    // user an empty <privilege/> message at her initial presence (docs/findings/prosody.md, PRV-GEN-01): one step more per login.
    ["short", [10, 11], ["juliet sends:", "me receives:", "me sends:"]],
    ["medium", [16, 26], ["jabber:iq:roster", "urn:xmpp:carbons:2", "<presence"]],
    ["long", [40, 58], ["juliet2 receives:", "<received xmlns=\"urn:xmpp:carbons:2\"", "<sent xmlns=\"urn:xmpp:carbons:2\"", "\\${juliet} and \\{\\$fwd1} and \\{any}"]],
    ["subscription", [70, 95], ["type='subscribed'", "subscription=\"both\"", "subscription=\"remove\""]],
  ] as const)("%s session: recorded faithfully (slixmpp's own log), no secret written, replays against Prosody", async (session, [min, max], contains) => {
    const r = await record(session);
    expect(r.steps).toBeGreaterThanOrEqual(min);
    expect(r.steps).toBeLessThanOrEqual(max);
    expect(r.printed).toMatch(new RegExp(`${r.steps} step\\(s\\); me = component pubsub\\.capulet\\.test`));
    for (const text of contains) expect(r.script).toContain(text);
    expect(r.script).toMatch(/^me connects$/m);
    expect(r.script).not.toMatch(/^me disconnects$/m); // the recorder stopped it, the session did not

    // faithful: what the proxy parsed is, stanza for stanza, what slixmpp says it sent and received
    const sm = compareWithClientLog(r.recording, r.log);
    if (session !== "short") expect(sm, "stream management was used").toBeGreaterThan(0);

    // no secret: passwords, component secrets, and every SASL payload slixmpp exchanged
    const forbidden = [...secretsOf(target), ...saslPayloads(r.log)];
    expect(forbidden.length).toBeGreaterThan(4);
    for (const text of [r.script, JSON.stringify(r.recording), r.printed]) for (const secret of forbidden) expect(text).not.toContain(secret);

    const replayed = await runCli(["replay", join(dir, `${session}.scenario`), "--target", targetFile], { killAfterMs: 90_000 });
    expect(replayed.code, replayed.stdout + replayed.stderr).toBe(0);
    expect(replayed.stdout).toMatch(/PASS {2}recorded-/);
  });

  it("minimize: a long recording broken on purpose comes down to the steps that show it, and still fails that way", async () => {
    const long = recorded.get("long");
    expect(long, "the long session ran").toBeDefined();
    // romeo is to receive juliet's message with another text than Prosody delivers
    // (the step whose block holds the text: other messages romeo receives, e.g. Prosody's <privilege/> one, come first)
    const steps = long!.script.split("\n\n");
    const step = steps.findIndex((block) => block.startsWith("romeo receives:\n  <message") && block.includes("left as they are"));
    const at = step > 0 ? steps.slice(0, step).join("\n\n").length + 2 : -1;
    const end = long!.script.indexOf("left as they are", at);
    expect(at > 0 && end > at).toBe(true);
    const broken = join(dir, "long-broken.scenario");
    await writeFile(broken, long!.script.slice(0, end) + "left as they were" + long!.script.slice(end + "left as they are".length));
    const out = join(dir, "long-min.scenario");
    const run = await runCli(["minimize", broken, "--target", targetFile, "--timeout", "300", "--out", out], { killAfterMs: 110_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(new RegExp(`minimizing .*long-broken\\.scenario \\(${long!.steps} steps\\)`));
    const minimized = parseScenario(await readFile(out, "utf8"), out);
    expect(minimized.steps.length).toBeLessThanOrEqual(6);
    expect(minimized.steps.map((s) => s.text)).toEqual(expect.arrayContaining(["juliet connects", "romeo connects", "juliet sends:", "romeo receives:"]));
    const again = await runCli(["replay", out, "--target", targetFile, "--timeout", "300"], { killAfterMs: 60_000 });
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/\(romeo receives:\).*expected 'templates: \$\{juliet\}.*left as they were', received 'templates: \$\{juliet\} and \{\$fwd1\} and \{any\}, left as they are'/);
  });
});

/** Every credential the target file holds, and the SASL PLAIN payloads made from them. */
function secretsOf(target: ServerTarget): string[] {
  const accounts = Object.values(target.accounts);
  const components = [target.components.managing, target.components.other].filter((c) => c !== undefined);
  return [
    ...accounts.map((a) => a.password),
    ...accounts.map((a) => Buffer.from(`\0${a.username}\0${a.password}`).toString("base64")),
    ...components.map((c) => c.secret),
  ];
}

/** The text of every SASL element slixmpp sent or received (SCRAM messages, PLAIN payloads). */
function saslPayloads(log: string): string[] {
  const payloads: string[] = [];
  for (const m of log.matchAll(/<(auth|response|challenge|success) xmlns="urn:ietf:params:xml:ns:xmpp-sasl"[^>]*>([^<]+)</g)) payloads.push(m[2]);
  return payloads;
}

const NS_STREAMS = "http://etherx.jabber.org/streams";

/**
 * Compares, for each client connection, the stanzas the proxy parsed with slixmpp's own log lines
 * ("juliet SEND: …", "juliet RECV: …"), in order, as XML (slixmpp re-serializes what it received,
 * and marks it with the stream's xml:lang). SASL elements, redacted in the recording, are compared
 * by name. Returns how many stream management elements went by.
 */
function compareWithClientLog(recording: Recording, log: string): number {
  const labels: Record<string, string> = { balcony: "juliet", garden: "juliet2", orchard: "romeo" };
  const lines = log.split("\n").map((l) => /^(\S+) (SEND|RECV): (.*)$/.exec(l)).filter((m): m is RegExpExecArray => m !== null);
  let sm = 0;
  const clients = recording.connections.filter((c) => c.stream === "client");
  expect(clients.length).toBeGreaterThan(0);
  for (const connection of clients) {
    const events = recording.events.filter((e): e is Extract<RecordedEvent, { kind: "stanza" }> => e.conn === connection.id && e.kind === "stanza");
    const jid = events.map((e) => /<jid>[^/<]+\/([^<]+)<\/jid>/.exec(e.xml)?.[1]).find(Boolean);
    const label = labels[jid ?? ""];
    expect(label, `connection ${connection.id} (${jid})`).toBeDefined();
    for (const [dir, word] of [["up", "SEND"], ["down", "RECV"]] as const) {
      const proxied = events.filter((e) => e.dir === dir).map((e) => e.xml);
      const logged = lines
        .filter((m) => m[1] === label && m[2] === word)
        .map((m) => m[3].replace(/\\n/g, "\n").trim())
        .filter((x) => x && !x.startsWith("<stream:stream") && x !== "</stream:stream>" && !x.startsWith("<?xml"));
      expect(proxied.length, `${label} ${word}: ${proxied.length} stanzas proxied, ${logged.length} in slixmpp's log`).toBe(logged.length);
      expect(proxied.length, `${label} ${word}`).toBeGreaterThan(3);
      for (const [i, xml] of proxied.entries()) {
        const ours = canonical(parseXml(xml), dir === "down", true);
        const theirs = canonical(parseXml(logged[i]), dir === "down", true);
        expect(ours, `${label} ${word} #${i + 1}`).toEqual(theirs);
        if (xml.includes("urn:xmpp:sm:3")) sm++;
      }
    }
  }
  return sm;
}

interface Canonical {
  name: string;
  ns: string | undefined;
  attrs: Record<string, string>;
  text: string;
  children: Canonical[];
}

function canonical(el: Element, received: boolean, top: boolean, inherited = "jabber:client"): Canonical {
  const [prefix, local] = el.name.includes(":") ? el.name.split(":", 2) : [undefined, el.name];
  const ns = prefix === "stream" ? NS_STREAMS : (el.attrs.xmlns as string | undefined) ?? inherited;
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(el.attrs)) {
    if (k === "xmlns" || k.startsWith("xmlns:")) continue;
    if (top && received && k === "xml:lang") continue; // slixmpp fills in the stream's language
    attrs[k] = String(v);
  }
  const redacted = /^(auth|response|challenge|success)$/.test(local) && ns === "urn:ietf:params:xml:ns:xmpp-sasl";
  const kids = el.children.filter((c): c is Element => typeof c !== "string");
  const text = el.children.filter((c): c is string => typeof c === "string").join("");
  return {
    name: local,
    ns,
    attrs,
    text: redacted ? "" : kids.length ? text.trim() : text,
    children: kids.map((k) => canonical(k, received, false, ns)),
  };
}
