import { execFile } from "node:child_process";
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { UsageError } from "../src/cli/errors.js";
import { RUN_HELP } from "../src/cli/help.js";
import { launchers } from "../src/launchers/index.js";
import { RawXmpp } from "../src/launchers/raw-xmpp.js";
import { pinnedVersions } from "../src/launchers/roots/package-root.js";
import { LAUNCHABLE, launchLabel, oneProgressLine, resolveLaunch } from "../src/launchers/versions.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const exec = promisify(execFile);

describe("--launch NAME@VERSION", () => {
  it("plain NAME is Debian 12's version, installed on the system", () => {
    expect(resolveLaunch("prosody")).toMatchObject({ name: "prosody", version: "0.12.3", source: "system", role: "server" });
    expect(resolveLaunch("ejabberd")).toMatchObject({ name: "ejabberd", version: "23.01", source: "system" });
    expect(resolveLaunch("libervia-pubsub")).toMatchObject({ name: "libervia-pubsub", version: "0.4.0", source: "system", role: "component" });
  });

  it("NAME@VERSION names Debian 12's version explicitly, or a newer one from its root", () => {
    expect(resolveLaunch("prosody@0.12.3")).toBe(resolveLaunch("prosody"));
    expect(resolveLaunch("ejabberd@23.01")).toBe(resolveLaunch("ejabberd"));
    expect(resolveLaunch("libervia-pubsub@0.4.0")).toBe(resolveLaunch("libervia-pubsub"));
    expect(resolveLaunch("prosody@13.0.1")).toMatchObject({ source: "root", suite: "bookworm-backports" });
    expect(resolveLaunch("ejabberd@24.12")).toMatchObject({ source: "root", suite: "bookworm-backports" });
    expect(resolveLaunch("libervia-pubsub@0.5.0")).toMatchObject({ source: "root", suite: "trixie", role: "component" });
  });

  it("an unknown version is a one-line usage error listing the known ones", () => {
    const error = (() => {
      try {
        resolveLaunch("prosody@14.0");
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(UsageError);
    const message = (error as Error).message;
    expect(message).not.toContain("\n");
    expect(message).toContain("'prosody@14.0'");
    expect(message).toContain("prosody@0.12.3, prosody@13.0.1");
    expect(message).not.toContain("ejabberd@");
    expect(() => resolveLaunch("openfire")).toThrow(/unknown target 'openfire' \(known: prosody, ejabberd, libervia-pubsub/);
    expect(() => resolveLaunch("prosody@")).toThrow(UsageError);
  });

  it("the CLI says so with exit 2 and one line, before launching anything", async () => {
    const run = exec(`${ROOT}/bin/xep0355`, ["run", "--launch", "ejabberd@99.1", "--reports", "/nonexistent/never-written"], { cwd: ROOT });
    const failure = await run.then(() => undefined, (err: { code: number; stderr: string }) => err);
    expect(failure?.code).toBe(2);
    expect(failure?.stderr.trim().split("\n")).toEqual([
      "xep0355: --launch: unknown version 'ejabberd@99.1' (known: ejabberd@23.01, ejabberd@24.12; plain 'ejabberd' is ejabberd@23.01, Debian 12's)",
    ]);
  }, 30_000);

  it("every newer version has a pin file, and every pin file is launchable", () => {
    const roots = LAUNCHABLE.filter((v) => v.source === "root").map(launchLabel).sort();
    expect(pinnedVersions().map(launchLabel).sort()).toEqual(roots);
  });

  it("run --help lists every name with its versions", () => {
    for (const v of LAUNCHABLE) expect(RUN_HELP).toContain(launchLabel(v));
    expect(RUN_HELP).toMatch(/--launch NAME\[@VERSION\]/);
    expect(RUN_HELP).toMatch(/^ +prosody: prosody@0\.12\.3 \(Debian 12, the default\), prosody@13\.0\.1 \(bookworm-backports\)$/m);
    expect(RUN_HELP).toMatch(/^ +libervia-pubsub: .*libervia-pubsub@0\.5\.0 \(trixie\)$/m);
  });

  it("a root's preparation is one progress line in a log, completed when the root is ready", () => {
    let written = "";
    const stream = { isTTY: false, write: (text: string) => ((written += text), true) } as unknown as NodeJS.WriteStream;
    const log = oneProgressLine(stream);
    log("preparing prosody@13.0.1 root (first launch)…");
    log("  apt-get update (bookworm-backports, private lists in /x)");
    log("  apt-get download 2 package(s) from bookworm-backports");
    log("  prosody@13.0.1 root ready in 0.8 s: /x/prosody@13.0.1 (6 MiB)");
    expect(written).toBe("preparing prosody@13.0.1 root (first launch)… ready in 0.8 s: /x/prosody@13.0.1 (6 MiB)\n");
  });
});

/** The root's Prosody runs on the system's Lua 5.4, which Debian 12's prosody brings. */
const canRunRoots = fs.existsSync("/usr/bin/lua5.4") && fs.existsSync("/usr/bin/erl") && fs.existsSync("/usr/bin/dpkg-deb") && process.getuid?.() === 0;

describe("newer versions, launched from their roots", () => {
  it.skipIf(!canRunRoots)("prosody@13.0.1: the root's Prosody, not the system's, speaking urn:xmpp:delegation:2 on the wire", async () => {
    const server = await launchers.prosody.launch({ rootVersion: "13.0.1", lanes: 2 });
    try {
      expect(server.software).toMatch(/^Prosody 13\.0\.1 \+ mod_delegation \(prosody-modules hg20250402\./);
      expect(server.target.version).toBe(2);
      expect(server.protocolDetection).toMatch(/^speaks urn:xmpp:delegation:2 \(detected on the wire: advertisement <delegation xmlns='urn:xmpp:delegation:2'>/);
      const juliet = await RawXmpp.client(server.target.host, server.target.c2sPort, server.target.domain, "juliet", server.target.accounts.juliet.password);
      // XEP-0092 of the server itself: the version that really runs
      juliet.send(`<iq type='get' id='v1' to='${server.target.domain}'><query xmlns='jabber:iq:version'/></iq>`);
      const answer = await juliet.next((el) => el.name === "iq" && el.attrs.id === "v1", 5000);
      expect(answer.getChild("query")?.getChildText("version")).toBe("13.0.1");
      juliet.close();
    } finally {
      await server.stop();
    }
  }, 90_000);

  it.skipIf(!canRunRoots)("ejabberd@24.12: still speaks urn:xmpp:delegation:1, as detected on the wire", async () => {
    const server = await launchers.ejabberd.launch({ rootVersion: "24.12", lanes: 2 });
    try {
      expect(server.software).toBe("ejabberd 24.12");
      expect(server.target.version).toBe(1);
      expect(server.protocolDetection).toMatch(/^speaks urn:xmpp:delegation:1 \(detected on the wire: advertisement <delegation xmlns='urn:xmpp:delegation:1'>/);
    } finally {
      await server.stop();
    }
  }, 90_000);
});
