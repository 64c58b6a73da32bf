import { describe, expect, it } from "vitest";
import { startMockServer, type ServerFault } from "../mocks/server/index.js";
import { privilegeUnsupported } from "../src/runner/drivers/privilege-needs.js";
import { privilegeRevision, ServerTargetDriver } from "../src/runner/drivers/server-target-driver.js";
import { serverEnvironment } from "../src/runner/drivers/server-environment.js";
import { notApplicable } from "../src/runner/spec-selection.js";
import { parseTarget, TargetFileError } from "../src/target/load.js";
import { schemaProblems } from "../src/target/schema.js";
import { prosodyTarget } from "../src/launchers/prosody.js";
import type { PrivilegeGrant } from "../src/protocol/privilege.js";
import type { CastEntry } from "../src/scenario/model.js";
import type { ServerTarget } from "../src/target/types.js";

const asFile = <T>(t: T): T => JSON.parse(JSON.stringify(t)) as T;

/** The reference grants of the PRV-* scenarios (mocks/server/options.ts defaultPrivileges). */
const REFERENCE: ServerTarget["privileges"] = {
  managing: { roster: "both", message: "outgoing", presence: "roster", iq: { "http://jabber.org/protocol/pubsub": "both", "jabber:iq:version": "get", "urn:xmpp:ping": "none", "urn:xmpp:privilege:2": "both" } },
  other: { roster: "set", presence: "roster" },
  reader: { roster: "get" },
  messenger: { roster: "none", message: "outgoing" },
};

const server = asFile({ ...prosodyTarget({ c2s: 5222, component: 5347 }), privileges: REFERENCE });

describe("target file: privileges (XEP-0356)", () => {
  it("accepts and keeps the grants of both components", () => {
    expect(schemaProblems(server)).toEqual([]);
    const loaded = parseTarget(server, "t.json");
    expect(loaded.role === "server" && loaded.privileges).toEqual(REFERENCE);
  });

  it("leaves privileges out when the file has none", () => {
    const { privileges: _, ...rest } = server;
    const loaded = parseTarget(rest, "t.json");
    expect(loaded.role === "server" && "privileges" in loaded).toBe(false);
  });

  it("refuses unknown keys and values with the field path", () => {
    const wrong = (privileges: unknown) => {
      try {
        parseTarget({ ...server, privileges }, "t.json");
      } catch (err) {
        expect(err).toBeInstanceOf(TargetFileError);
        return (err as Error).message;
      }
      throw new Error("accepted");
    };
    expect(wrong({ managing: { rostr: "both" } })).toMatch(/field 'privileges.managing.rostr' is not a privilege grant field \(did you mean 'roster'\?\)/);
    expect(wrong({ managing: { roster: "all" } })).toMatch(/field 'privileges.managing.roster' must be one of: "none", "get", "set", "both"/);
    expect(wrong({ managing: { iq: { "jabber:iq:version": "read" } } })).toMatch(/privileges.managing.iq.jabber:iq:version' must be one of/);
    expect(wrong({ other: { roster: "set" } })).toMatch(/field 'privileges.managing' is missing/);
    expect(wrong({ managing: {}, third: {} })).toMatch(/field 'privileges.third' is not a privilege field/);
  });
});

describe("privilege revision, independent of the delegation one", () => {
  it("prefers the advertisement, then disco#info, else assumes :2, and says which", () => {
    expect(privilegeRevision(1, ["urn:xmpp:privilege:2"], "pubsub.x")).toMatchObject({ version: 1, how: expect.stringContaining("from the privilege advertisement to pubsub.x") });
    expect(privilegeRevision(undefined, ["urn:xmpp:privilege:1"], "pubsub.x")).toMatchObject({ version: 1, how: expect.stringContaining("from disco#info") });
    expect(privilegeRevision(undefined, [], "pubsub.x")).toMatchObject({ version: 2, how: expect.stringContaining("assumed urn:xmpp:privilege:2") });
  });

  async function prepare(mockVersion: 1 | 2, targetVersion: ServerTarget["version"], privileges: ServerTarget["privileges"], faults: ServerFault[] = []) {
    const mock = await startMockServer({ version: mockVersion, faults });
    const o = mock.options;
    const target: ServerTarget = {
      role: "server",
      name: "mock",
      host: o.host,
      domain: o.domain,
      c2sPort: mock.c2sPort,
      componentPort: mock.componentPort,
      version: targetVersion,
      accounts: { juliet: { username: "juliet", password: o.accounts.juliet }, romeo: { username: "romeo", password: o.accounts.romeo } },
      components: { managing: { jid: "pubsub.capulet.test", secret: o.components["pubsub.capulet.test"] } },
      delegations: { plain: { namespace: "http://jabber.org/protocol/pubsub" } },
      undelegatedNamespace: "jabber:iq:version",
      foreignDomain: "montague.example",
      features: { filtering: false, bareDisco: false, remainingDiscoInfo: false, remainingDiscoItems: false, clientMode: false },
      ...(privileges ? { privileges } : {}),
      timeouts: { step: 1500, quiet: 200, connect: 3000 },
    };
    try {
      return await new ServerTargetDriver(target).prepare();
    } finally {
      await mock.stop();
    }
  }

  it("declares XEP-0356 in the revision of the advertisement, whatever the delegation revision configured", async () => {
    const d = await prepare(1, 2, REFERENCE);
    expect(d.specs).toEqual({ "0355": 2, "0356": 1 });
    expect(d.name).toContain("XEP-0356 urn:xmpp:privilege:1 detected from the privilege advertisement to pubsub.capulet.test");
    // rows that do not exist in :1 are not-applicable for XEP-0356 only
    const na = notApplicable(d);
    expect(na.has("PRV-IQ-07")).toBe(true);
    expect(na.has("SRV-DSC-07")).toBe(false);
  });

  it("without an advertisement, says it assumed :2", async () => {
    const d = await prepare(1, 1, REFERENCE, ["PRV-ADV-01"]);
    expect(d.specs).toEqual({ "0355": 1, "0356": 2 });
    expect(d.name).toContain("assumed urn:xmpp:privilege:2");
  });

  it("declares XEP-0355 only without privileges", async () => {
    const d = await prepare(2, 2, undefined);
    expect(d.specs).toEqual({ "0355": 2 });
    expect(d.name).toBe("mock");
  });

  it("${priv} is the privilege revision's namespace, not the delegation one's", () => {
    const env = serverEnvironment(server, 1, async () => undefined, undefined, 2);
    expect(env.variables.deleg).toBe("urn:xmpp:delegation:1");
    expect(env.variables.priv).toBe("urn:xmpp:privilege:2");
    expect(serverEnvironment(server, 1, async () => undefined).variables.priv).toBe("urn:xmpp:privilege:1");
  });
});

describe("scenarios whose rows need a grant the target lacks are not-supported", () => {
  const cast = (...refs: string[]): CastEntry[] => [{ name: "juliet", kind: "client", ref: "juliet" }, ...refs.map((ref) => ({ name: ref, kind: "component" as const, ref }))];
  const target = (managing: PrivilegeGrant, other?: PrivilegeGrant) => ({ delegations: server.delegations, privileges: { managing, ...(other ? { other } : {}) } });
  const reference = target(REFERENCE!.managing, REFERENCE!.other);

  it("runs every row on the reference grants", () => {
    for (const requirements of [["PRV-ADV-02", "PRV-ADV-01"], ["PRV-ROS-03"], ["PRV-IQ-03"], ["PRV-MSG-01"], ["PRV-PRE-05", "PRV-PRE-01"], ["PRV-ADV-07", "PRV-ADV-01", "PRV-IQ-02"]]) {
      expect(privilegeUnsupported({ requirements, cast: cast("managing") }, reference, 2)).toBeUndefined();
    }
    for (const requirements of [["PRV-ROS-01"], ["PRV-ROS-04", "PRV-ROS-03"], ["PRV-ADV-05", "PRV-ADV-01"], ["PRV-MSG-03"]]) {
      expect(privilegeUnsupported({ requirements, cast: cast("managing", "other") }, reference, 2)).toBeUndefined();
    }
  });

  it("names the row and the grant it lacks", () => {
    const noIq = target({ roster: "both", message: "outgoing", presence: "roster" }, REFERENCE!.other);
    expect(privilegeUnsupported({ requirements: ["PRV-IQ-07"], cast: cast("managing") }, noIq, 2)).toBe("PRV-IQ-07 needs privileges.managing to grant IQ namespace jabber:iq:version 'get' (it has none)");
    const rosterGet = target({ roster: "get", message: "outgoing", presence: "roster" });
    expect(privilegeUnsupported({ requirements: ["PRV-ROS-02"], cast: cast("managing") }, rosterGet, 2)).toBe("PRV-ROS-02 needs privileges.managing to grant roster 'both' (it has 'get')");
    expect(privilegeUnsupported({ requirements: ["PRV-ROS-01"], cast: cast("other") }, rosterGet, 2)).toMatch(/grants components.other no privileges/);
    const otherMessage = target(REFERENCE!.managing, { roster: "set", message: "outgoing" });
    expect(privilegeUnsupported({ requirements: ["PRV-MSG-03"], cast: cast("other") }, otherMessage, 2)).toBe("PRV-MSG-03 needs privileges.other to grant no message permission (it has 'outgoing')");
    // the privilege namespace of the revision the target speaks
    expect(privilegeUnsupported({ requirements: ["PRV-ADV-07"], cast: cast("managing") }, reference, 1)).toMatch(/urn:xmpp:privilege:1 'both'/);
  });

  it("PRV-ROS-01's reader and messenger: their grants, and not-supported without the component", () => {
    const withComponents = { ...reference, privileges: REFERENCE, components: server.components };
    expect(privilegeUnsupported({ requirements: ["PRV-ROS-01"], cast: cast("reader") }, withComponents, 2)).toBeUndefined();
    expect(privilegeUnsupported({ requirements: ["PRV-ROS-01"], cast: cast("messenger") }, withComponents, 2)).toBeUndefined();
    // no roster permission at all is "none" too
    const absent = { ...withComponents, privileges: { ...REFERENCE!, messenger: { message: "outgoing" as const } } };
    expect(privilegeUnsupported({ requirements: ["PRV-ROS-01"], cast: cast("messenger") }, absent, 2)).toBeUndefined();
    const wrong = { ...withComponents, privileges: { ...REFERENCE!, reader: { roster: "both" as const }, messenger: { roster: "get" as const } } };
    expect(privilegeUnsupported({ requirements: ["PRV-ROS-01"], cast: cast("reader") }, wrong, 2)).toBe("PRV-ROS-01 needs privileges.reader to grant roster 'get' (it has 'both')");
    expect(privilegeUnsupported({ requirements: ["PRV-ROS-01"], cast: cast("messenger") }, wrong, 2)).toBe("PRV-ROS-01 needs privileges.messenger to grant roster 'none' (it has 'get')");
    // nothing for the server to advertise: the scenario would wait for an advertisement in vain
    const silent = { ...withComponents, privileges: { ...REFERENCE!, messenger: { roster: "none" as const } } };
    expect(privilegeUnsupported({ requirements: ["PRV-ROS-01"], cast: cast("messenger") }, silent, 2)).toMatch(/privileges.messenger to grant some permission other than roster/);
    const { reader: _, ...noReader } = server.components;
    expect(privilegeUnsupported({ requirements: ["PRV-ROS-01"], cast: cast("reader") }, { ...withComponents, components: noReader }, 2)).toBe(
      "target file has no components.reader (a component granted roster 'get' only), which PRV-ROS-01 needs",
    );
    const { reader: __, ...noReaderGrant } = REFERENCE!;
    expect(privilegeUnsupported({ requirements: ["PRV-ROS-01"], cast: cast("reader") }, { ...withComponents, privileges: noReaderGrant }, 2)).toMatch(/grants components.reader no privileges/);
  });

  it("the launched Prosody's components and grants run them", () => {
    const launched = prosodyTarget({ c2s: 5222, component: 5347 });
    for (const ref of ["reader", "messenger"]) expect(privilegeUnsupported({ requirements: ["PRV-ROS-01"], cast: cast(ref) }, launched, 2), ref).toBeUndefined();
  });

  it("leaves XEP-0355 scenarios alone", () => {
    expect(privilegeUnsupported({ requirements: ["SRV-FWD-01"], cast: cast("managing") }, target({}), 2)).toBeUndefined();
  });
});
