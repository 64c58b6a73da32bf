#!/usr/bin/python3
"""A real client's session to record: slixmpp (Debian: apt-get install -y python3-slixmpp) logs in as
juliet (and romeo, and a second juliet) on a server's c2s port, typically through `xep0355 record`,
and does what everyday clients do: roster, presence, subscriptions, carbons (XEP-0280), stream
management (XEP-0198), pings, messages, and pubsub requests the server delegates to its managing
entity (start one on the proxied component port: `xep0355 serve mock-component --target ...`).

  /usr/bin/python3 scripts/slixmpp-session.py --target prosody.json --port 15222 \\
      --session short|medium|long [--log slixmpp.log]

The accounts come from the target file (a server target file, e.g. what `xep0355 serve prosody`
writes); passwords are never printed. --log writes slixmpp's own log of every byte it sent and every
stanza it received ("<client> SEND: ..." / "<client> RECV: ..."), the reference a recording is checked
against. It contains the SASL exchange: keep it to yourself. Exit 0 when every expected answer came.

Sessions (each leaves the accounts as it found them, so it can be replayed again and again):
  short   juliet (SASL PLAIN): ping; her microblog items (delegated; the managing entity has none).
  medium  juliet (SCRAM, stream management): roster, presence, carbons; publishes a microblog item
          and reads it back (both delegated).
  long    juliet, her second resource and romeo: presence, carbons, a ping, messages (one with
          literal ${...}, {$...} and {any} in its body), a delegated request about juliet from romeo,
          a roster entry added and removed.
  subscription  the same people: a mutual presence subscription, carbons, messages, and both
          remove each other again (roster pushes, subscription states).
"""
import argparse
import asyncio
import json
import logging
import sys
import xml.etree.ElementTree as ET

from slixmpp import JID, ClientXMPP
from slixmpp.exceptions import IqError

MICROBLOG = "urn:xmpp:microblog:0"
STEP_TIMEOUT = 10
CURRENT = {"label": "-"}
# logged in and not logged out yet: closed properly when the session fails half-way (a stream left
# without its closing tag stays on the server as a stream management session waiting to be resumed)
OPEN = []


class SessionFailed(Exception):
    """What the session expected did not happen."""


class Labelled(logging.Formatter):
    """slixmpp's own log records, one per line, prefixed with the client that wrote them."""

    def format(self, record):
        return f"{getattr(record, 'client', '-')} {record.getMessage()}".replace("\n", "\\n")


class Tag(logging.Filter):
    def filter(self, record):
        record.client = CURRENT["label"]
        return True


class Client(ClientXMPP):
    """A ClientXMPP whose log lines say which client wrote them (slixmpp logs from a module logger)."""

    def __init__(self, label, jid, password, mech, plugins):
        super().__init__(jid, password, sasl_mech=mech)
        self.label = label
        self["feature_mechanisms"].unencrypted_plain = True
        self.roster.auto_authorize = None  # neither accept nor refuse by itself: the session answers
        self.roster.auto_subscribe = False
        for plugin in plugins:
            self.register_plugin(plugin)
        self.inbox = []
        self.waiters = []
        for event in ("message", "carbon_received", "carbon_sent", "presence", "roster_update"):
            self.add_event_handler(event, lambda stanza, event=event: self.arrived(event, stanza))

    def labelled(self, call, *args):
        previous = CURRENT["label"]
        CURRENT["label"] = self.label
        try:
            return call(*args)
        finally:
            CURRENT["label"] = previous

    def send_raw(self, data):
        return self.labelled(super().send_raw, data)

    def data_received(self, data):
        return self.labelled(super().data_received, data)

    def arrived(self, event, stanza):
        self.inbox.append((event, stanza))
        for waiter in list(self.waiters):
            predicate, future = waiter
            if not future.done() and predicate(event, stanza):
                self.waiters.remove(waiter)
                future.set_result(stanza)

    async def expect(self, what, predicate):
        """The first message/presence/roster push matching `predicate`, received or yet to come."""
        for event, stanza in self.inbox:
            if predicate(event, stanza):
                self.inbox.remove((event, stanza))
                return stanza
        future = asyncio.get_running_loop().create_future()
        self.waiters.append((predicate, future))
        try:
            stanza = await asyncio.wait_for(future, STEP_TIMEOUT)
        except asyncio.TimeoutError:
            raise SessionFailed(f"{self.label}: no {what} within {STEP_TIMEOUT} s")
        self.inbox = [(e, s) for e, s in self.inbox if s is not stanza]
        return stanza

    async def login(self, host, port):
        started = asyncio.get_running_loop().create_future()
        self.add_event_handler("session_start", lambda _e: started.done() or started.set_result(True))
        self.add_event_handler("failed_all_auth", lambda _e: started.done() or started.set_exception(SessionFailed(f"{self.label}: authentication failed")))
        self.add_event_handler("connection_failed", lambda e: started.done() or started.set_exception(SessionFailed(f"{self.label}: cannot connect to {host}:{port}: {e}")))
        self.connect(address=(host, port), disable_starttls=True, force_starttls=False)
        try:
            await asyncio.wait_for(started, STEP_TIMEOUT)
        except BaseException:
            self.abort()
            raise
        OPEN.append(self)

    async def logout(self):
        if self in OPEN:
            OPEN.remove(self)
        done = asyncio.get_running_loop().create_future()
        self.add_event_handler("disconnected", lambda _e: done.done() or done.set_result(True))
        self.disconnect()
        await asyncio.wait_for(done, STEP_TIMEOUT)


def presence_from(jid, ptype=None):
    def predicate(event, stanza):
        if event != "presence" or stanza["from"] != jid:
            return False
        return ptype is None or stanza["type"] == ptype
    return predicate


def message_from(jid, body=None, carbon=None):
    """A message from `jid`; with `carbon` ("received" or "sent"), its carbon copy, from the own bare JID."""
    def predicate(event, stanza):
        if carbon:
            return event == f"carbon_{carbon}" and stanza["from"] == JID(jid.bare) and stanza[f"carbon_{carbon}"]["body"] == body
        return event == "message" and stanza["from"] == jid and (body is None or stanza["body"] == body)
    return predicate


def roster_push(jid, subscription=None):
    def predicate(event, stanza):
        if event != "roster_update" or stanza["type"] != "set":
            return False
        items = stanza["roster"]["items"]
        return jid in items and (subscription is None or items[jid]["subscription"] == subscription)
    return predicate


def entry(title):
    e = ET.Element("{http://www.w3.org/2005/Atom}entry")
    ET.SubElement(e, "{http://www.w3.org/2005/Atom}title").text = title
    return e


async def items(client, owner):
    try:
        answer = await client["xep_0060"].get_items(JID(owner), MICROBLOG, timeout=STEP_TIMEOUT)
        return [i["id"] for i in answer["pubsub"]["items"]]
    except IqError as e:
        return e.iq["error"]["condition"]


async def online(client, at, roster=True):
    """Logs in, asks for the roster (roster pushes go only to resources that did, RFC 6121 §2.1.6), says it is available."""
    await client.login(*at)
    if roster:
        await client.get_roster(timeout=STEP_TIMEOUT)
    client.send_presence()
    await client.expect("own presence", presence_from(client.boundjid))


async def chat(juliet, garden, romeo):
    """romeo writes to juliet's first resource, she answers; her second resource gets both as carbons."""
    romeo.send_message(mto=juliet.boundjid, mbody="Juliet, are you there?", mtype="chat")
    await juliet.expect("romeo's message", message_from(romeo.boundjid, "Juliet, are you there?"))
    await garden.expect("the carbon of romeo's message", message_from(juliet.boundjid, "Juliet, are you there?", carbon="received"))
    juliet.send_message(mto=romeo.boundjid, mbody=LITERAL_BODY, mtype="chat")
    await romeo.expect("juliet's message", message_from(juliet.boundjid, LITERAL_BODY))
    await garden.expect("the carbon of juliet's message", message_from(juliet.boundjid, LITERAL_BODY, carbon="sent"))


async def short(at, accounts, domain):
    juliet = Client("juliet", f"{accounts['juliet']['username']}@{domain}/balcony", accounts["juliet"]["password"], "PLAIN", ["xep_0199", "xep_0060"])
    await juliet.login(*at)
    await juliet["xep_0199"].send_ping(JID(domain), timeout=STEP_TIMEOUT)
    got = await items(juliet, juliet.boundjid.bare)
    assert got == "item-not-found", f"juliet's microblog items: {got!r} (expected item-not-found from a fresh managing entity)"
    await juliet.logout()


async def medium(at, accounts, domain):
    juliet = Client("juliet", f"{accounts['juliet']['username']}@{domain}/balcony", accounts["juliet"]["password"], None,
                    ["xep_0030", "xep_0060", "xep_0198", "xep_0280"])
    await online(juliet, at)
    await juliet["xep_0280"].enable(timeout=STEP_TIMEOUT)
    await juliet["xep_0060"].publish(JID(juliet.boundjid.bare), MICROBLOG, id="first-post", payload=entry("Hello from slixmpp"), timeout=STEP_TIMEOUT)
    got = await items(juliet, juliet.boundjid.bare)
    assert got == ["first-post"], f"juliet's microblog items: {got!r}"
    await juliet.logout()


LITERAL_BODY = "templates: ${juliet} and {$fwd1} and {any}, left as they are"


def clients(accounts, domain, plugins):
    j, r = accounts["juliet"], accounts["romeo"]
    juliet = Client("juliet", f"{j['username']}@{domain}/balcony", j["password"], None, plugins)
    garden = Client("juliet2", f"{j['username']}@{domain}/garden", j["password"], None, plugins)
    romeo = Client("romeo", f"{r['username']}@{domain}/orchard", r["password"], "PLAIN", plugins)
    return juliet, garden, romeo


async def long(at, accounts, domain):
    juliet, garden, romeo = clients(accounts, domain, ["xep_0030", "xep_0060", "xep_0198", "xep_0199", "xep_0280"])
    juliet_bare = JID(juliet.boundjid.bare)

    await online(juliet, at)
    await juliet["xep_0280"].enable(timeout=STEP_TIMEOUT)

    # juliet's second resource, with carbons: each resource sees the other's presence
    await online(garden, at, roster=False)
    await garden.expect("the other resource's presence", presence_from(juliet.boundjid))
    await juliet.expect("the other resource's presence", presence_from(garden.boundjid))
    await garden["xep_0280"].enable(timeout=STEP_TIMEOUT)

    await online(romeo, at)
    await romeo["xep_0199"].send_ping(JID(domain), timeout=STEP_TIMEOUT)
    await chat(juliet, garden, romeo)

    got = await items(romeo, juliet_bare.bare)
    assert got == "item-not-found", f"juliet's microblog items, asked by romeo: {got!r}"

    # a roster entry, added and removed again (no subscription)
    await romeo.update_roster(juliet_bare, name="Juliet", timeout=STEP_TIMEOUT)
    await romeo.expect("roster push", roster_push(juliet_bare, "none"))
    await romeo.del_roster_item(juliet_bare)
    await romeo.expect("roster push (removed)", roster_push(juliet_bare, "remove"))

    await garden.logout()
    await juliet.expect("the other resource going", presence_from(garden.boundjid, "unavailable"))
    await romeo.logout()
    await juliet.logout()


async def subscription(at, accounts, domain):
    juliet, garden, romeo = clients(accounts, domain, ["xep_0030", "xep_0060", "xep_0198", "xep_0199", "xep_0280"])
    juliet_bare, romeo_bare = JID(juliet.boundjid.bare), JID(romeo.boundjid.bare)

    await online(juliet, at)
    await juliet["xep_0280"].enable(timeout=STEP_TIMEOUT)
    await online(romeo, at)

    # a mutual subscription, step by step (no auto-authorize: every answer is the user's)
    await romeo.update_roster(juliet_bare, name="Juliet", timeout=STEP_TIMEOUT)
    await romeo.expect("roster push", roster_push(juliet_bare))
    romeo.send_presence(pto=juliet_bare, ptype="subscribe")
    await juliet.expect("subscription request", presence_from(romeo_bare, "subscribe"))
    juliet.send_presence(pto=romeo_bare, ptype="subscribed")
    await romeo.expect("subscription approval", presence_from(juliet_bare, "subscribed"))
    await romeo.expect("juliet's presence", presence_from(juliet.boundjid))
    juliet.send_presence(pto=romeo_bare, ptype="subscribe")
    await romeo.expect("subscription request", presence_from(juliet_bare, "subscribe"))
    romeo.send_presence(pto=juliet_bare, ptype="subscribed")
    await juliet.expect("subscription approval", presence_from(romeo_bare, "subscribed"))
    await juliet.expect("romeo's presence", presence_from(romeo.boundjid))

    # juliet's second resource gets the presences of the roster, carbons of the chat
    await online(garden, at, roster=False)
    await garden.expect("romeo's presence", presence_from(romeo.boundjid))
    await garden["xep_0280"].enable(timeout=STEP_TIMEOUT)
    await chat(juliet, garden, romeo)
    await garden.logout()

    # and back to how it was
    await romeo.del_roster_item(juliet_bare)
    await romeo.expect("roster push (removed)", roster_push(juliet_bare, "remove"))
    await juliet.expect("roster push (no subscription left)", roster_push(romeo_bare, "none"))
    await juliet.del_roster_item(romeo_bare)
    await juliet.expect("roster push (removed)", roster_push(romeo_bare, "remove"))
    await romeo.logout()
    await juliet.logout()


async def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", required=True, help="a server target file (accounts, domain)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, help="the c2s port to connect to (default: the target's; give the proxy's)")
    parser.add_argument("--session", choices=list(SESSIONS), default="short")
    parser.add_argument("--log", help="slixmpp's own log of what it sent and received")
    args = parser.parse_args()
    with open(args.target) as f:
        target = json.load(f)
    if args.log:
        handler = logging.FileHandler(args.log, mode="w")
        handler.setFormatter(Labelled())
        handler.addFilter(Tag())
        log = logging.getLogger("slixmpp")
        log.setLevel(logging.DEBUG)
        log.addHandler(handler)
    at = (args.host, args.port or target["c2sPort"])
    try:
        await SESSIONS[args.session](at, target["accounts"], target["domain"])
    finally:
        for client in list(OPEN):
            try:
                await client.logout()
            except Exception:
                client.abort()
    print(f"slixmpp session '{args.session}' done")


SESSIONS = {"short": short, "medium": medium, "long": long, "subscription": subscription}

if __name__ == "__main__":
    try:
        asyncio.run(main())
    except SystemExit:
        raise
    except Exception as err:  # one line, never a traceback with a password in a local variable
        print(f"slixmpp-session: {type(err).__name__}: {err}", file=sys.stderr)
        sys.exit(1)
