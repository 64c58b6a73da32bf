// Fuzzes the embedded mock server with mutated client and component streams, then checks that a
// delegated IQ still makes its round trip (juliet → server → managing entity → server → juliet).
// Usage: node --import tsx scripts/fuzz.ts [count=10000] [--seed N] [--concurrency N]
// Exit 0: no exception escaped the mock server and the round trip worked; 1 otherwise (the inputs
// that broke it are printed, as JSON strings, to replay them).
import { createHash } from "node:crypto";
import { createConnection, type Socket } from "node:net";
import { pathToFileURL } from "node:url";
import { startMockServer } from "../mocks/server/index.js";
import { ClientActor } from "../src/actors/client-actor.js";
import { ComponentActor } from "../src/actors/component-actor.js";
import { nestingResponder } from "../src/actors/nesting-responder.js";
import { Transcript } from "../src/actors/transcript.js";
import { NS, delegationNamespace } from "../src/protocol/namespaces.js";
import { parseXml } from "../src/xml/element.js";

const DOMAIN = "capulet.test";
const MANAGING = { jid: `pubsub.${DOMAIN}`, secret: "managing-secret" };
const JULIET = { username: "juliet", password: "juliet-pass" };
const C2S_HEADER = `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='${DOMAIN}' version='1.0'>`;
const COMPONENT_HEADER = (to: string) => `<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='${to}'>`;
const PLAIN = Buffer.from(`\0${JULIET.username}\0${JULIET.password}`).toString("base64");

/** Stanzas a logged-in client or a component might send; the mutations start from these. */
const BODIES = [
  `<iq type='get' id='f1' to='${DOMAIN}'><pubsub xmlns='${NS.pubsub}'><items node='n'/></pubsub></iq>`,
  `<iq type='get' id='f2' to='${DOMAIN}'><query xmlns='${NS.discoInfo}' node='${delegationNamespace(2)}::${NS.pubsub}'/></iq>`,
  `<iq type='result' id='f3' to='${DOMAIN}'><delegation xmlns='${delegationNamespace(2)}'><forwarded xmlns='urn:xmpp:forward:0'><iq xmlns='jabber:client' type='result' id='x' from='${DOMAIN}' to='juliet@${DOMAIN}/r'/></forwarded></delegation></iq>`,
  `<message to='romeo@${DOMAIN}' from='juliet@${DOMAIN}/r'><body>hi</body></message>`,
  `<presence type='subscribe' to='${MANAGING.jid}'/>`,
  `<iq type='set' id='f4' to='juliet@${DOMAIN}'><query xmlns='jabber:iq:private'><x xmlns='a:b'/></query></iq>`,
];

/** What hostile peers send: each is spliced into an input somewhere. */
const TOKENS = [
  "&foo;", "&#0;", "&#xD800;", "&#x110000;", "&amp", "&;", "<!DOCTYPE x [<!ENTITY e 'e'>]>", "<!ENTITY a 'b'>", "<![CDATA[", "]]>", "<!--", "-->", "<?pi x?>",
  "</stream:stream>", "<stream:stream>", "<stream:error/>", "</iq>", "</message>", "<iq>", "/>", "<", ">", "'", "\"", "=", "\0", "\u0001", "\uFFFE", "\uD800",
  "xmlns='__proto__'", "to='__proto__'", "to='constructor'", "xmlns='constructor'", "from='toString'", "to='hasOwnProperty@capulet.test'", "node='__proto__'",
  "<x xmlns='constructor'/>", "<__proto__/>", "<constructor xmlns='__proto__'/>", "x:y='z'", "xmlns:x=''", "\u00e9\u00e8", "\uD83D\uDE00",
];

/** Deterministic PRNG (mulberry32), so a failing run can be repeated with its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(input: string, random: () => number): string {
  let out = input;
  const rounds = 1 + Math.floor(random() * 4);
  const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)];
  for (let r = 0; r < rounds; r++) {
    const at = Math.floor(random() * (out.length + 1));
    switch (Math.floor(random() * 9)) {
      case 0: // flip a character
        out = out.slice(0, at) + String.fromCharCode(out.charCodeAt(at) ^ (1 << Math.floor(random() * 7))) + out.slice(at + 1);
        break;
      case 1: // delete a run
        out = out.slice(0, at) + out.slice(at + 1 + Math.floor(random() * 12));
        break;
      case 2: // duplicate a run
        out = out.slice(0, at) + out.slice(at, at + Math.floor(random() * 40)) + out.slice(at);
        break;
      case 3:
      case 4: // splice in a hostile token
        out = out.slice(0, at) + pick(TOKENS) + out.slice(at);
        break;
      case 5: // truncate
        out = out.slice(0, at);
        break;
      case 6: // deep nesting
        {
          const n = 1 + Math.floor(random() * 3000);
          out = out.slice(0, at) + "<a>".repeat(n) + (random() < 0.5 ? "</a>".repeat(n) : "") + out.slice(at);
        }
        break;
      case 7: // a long attribute or text
        out = out.slice(0, at) + (random() < 0.5 ? ` a='${"x".repeat(Math.floor(random() * 20_000))}'` : "y".repeat(Math.floor(random() * 20_000))) + out.slice(at);
        break;
      default: // another stanza
        out = out.slice(0, at) + pick(BODIES) + out.slice(at);
    }
  }
  return out;
}

/** Waits until `socket` has sent something matching `pattern` (accumulated), or gives up. */
function waitFor(socket: Socket, seen: { text: string }, pattern: RegExp, ms = 500): Promise<RegExpExecArray | undefined> {
  return new Promise((resolve) => {
    const check = () => {
      const m = pattern.exec(seen.text);
      if (!m) return false;
      done(m);
      return true;
    };
    const done = (m: RegExpExecArray | undefined) => {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("close", onClose);
      resolve(m);
    };
    const onData = () => void check();
    const onClose = () => done(undefined);
    const timer = setTimeout(() => done(undefined), ms);
    socket.on("data", onData);
    socket.on("close", onClose);
    check();
  });
}

/** Writes `text` in one to eight randomly cut segments (a tag, an entity or a UTF-8 sequence may be split). */
async function writeSegments(socket: Socket, text: string, random: () => number): Promise<void> {
  const data = Buffer.from(text, "utf8");
  const cuts = Array.from({ length: Math.floor(random() * 8) }, () => Math.floor(random() * data.length)).sort((a, b) => a - b);
  let at = 0;
  for (const cut of [...cuts, data.length]) {
    if (!socket.writable) return;
    if (cut > at) socket.write(data.subarray(at, cut));
    at = Math.max(at, cut);
    if (random() < 0.3) await new Promise((r) => setImmediate(r));
  }
}

interface Input {
  port: "c2s" | "component";
  /** Logged in / handshaken properly first, so the mutation reaches the stanza handlers. */
  authenticated: boolean;
  text: string;
}

function nextInput(random: () => number): Input {
  const port = random() < 0.5 ? "c2s" : "component";
  const authenticated = random() < 0.5;
  const body = Array.from({ length: 1 + Math.floor(random() * 3) }, () => BODIES[Math.floor(random() * BODIES.length)]).join("");
  if (authenticated) return { port, authenticated, text: mutate(body, random) };
  const start =
    port === "c2s"
      ? `${C2S_HEADER}<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${PLAIN}</auth>${body}`
      : `${COMPONENT_HEADER(random() < 0.2 ? "__proto__" : MANAGING.jid)}<handshake>${"0".repeat(40)}</handshake>${body}`;
  return { port, authenticated, text: mutate(start, random) };
}

/** How far the inputs got: connected, logged in or handshaken first (when asked), answered by the server. */
interface Reach {
  connected: number;
  authenticated: number;
  answered: number;
}

/** One input on one fresh connection; resolves when the server closed it or after a short while. */
async function feed(ports: { c2s: number; component: number }, input: Input, random: () => number, reach: Reach): Promise<void> {
  const socket = createConnection({ host: "127.0.0.1", port: ports[input.port] });
  socket.setNoDelay(true);
  socket.setEncoding("utf8");
  socket.on("error", () => undefined);
  const seen = { text: "" };
  socket.on("data", (d: string) => (seen.text = (seen.text + d).slice(-8192)));
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    reach.connected++;
    if (input.authenticated && input.port === "c2s") {
      socket.write(C2S_HEADER);
      if (!(await waitFor(socket, seen, /<\/stream:features>/))) return;
      socket.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${PLAIN}</auth>`);
      if (!(await waitFor(socket, seen, /<success/))) return;
      seen.text = "";
      socket.write(C2S_HEADER);
      if (!(await waitFor(socket, seen, /<\/stream:features>/))) return;
      socket.write(`<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>fuzz${Math.floor(random() * 1e9)}</resource></bind></iq>`);
      if (!(await waitFor(socket, seen, /<\/bind>/))) return;
      reach.authenticated++;
    } else if (input.authenticated) {
      // As a second component (the managing one stays connected for the round trip): pubsub's JID is taken.
      socket.write(COMPONENT_HEADER(`other.${DOMAIN}`));
      const id = await waitFor(socket, seen, /id=['"]([^'"]+)['"]/);
      if (!id) return;
      socket.write(`<handshake>${createHash("sha1").update(id[1] + "other-secret").digest("hex")}</handshake>`);
      if (!(await waitFor(socket, seen, /<handshake\/>|<\/stream:stream>/))) return;
      if (seen.text.includes("<handshake/>")) reach.authenticated++;
    }
    const before = seen.text.length;
    await writeSegments(socket, input.text, random);
    await waitFor(socket, seen, /<\/stream:stream>/, 20 + Math.floor(random() * 30));
    if (seen.text.length !== before) reach.answered++;
  } finally {
    socket.destroy();
  }
}

/** A delegated IQ: juliet asks her server, which forwards to the managing entity, which answers; juliet gets the answer. */
async function roundTrip(ports: { c2s: number; component: number }): Promise<string | undefined> {
  const transcript = new Transcript();
  const me = new ComponentActor("me", transcript, { host: "127.0.0.1", port: ports.component, connectTimeoutMs: 3000, settleMs: 200 }, MANAGING, nestingResponder(delegationNamespace(2)));
  const juliet = new ClientActor("juliet", transcript, { host: "127.0.0.1", port: ports.c2s, domain: DOMAIN, connectTimeoutMs: 3000 }, JULIET, "round-trip");
  try {
    await me.connect();
    await juliet.connect();
    await juliet.send(parseXml(`<iq type='get' id='rt-1' to='${juliet.bare}'><pubsub xmlns='${NS.pubsub}'><items node='urn:xep0355-fuzz'/></pubsub></iq>`));
    const { stanza: forward } = await me.expect(parseXml(`<iq type='set'><delegation xmlns='${delegationNamespace(2)}'><forwarded xmlns='urn:xmpp:forward:0'><iq xmlns='jabber:client' id='rt-1'/></forwarded></delegation></iq>`), 3000, new Map());
    const inner = forward.getChild("delegation")?.getChild("forwarded")?.getChild("iq");
    const answer = `<iq type='result' id='${String(forward.attrs.id)}' from='${MANAGING.jid}' to='${DOMAIN}'><delegation xmlns='${delegationNamespace(2)}'><forwarded xmlns='urn:xmpp:forward:0'>` +
      `<iq xmlns='jabber:client' type='result' id='rt-1' from='${String(inner?.attrs.to)}' to='${String(inner?.attrs.from)}'><pubsub xmlns='${NS.pubsub}'><items node='urn:xep0355-fuzz'/></pubsub></iq></forwarded></delegation></iq>`;
    await me.sendRaw(answer);
    await juliet.expect(parseXml(`<iq type='result' id='rt-1'><pubsub xmlns='${NS.pubsub}'/></iq>`), 3000, new Map());
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    await juliet.dispose();
    await me.dispose();
  }
}

export interface FuzzOutcome {
  inputs: number;
  reach: Reach;
  ms: number;
  /** Exceptions that escaped the mock server, with the input being fed when they did. */
  crashes: { error: string; input: Input }[];
  /** Why the round trip afterwards failed; undefined when it worked. */
  roundTrip: string | undefined;
}

export async function fuzzMockServer(options: { count: number; seed: number; concurrency: number }): Promise<FuzzOutcome> {
  const server = await startMockServer({ forwardTimeoutMs: 2000 });
  const ports = { c2s: server.c2sPort, component: server.componentPort };
  const random = prng(options.seed);
  const crashes: FuzzOutcome["crashes"] = [];
  const reach: Reach = { connected: 0, authenticated: 0, answered: 0 };
  const current = new Set<Input>();
  const onCrash = (err: unknown) => {
    crashes.push({ error: err instanceof Error ? (err.stack ?? err.message) : String(err), input: [...current][0] ?? { port: "c2s", authenticated: false, text: "" } });
  };
  process.on("uncaughtException", onCrash);
  process.on("unhandledRejection", onCrash);
  const started = Date.now();
  // The managing entity stays connected while the fuzzing goes on, as it would in a run.
  const keepAlive = new ComponentActor("me-during", new Transcript(), { host: "127.0.0.1", port: ports.component, connectTimeoutMs: 3000 }, MANAGING);
  try {
    await keepAlive.connect();
    let next = 0;
    const worker = async () => {
      while (next < options.count) {
        next++;
        const input = nextInput(random);
        current.add(input);
        await feed(ports, input, random, reach).catch(() => undefined);
        current.delete(input);
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, worker));
    await keepAlive.dispose();
    const ms = Date.now() - started;
    return { inputs: options.count, reach, ms, crashes, roundTrip: await roundTrip(ports) };
  } finally {
    await keepAlive.dispose();
    process.off("uncaughtException", onCrash);
    process.off("unhandledRejection", onCrash);
    await server.stop();
  }
}

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer`);
  return n;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const positional = process.argv.slice(2).find((a, i, all) => !a.startsWith("--") && !all[i - 1]?.startsWith("--"));
  const count = positional === undefined ? 10_000 : Number(positional);
  const seed = option("--seed", Date.now() % 1_000_000);
  const outcome = await fuzzMockServer({ count, seed, concurrency: option("--concurrency", 32) });
  process.stdout.write(
    `fuzz: ${outcome.inputs} mutated inputs (seed ${seed}) in ${(outcome.ms / 1000).toFixed(1)} s ` +
      `(${outcome.reach.connected} connected, ${outcome.reach.authenticated} after a real login or handshake, ${outcome.reach.answered} answered); ` +
      `exceptions escaping the mock server: ${outcome.crashes.length}; delegated round trip afterwards: ${outcome.roundTrip ? `FAILED (${outcome.roundTrip})` : "ok"}\n`,
  );
  for (const crash of outcome.crashes.slice(0, 5)) process.stdout.write(`\n${crash.error}\ninput (${crash.input.port}${crash.input.authenticated ? ", after login" : ""}): ${JSON.stringify(crash.input.text.slice(0, 2000))}\n`);
  process.exitCode = outcome.crashes.length === 0 && !outcome.roundTrip ? 0 : 1;
}
