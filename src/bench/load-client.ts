import { connect, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import type { Element } from "../xml/element.js";
import { StreamParser } from "../xml/stream-parser.js";
import { NS } from "../protocol/namespaces.js";
import { checkAnswer, requestFor } from "./iq-kinds.js";
import type { Phase } from "./phase.js";
import { attr, clientStreamHeader, withTimeout } from "./wire.js";

const SESSION_NS = "urn:ietf:params:xml:ns:xmpp-session";

export interface LoginOptions {
  host: string;
  port: number;
  domain: string;
  username: string;
  password: string;
  resource: string;
  timeoutMs: number;
}

/**
 * One bench user on a raw socket: SASL PLAIN and bind by hand, then requests as prebuilt strings and
 * answers parsed by ltx, so the generator stays far cheaper than the server it loads. Everything
 * a burst of answers triggers leaves in one write (no Nagle, one write per flight).
 */
export class LoadClient {
  private parser = new StreamParser();
  private readonly sentAt = new Map<string, number>();
  private readonly waiting = new Map<string, (answer: Element) => void>();
  private out: string[] = [];
  private inData = false;
  private phase: Phase | undefined;
  private nextId = 0;
  private closed = false;
  jid = "";

  private constructor(
    private readonly socket: Socket,
    private readonly tag: string,
  ) {}

  static async login(options: LoginOptions, tag: string): Promise<LoadClient> {
    const socket = connect({ host: options.host, port: options.port, noDelay: true });
    const client = new LoadClient(socket, tag);
    try {
      await withTimeout(client.negotiate(options), options.timeoutMs, `login of ${options.username}/${options.resource}`);
    } catch (err) {
      client.close();
      throw err;
    }
    return client;
  }

  get pending(): number {
    return this.sentAt.size;
  }

  /** One request outside any phase (the seed publish); resolves with its answer. */
  request(build: (id: string) => string, timeoutMs: number): Promise<Element> {
    const id = `${this.tag}s${this.nextId++}`;
    const answer = new Promise<Element>((resolve) => this.waiting.set(id, resolve));
    this.socket.write(build(id));
    return withTimeout(answer, timeoutMs, "request").finally(() => this.waiting.delete(id));
  }

  /** Fills `slots` in-flight requests of the phase; each answer frees a slot that sends again while the phase allows. */
  start(phase: Phase, slots: number): void {
    this.phase = phase;
    const now = performance.now();
    for (let i = 0; i < slots && phase.takeTicket(now); i++) this.send(phase, now);
    this.flush();
  }

  /** Requests unanswered for `timeoutMs` are errors; their slots send again. */
  sweep(now: number, timeoutMs: number): void {
    const phase = this.phase;
    if (!phase) return;
    for (const [id, at] of this.sentAt) {
      if (now - at < timeoutMs) break; // insertion order is send order
      this.sentAt.delete(id);
      phase.stats.error("timeout");
      if (phase.takeTicket(now)) this.send(phase, now);
    }
    this.flush();
  }

  /** Ends the phase for this user: what is still unanswered counts as timed out, unless the bench was interrupted. */
  abandon(interrupted: boolean): void {
    if (this.phase && this.sentAt.size && !interrupted) this.phase.stats.error("timeout", this.sentAt.size);
    this.sentAt.clear();
    this.phase = undefined;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.socket.writable) this.socket.end("</stream:stream>");
    this.socket.destroy();
  }

  private send(phase: Phase, now: number): void {
    const id = `${this.tag}-${this.nextId++}`;
    this.sentAt.set(id, now);
    this.out.push(requestFor(phase.kind, id, phase.domain));
  }

  private flush(): void {
    if (this.out.length === 0 || this.closed) return;
    this.socket.write(this.out.length === 1 ? this.out[0] : this.out.join(""));
    this.out = [];
  }

  private onAnswer(stanza: Element): void {
    if (stanza.name !== "iq") return;
    const type = stanza.attrs.type;
    if (type !== "result" && type !== "error") return;
    const id = String(stanza.attrs.id);
    const waiter = this.waiting.get(id);
    if (waiter) return waiter(stanza);
    const phase = this.phase;
    if (!phase) return;
    const now = performance.now();
    const at = this.sentAt.get(id);
    if (at === undefined) {
      // An answer to nothing we sent: taken as the wrong answer to the oldest request, whose slot is freed
      // (otherwise it would stall until its timeout and count twice).
      const oldest = this.sentAt.keys().next();
      phase.stats.error("wrong-id");
      if (oldest.done) return;
      this.sentAt.delete(oldest.value);
    } else {
      this.sentAt.delete(id);
      const problem = checkAnswer(phase.kind, stanza);
      if (problem) phase.stats.error(problem);
      else phase.answered(now, now - at);
    }
    if (phase.takeTicket(now)) this.send(phase, now);
    if (!this.inData) this.flush();
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    // After Ctrl-C the launcher's safety net kills the server at once: those are not wrong answers.
    if (this.phase && !this.phase.interrupted && this.sentAt.size) this.phase.stats.error("disconnected", this.sentAt.size);
    this.sentAt.clear();
    this.phase = undefined;
  }

  private negotiate(o: LoginOptions): Promise<void> {
    return new Promise((resolve, reject) => {
      let state: "auth" | "bind" | "session" | "ready" = "auth";
      const fail = (why: string) => reject(new Error(`login of ${o.username}/${o.resource}: ${why}`));
      const onStanza = (stanza: Element) => {
        if (state === "ready") return this.onAnswer(stanza);
        if (stanza.name === "stream:error") return fail(`stream error ${stanza.children.map((c) => (typeof c === "string" ? "" : c.name)).join(" ")}`);
        if (state === "auth") {
          if (stanza.name === "stream:features") {
            const plain = Buffer.from(`\0${o.username}\0${o.password}`).toString("base64");
            this.socket.write(`<auth xmlns='${NS.sasl}' mechanism='PLAIN'>${plain}</auth>`);
          } else if (stanza.name === "success") {
            state = "bind";
            this.parser.removeAllListeners();
            this.parser = new StreamParser();
            bindParser();
            this.socket.write(clientStreamHeader(o.domain));
          } else if (stanza.name === "failure") fail("SASL refused the credentials");
          return;
        }
        if (state === "bind" && stanza.name === "stream:features") {
          const session = stanza.getChild("session", SESSION_NS);
          needsSession = Boolean(session && !session.getChild("optional"));
          this.socket.write(`<iq type='set' id='bind'><bind xmlns='${NS.bind}'><resource>${attr(o.resource)}</resource></bind></iq>`);
          return;
        }
        if (stanza.name === "iq" && stanza.attrs.id === "bind") {
          if (stanza.attrs.type !== "result") return fail("bind refused");
          this.jid = stanza.getChild("bind", NS.bind)?.getChildText("jid") ?? "";
          if (!needsSession) return ready();
          state = "session";
          this.socket.write(`<iq type='set' id='session'><session xmlns='${SESSION_NS}'/></iq>`);
          return;
        }
        if (stanza.name === "iq" && stanza.attrs.id === "session") {
          if (stanza.attrs.type !== "result") return fail("session refused");
          ready();
        }
      };
      let needsSession = false;
      const ready = () => {
        state = "ready";
        resolve();
      };
      const bindParser = () => {
        this.parser.on("stanza", onStanza);
        this.parser.on("error", (err) => fail(`unparsable stream: ${err.message}`));
        this.parser.on("streamEnd", () => fail("the server closed the stream"));
      };
      bindParser();
      this.socket.setEncoding("utf8");
      this.socket.on("data", (data: string) => {
        this.inData = true;
        this.parser.write(data);
        this.inData = false;
        this.flush();
      });
      this.socket.on("error", (err) => fail(err.message));
      this.socket.on("close", () => {
        this.onClose();
        fail("connection closed");
      });
      this.socket.on("connect", () => this.socket.write(clientStreamHeader(o.domain)));
    });
  }
}
