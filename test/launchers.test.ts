import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import net from "node:net";
import { describe, expect, it, vi } from "vitest";
import { launchers } from "../src/launchers/index.js";
import { acceptsTcp, freePorts } from "../src/launchers/ports.js";
import { RawXmpp } from "../src/launchers/raw-xmpp.js";
import { ServerTargetDriver } from "../src/runner/drivers/server-target-driver.js";
import type { Scenario } from "../src/scenario/model.js";
import type { ServerTarget } from "../src/target/types.js";

/** When set, the next freePorts() call hands out this (occupied) port first: simulates losing the bind race. */
const sabotage = vi.hoisted(() => ({ port: 0 }));
vi.mock("../src/launchers/ports.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../src/launchers/ports.js")>();
  return {
    ...real,
    freePorts: async (count: number, host?: string) => {
      const ports = await real.freePorts(count, host);
      if (sabotage.port) {
        ports[0] = sabotage.port;
        sabotage.port = 0;
      }
      return ports;
    },
  };
});

const installed = {
  prosody: fs.existsSync("/usr/bin/prosody") && fs.existsSync("/usr/lib/prosody/modules/mod_delegation/mod_delegation.lua"),
  ejabberd: fs.existsSync("/usr/bin/erl") && fs.existsSync("/usr/sbin/ejabberdctl"),
};

function runDirs(name: string): string[] {
  return fs.readdirSync(os.tmpdir()).filter((d) => d.startsWith(`xep0355-${name}-`)).map((d) => path.join(os.tmpdir(), d));
}

/**
 * The temp dir of the server listening on c2sPort, among those made since `before`: other test files
 * launch servers of the same kind at the same time, so the only new dir is not necessarily this one's.
 */
function runDirOf(name: "prosody" | "ejabberd", before: Set<string>, c2sPort: number): string | undefined {
  const config = name === "prosody" ? "prosody.cfg.lua" : "ejabberd.yml";
  const port = new RegExp(`\\b${c2sPort}\\b`);
  const mentionsPort = (dir: string) => {
    try {
      return port.test(fs.readFileSync(path.join(dir, config), "utf8"));
    } catch {
      return false; // another server's, stopped meanwhile
    }
  };
  return runDirs(name).find((d) => !before.has(d) && mentionsPort(d));
}

/** Processes ("pid state command line") whose command line mentions `needle` (the server's temp dir is on its command line). */
function pidsMentioning(needle: string): string[] {
  const pids: string[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8");
      const state = fs.readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1]?.[0];
      if (cmdline.includes(needle) && state !== "Z") pids.push(`${entry} ${state} ${cmdline.replace(/\0/g, " ").slice(0, 200)}`);
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

for (const name of ["prosody", "ejabberd"] as const) {
  describe(`${name} launcher`, () => {
    it.skipIf(!installed[name])("launches, accepts a PLAIN login and a component handshake on every lane, and leaves nothing behind", async () => {
      const before = new Set(runDirs(name));
      // three lanes are enough to show each one works; a run gets more (DEFAULT_LANES)
      const server = await launchers[name].launch({ lanes: 3 });
      let dir: string | undefined;
      try {
        dir = runDirOf(name, before, server.target.c2sPort);
        expect(dir).toBeDefined();
        expect(pidsMentioning(dir!).length).toBeGreaterThan(0);
        const { target } = server;
        expect(server.software).toMatch(name === "prosody" ? /^Prosody \d/ : /^ejabberd \d/);
        expect(server.startupMs).toBeGreaterThan(0);

        const juliet = await RawXmpp.client(target.host, target.c2sPort, target.domain, "juliet", target.accounts.juliet.password);
        expect(juliet.jid).toBe(`juliet@${target.domain}/probe`);
        juliet.close();
        // SRV-FWD-11: a second hosted domain, the same accounts with the same passwords
        expect(target.undelegatedDomain).toBe(`undelegated.${target.domain}`);
        for (const user of ["juliet", "romeo"] as const) {
          const there = await RawXmpp.client(target.host, target.c2sPort, target.undelegatedDomain!, user, target.accounts[user].password);
          expect(there.jid).toBe(`${user}@${target.undelegatedDomain}/probe`);
          there.close();
        }
        const { managing, other } = target.components;
        const comp = await RawXmpp.component(target.host, target.componentPort, managing.jid, managing.secret);
        comp.close();
        const comp2 = await RawXmpp.component(target.host, other!.port ?? target.componentPort, other!.jid, other!.secret);
        comp2.close();
        await expect(RawXmpp.component(target.host, target.componentPort, managing.jid, "wrong")).rejects.toThrow(/handshake failed/);
        // each further lane: its own domain with the same accounts, its own managing component (primed at
        // launch); the component with no delegation is the first lane's, shared
        expect(target.lanes?.map((l) => l.domain)).toEqual([`l2.${target.domain}`, `l3.${target.domain}`]);
        for (const lane of target.lanes ?? []) {
          const user = await RawXmpp.client(target.host, target.c2sPort, lane.domain, "romeo", target.accounts.romeo.password);
          expect(user.jid).toBe(`romeo@${lane.domain}/probe`);
          user.close();
          const { managing: own, other: none } = lane.components;
          expect(own.jid).toBe(`pubsub.${lane.domain}`);
          expect(none).toBeUndefined();
          (await RawXmpp.component(target.host, own.port ?? target.componentPort, own.jid, own.secret)).close();
        }
      } finally {
        await server.stop();
      }
      await server.stop(); // idempotent
      expect(fs.existsSync(dir!)).toBe(false);
      expect(pidsMentioning(dir!)).toEqual([]);
      expect(await acceptsTcp(server.target.host, server.target.c2sPort)).toBe(false);
    }, 60_000);
  });

  describe(`${name} launcher, port taken`, () => {
    it.skipIf(!installed[name])("starts again on fresh ports when the c2s port is taken meanwhile", async () => {
      const squatter = net.createServer((s) => s.destroy());
      await new Promise<void>((r) => squatter.listen(0, "127.0.0.1", () => r()));
      const taken = (squatter.address() as net.AddressInfo).port;
      sabotage.port = taken;
      try {
        const server = await launchers[name].launch({ lanes: 1 });
        try {
          expect(server.target.c2sPort).not.toBe(taken);
          const juliet = await RawXmpp.client(server.target.host, server.target.c2sPort, server.target.domain, "juliet", server.target.accounts.juliet.password);
          juliet.close();
        } finally {
          await server.stop();
        }
      } finally {
        squatter.close();
      }
    }, 90_000);
  });
}

describe("freePorts", () => {
  it("hands out distinct ports below the kernel's ephemeral range, where outgoing connections cannot take them", async () => {
    const low = Number(fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    const ports = await freePorts(8);
    expect(new Set(ports).size).toBe(8);
    if (low > 21000) for (const p of ports) expect(p).toBeLessThan(low);
  });
});

describe("snippets", () => {
  it("prosody prints the delegations table and both Component sections", async () => {
    const { prosody } = launchers;
    const target = {
      ...(await import("../src/launchers/common.js")).baseTarget("Prosody", { c2s: 1, component: 2 }, {
        version: 2,
        delegations: { plain: { namespace: "http://jabber.org/protocol/pubsub" }, filtered: { namespace: "urn:xmpp:mam:2", attributes: ["node"] } },
        features: { filtering: true, bareDisco: true, remainingDiscoInfo: true, remainingDiscoItems: false, clientMode: false },
        timeouts: { step: 1, quiet: 1, connect: 1 },
      }),
    };
    const text = prosody.snippet(target);
    expect(text).toContain(`["urn:xmpp:mam:2"] = {\n\t\t\tfiltering = { "node" };`);
    expect(text).toContain(`["urn:xmpp:delegation:2:bare:disco#info:*"]`);
    expect(text).not.toContain("disco#items:*");
    expect(text).toContain(`Component "pubsub.capulet.test"`);
    expect(text).toContain(`Component "other.capulet.test"`);
    // SRV-ADV-05 provoked: the delegation namespace itself is delegated too
    expect(text).toContain(`["urn:xmpp:delegation:2"] = {\n\t\t\tjid = "pubsub.capulet.test";`);
    // SRV-FWD-11: the undelegated domain, without mod_delegation
    expect(text).toContain(`VirtualHost "undelegated.capulet.test"\n\tmodules_disabled = { "delegation" }`);
  });
  it("ejabberd prints the service listener and mod_delegation", async () => {
    const { baseTarget } = await import("../src/launchers/common.js");
    const target = baseTarget("ejabberd", { c2s: 1, component: 5347 }, {
      version: 1,
      delegations: { plain: { namespace: "http://jabber.org/protocol/pubsub" } },
      features: { filtering: false, bareDisco: true, remainingDiscoInfo: false, remainingDiscoItems: false, clientMode: false },
      timeouts: { step: 1, quiet: 1, connect: 1 },
    });
    const text = launchers.ejabberd.snippet(target);
    expect(text).toContain("module: ejabberd_service");
    // on the delegating host only, added to (not replacing) the global modules
    expect(text).toContain(`append_host_config:\n  "capulet.test":\n    modules:\n      mod_delegation:`);
    expect(text).toContain(`"http://jabber.org/protocol/pubsub":\n            access: delegation_access`);
    expect(text).toContain(`server: "pubsub.capulet.test"`);
    // SRV-ADV-05 provoked, with ejabberd 23.01's namespace
    expect(text).toContain(`"urn:xmpp:delegation:1":\n            access: delegation_access`);
    expect(text).not.toContain(`"urn:xmpp:delegation:2"`);
    expect(text).toContain(`hosts:\n  - "capulet.test"\n  - "undelegated.capulet.test"`);
  });
});

describe("snippets with lanes", () => {
  const delegations = { plain: { namespace: "http://jabber.org/protocol/pubsub" }, filtered: { namespace: "urn:xmpp:mam:2", attributes: ["node"] } };
  const timeouts = { step: 1, quiet: 1, connect: 1 };

  it("prosody: one VirtualHost per lane, delegating to that lane's own component", async () => {
    const { baseTarget } = await import("../src/launchers/common.js");
    const features = { filtering: true, bareDisco: true, remainingDiscoInfo: false, remainingDiscoItems: false, clientMode: false };
    const target = baseTarget("Prosody", { c2s: 1, component: 2 }, { version: 2, delegations, features, timeouts }, 3);
    const text = launchers.prosody.snippet(target);
    for (const domain of ["capulet.test", "l2.capulet.test", "l3.capulet.test"]) {
      expect(text).toContain(`VirtualHost "${domain}"\n\tdelegations = {\n\t\t["http://jabber.org/protocol/pubsub"] = {\n\t\t\tjid = "pubsub.${domain}";`);
      expect(text).toContain(`Component "pubsub.${domain}"`);
    }
    // one component with no delegation, shared by the lanes
    expect(text.match(/Component "other\./g)).toEqual([`Component "other.`]);
    // the undelegated domain stays one, shared by the lanes
    expect(text.match(/VirtualHost "undelegated\.capulet\.test"/g)).toHaveLength(1);
  });

  it("ejabberd: one host per lane, each with mod_delegation allowing only its own managing component", async () => {
    const { baseTarget } = await import("../src/launchers/common.js");
    const features = { filtering: true, bareDisco: true, remainingDiscoInfo: false, remainingDiscoItems: false, clientMode: false };
    const target = baseTarget("ejabberd", { c2s: 1, component: 5347 }, { version: 1, delegations, features, timeouts }, 2);
    const text = launchers.ejabberd.snippet(target);
    expect(text).toContain(`hosts:\n  - "capulet.test"\n  - "l2.capulet.test"\n  - "undelegated.capulet.test"`);
    expect(text).toContain(`  delegation_component_2:\n    server: "pubsub.l2.capulet.test"`);
    expect(text).toContain(`  delegation_access_2:\n    allow: delegation_component_2`);
    expect(text).toContain(`  "l2.capulet.test":\n    modules:\n      mod_delegation:`);
    expect(text).toContain(`"http://jabber.org/protocol/pubsub":\n            access: delegation_access_2`);
    // one service listener per component: the two managing ones and the shared other
    expect(text.match(/module: ejabberd_service/g)).toHaveLength(3);
  });
});

describe("ServerTargetDriver with lanes", () => {
  const scenario = (id: string, cast: Scenario["cast"]): Scenario =>
    ({ kind: "text", id, title: id, role: "server", file: id, requirements: ["SRV-ADV-01"], needs: [], versions: [1, 2], cast, steps: [] }) as unknown as Scenario;
  const withComponent = (id: string) => scenario(id, [{ name: "juliet", kind: "client", ref: "juliet" }, { name: "me", kind: "component", ref: "managing" }]);
  const usersOnly = scenario("users", [{ name: "juliet", kind: "client", ref: "juliet" }]);

  async function laneTarget(lanes: number): Promise<ServerTarget> {
    const { baseTarget } = await import("../src/launchers/common.js");
    return baseTarget("test", { c2s: 1, component: 2 }, {
      version: 2,
      delegations: { plain: { namespace: "http://jabber.org/protocol/pubsub" } },
      features: { filtering: false, bareDisco: false, remainingDiscoInfo: false, remainingDiscoItems: false, clientMode: false },
      timeouts: { step: 1, quiet: 1, connect: 1 },
    }, lanes);
  }

  it("hands each running scenario that casts a component a lane of its own, and the runner one to wait for when all are taken", async () => {
    const driver = new ServerTargetDriver(await laneTarget(2));
    const a = withComponent("a");
    const b = withComponent("b");
    const c = withComponent("c");
    // what the runner holds for a scenario is the lane open() then hands it
    expect(driver.exclusiveResources(a)).toEqual(["lane:0"]);
    const envA = await driver.open(a);
    expect(envA.variables.server).toBe("capulet.test");
    expect(driver.exclusiveResources(b)).toEqual(["lane:1"]);
    const envB = await driver.open(b);
    expect(envB.variables.server).toBe("l2.capulet.test");
    // both taken: c needs a lane a running scenario holds, so the runner waits
    expect(driver.exclusiveResources(c)).toEqual(["lane:0"]);
    // users only: the first lane, held by no one
    expect(driver.exclusiveResources(usersOnly)).toEqual([]);
    expect((await driver.open(usersOnly)).variables.server).toBe("capulet.test");
    await envA.close();
    expect(driver.exclusiveResources(c)).toEqual(["lane:0"]);
    const envC = await driver.open(c);
    expect(envC.variables.server).toBe("capulet.test");
    await Promise.all([envB.close(), envC.close()]);
  });

  it("the component the lanes share is taken in turns", async () => {
    const driver = new ServerTargetDriver(await laneTarget(2));
    const other = scenario("other", [{ name: "me", kind: "component", ref: "managing" }, { name: "other", kind: "component", ref: "other" }]);
    expect(driver.exclusiveResources(other)).toEqual(["lane:0", "component:other.capulet.test"]);
    const env = await driver.open(other);
    expect(driver.exclusiveResources(other)).toEqual(["lane:1", "component:other.capulet.test"]);
    await env.close();
  });

  it("without lanes, scenarios casting the same component take turns, as before", async () => {
    const driver = new ServerTargetDriver(await laneTarget(1));
    expect(driver.exclusiveResources(withComponent("a"))).toEqual(["component:managing"]);
    expect(driver.exclusiveResources(usersOnly)).toEqual([]);
  });
});
