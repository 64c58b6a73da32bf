import { describe, expect, it } from "vitest";
import { DecisiveMismatch, ExpectationTimeout, Inbox } from "../src/actors/inbox.js";
import { parseXml } from "../src/xml/element.js";

const xml = (s: string) => parseXml(s);

describe("inbox: a step fails as soon as the answer it waits for arrives and does not match", () => {
  it("fails at once (not after its timeout) when the IQ with the awaited id is an error instead of a result", async () => {
    const inbox = new Inbox("jabber:client");
    const started = Date.now();
    const waiting = inbox.expect(xml("<iq type='result' id='q1'/>"), 5000, new Map());
    setTimeout(() => inbox.push(xml("<iq type='error' id='q1'><error type='cancel'/></iq>")), 20);
    const err = await waiting.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DecisiveMismatch);
    expect((err as ExpectationTimeout).received[0]).toMatch(/type=["']error/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("fails at once when the non-matching answer was already there", async () => {
    const inbox = new Inbox("jabber:client");
    inbox.push(xml("<iq type='result' id='q2' from='pubsub.capulet.test'/>"));
    await expect(inbox.expect(xml("<iq type='result' id='q2' from='capulet.test'/>"), 5000, new Map())).rejects.toBeInstanceOf(DecisiveMismatch);
  });

  it("keeps waiting past stanzas with other ids, and past a request (get) with the same id", async () => {
    const inbox = new Inbox("jabber:client");
    const waiting = inbox.expect(xml("<iq type='result' id='q3'/>"), 2000, new Map());
    inbox.push(xml("<iq type='result' id='other'/>"));
    inbox.push(xml("<iq type='get' id='q3'/>"));
    inbox.push(xml("<iq type='result' id='q3'/>"));
    await expect(waiting).resolves.toMatchObject({ stanza: { attrs: { id: "q3", type: "result" } } });
  });

  it("says which alternative matched", async () => {
    const inbox = new Inbox("jabber:client");
    inbox.push(xml("<iq type='error' id='q4'/>"));
    const { alternative } = await inbox.expectAny([xml("<iq type='result' id='q4'/>"), xml("<iq type='error' id='q4'/>")], 1000, new Map());
    expect(alternative).toBe(1);
  });
});
