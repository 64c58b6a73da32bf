/**
 * Proof that each pinned root RUNS on this machine (not part of the test suite):
 *   node --import tsx src/launchers/roots/smoke.ts [prosody] [ejabberd] [libervia]
 * prosody@13.0.1 and ejabberd@24.12: starts the server from its root with a config like the launchers',
 * connects the managing component (XEP-0114) and a client on loopback, prints the XEP-0092 answer,
 * the delegation / privilege namespaces seen on the wire and the disco#info features.
 * libervia-pubsub@0.5.0: a private cluster of the system's PostgreSQL 15 with the 0.5.0 schema, a
 * loopback XEP-0114 listener played here, twistd3 inside the trixie chroot; prints the handshake,
 * the component's XEP-0092 answer and its log lines about delegations and privileges.
 */
import { createHash, randomBytes } from "node:crypto";
import { execFile, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { freePorts, waitForListening } from "../ports.js";
import { RawXmpp } from "../raw-xmpp.js";
import { ServerRun, tail } from "../run.js";
import { serialize, type Element } from "../../xml/element.js";
import { StreamParser } from "../../xml/stream-parser.js";
import { baseTarget } from "../common.js";
import { prosody as prosodyLauncher } from "../prosody.js";
import { chrootCommand, prepareRoot, type RootInfo } from "./package-root.js";

const HOST = "127.0.0.1";
const DOMAIN = "capulet.test";
const COMPONENT = `pubsub.${DOMAIN}`;
const t0 = Date.now();
const say = (s: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(2)}s] ${s}`);

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(cmd, args, { env, cwd: os.tmpdir(), timeout: 60_000 }, (err, out, errOut) => (err ? reject(new Error(`${cmd}: ${err.message}\n${out}${errOut}`)) : resolve(String(out)))),
  );
}

const childNs = (el: Element) => el.children.filter((c): c is Element => typeof c !== "string").map((c) => `${c.name} xmlns=${c.attrs.xmlns}`);

/** Client checks common to both servers: XEP-0092 of the server, disco#info features. */
async function clientChecks(c2s: number, password: string): Promise<void> {
  const client = await RawXmpp.client(HOST, c2s, DOMAIN, "juliet", password);
  say(`client logged in as ${client.jid}`);
  client.send(`<iq type='get' to='${DOMAIN}' id='ver'><query xmlns='jabber:iq:version'/></iq>`);
  const ver = await client.next((el) => el.attrs.id === "ver");
  say(`XEP-0092 answer of ${DOMAIN}: ${serialize(ver)}`);
  client.send(`<iq type='get' to='${DOMAIN}' id='disco'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`);
  const disco = await client.next((el) => el.attrs.id === "disco");
  const features = (disco.getChild("query")?.getChildren("feature") ?? []).map((f) => f.attrs.var as string);
  say(`disco#info of ${DOMAIN}: delegation-related features: ${features.filter((f) => /delegation|pubsub$/.test(f)).join(", ") || "(none)"}`);
  client.close();
}

async function component(port: number, secret: string): Promise<RawXmpp> {
  const messages: Element[] = [];
  const comp = await RawXmpp.component(HOST, port, COMPONENT, secret, (el, conn) => {
    // answer disco#info the server asks (Prosody queries the component's nesting nodes first)
    if (el.name === "iq" && el.attrs.type === "get") {
      conn.send(`<iq type='result' id='${el.attrs.id}' to='${el.attrs.from}' from='${el.attrs.to}'><query xmlns='http://jabber.org/protocol/disco#info' ${el.getChild("query")?.attrs.node ? `node='${el.getChild("query")!.attrs.node}'` : ""}><identity category='pubsub' type='service'/><feature var='http://jabber.org/protocol/pubsub'/></query></iq>`);
      return true;
    }
    if (el.name === "message") messages.push(el);
    return false;
  });
  say(`component ${COMPONENT} handshake accepted`);
  const adv = await comp.next((el) => el.name === "message" && childNs(el).some((n) => /delegation|privilege/.test(n)), 5000);
  say(`advertisement from ${adv.attrs.from}: ${childNs(adv).join("; ")}`);
  say(`  ${serialize(adv)}`);
  const more = await comp.maybeNext((el) => el.name === "message", 1500);
  if (more) say(`second advertisement: ${childNs(more).join("; ")}\n  ${serialize(more)}`);
  return comp;
}

// ---------------------------------------------------------------- Prosody 13.0.1

async function prosody(): Promise<void> {
  const info = await prepareRoot("prosody", "13.0.1");
  say(`prosody root ${info.prepared ? "prepared" : "reused"} in ${info.ms} ms: ${info.root}`);
  const p = info.prosody!;
  const server = await ServerRun.create("xep0355-prosody13-");
  try {
    const [c2s, s2s, comp, http] = await freePorts(4);
    // the target the Prosody launcher builds, so the VirtualHost/Component part is its own snippet()
    const target = baseTarget("Prosody", { c2s, component: comp }, {
      version: 2,
      delegations: { plain: { namespace: "http://jabber.org/protocol/pubsub" }, filtered: { namespace: "urn:xmpp:mam:2", attributes: ["node"] } },
      features: { filtering: true, bareDisco: true, remainingDiscoInfo: true, remainingDiscoItems: true, clientMode: false },
      timeouts: { step: 1500, quiet: 400, connect: 5000, giveUp: 40_000 },
    });
    const secret = target.components.managing.secret;
    const cfg = path.join(server.dir, "prosody.cfg.lua");
    for (const d of ["data", "certs"]) fs.mkdirSync(path.join(server.dir, d));
    fs.writeFileSync(
      cfg,
      `local base = ${JSON.stringify(server.dir)}
run_as_root = true
data_path = base .. "/data"
pidfile = base .. "/prosody.pid"
log = { { levels = { min = "debug" }, to = "file", filename = base .. "/prosody.log" }; { levels = { min = "info" }, to = "console" }; }
interfaces = { "${HOST}" }
local_interfaces = { "${HOST}" }
c2s_ports = { ${c2s} }
s2s_ports = { ${s2s} }
component_ports = { ${comp} }
http_ports = { ${http} }
https_ports = { }
c2s_direct_tls_ports = { }
s2s_direct_tls_ports = { }
c2s_require_encryption = false
s2s_require_encryption = false
s2s_secure_auth = false
allow_unencrypted_plain_auth = true
authentication = "internal_plain"
storage = "internal"
certificates = base .. "/certs"
modules_enabled = { "roster"; "saslauth"; "disco"; "pep"; "mam"; "ping"; "version"; "delegation"; }

${prosodyLauncher.snippet(target)}`,
    );
    say(`$ ${p.prosodyctl} --config ${cfg} about`);
    const about = await run(p.prosodyctl, ["--config", cfg, "about"]);
    const lines = about.split("\n");
    const plugins = lines.indexOf(lines.find((l) => /Plugin directories:/.test(l)) ?? "");
    for (const l of lines.filter((l, i) => /^Prosody \d|Lua version|^\s*(Source) directory/.test(l) || (plugins >= 0 && i > plugins && i <= plugins + 3 && /\//.test(l)))) say(`  ${l.trim()}`);
    const password = target.accounts.juliet.password;
    await run(p.prosodyctl, ["--config", cfg, "register", "juliet", DOMAIN, password]);
    const started = Date.now();
    const log = path.join(server.dir, "prosody.console.log");
    const pid = server.spawn(p.prosody, ["--config", cfg, "-F"], process.env, log);
    await waitForListening(pid, HOST, [c2s, comp], 20_000, () => {
      if (server.exitStatus !== undefined) throw new Error(`prosody exited:\n${tail(log)}`);
    });
    say(`prosody 13 listening after ${Date.now() - started} ms (pid ${pid})`);
    const debug = fs.readFileSync(path.join(server.dir, "prosody.log"), "utf8");
    for (const l of debug.split("\n").filter((l) => /Hello and welcome|delegation/i.test(l)).slice(0, 6)) say(`  log: ${l}`);
    const compConn = await component(comp, secret);
    await clientChecks(c2s, password);
    compConn.close();
    for (const l of fs.readFileSync(log, "utf8").split("\n").filter((l) => /warn|error/i.test(l)).slice(0, 8)) say(`  console: ${l}`);
    const after = fs.readFileSync(path.join(server.dir, "prosody.log"), "utf8");
    const modPath = after.match(/[^\s"']*mod_delegation[^\s"']*\.lua/)?.[0];
    if (modPath) say(`  mod_delegation loaded from: ${modPath}`);
  } finally {
    await server.stop();
  }
}

// ---------------------------------------------------------------- ejabberd 24.12

/** withPrivilege: also load mod_privilege (XEP-0356) for the component (see docs/versions.md: it drops the component's IQ results) */
async function ejabberd(withPrivilege = false): Promise<void> {
  const info = await prepareRoot("ejabberd", "24.12");
  say(`ejabberd root ${info.prepared ? "prepared" : "reused"} in ${info.ms} ms: ${info.root}`);
  // SMOKE_SYSTEM_EJABBERD=1: the same checks against Debian 12's ejabberd 23.01, for comparison
  const e = process.env.SMOKE_SYSTEM_EJABBERD ? { ...info.ejabberd!, erlLibs: "/usr/lib/x86_64-linux-gnu" } : info.ejabberd!;
  say(`ERL_LIBS=${e.erlLibs}`);
  const probe = await run(
    e.erl,
    ["-noshell", "-eval", `[begin _ = application:load(A), {ok, V} = application:get_key(A, vsn), io:format("  ~s ~s ~s~n", [A, V, filename:dirname(filename:dirname(code:where_is_file(atom_to_list(A) ++ ".app")))]) end || A <- [ejabberd, xmpp, fast_xml, fast_tls, p1_utils, stringprep, jiffy]], halt().`],
    { ...process.env, ERL_LIBS: e.erlLibs, ERL_CRASH_DUMP_BYTES: "0" },
  );
  say(`applications the VM resolves with that ERL_LIBS:\n${probe.trimEnd()}`);
  const server = await ServerRun.create("xep0355-ejabberd24-");
  try {
    const [c2s, comp, http, dist] = await freePorts(4);
    const secret = randomBytes(8).toString("hex");
    const cfg = path.join(server.dir, "ejabberd.yml");
    // SMOKE_HOST_CONFIG=1: mod_delegation under host_config (as src/launchers/ejabberd.ts does): see docs/versions.md
    const hostConfig = !!process.env.SMOKE_HOST_CONFIG;
    const delegation = `  mod_delegation:
    namespaces:
      "http://jabber.org/protocol/pubsub":
        access: delegation_access
      "urn:xmpp:mam:2":
        filtering: ["node"]
        access: delegation_access
      "urn:xmpp:delegation:2":
        access: delegation_access
      "urn:xmpp:delegation:1":
        access: delegation_access
`;
    fs.writeFileSync(
      cfg,
      `hosts:
  - "${DOMAIN}"
  - "undelegated.${DOMAIN}"
loglevel: debug
log_rotate_count: 0
auth_method: internal
auth_password_format: plain
s2s_access: none
acme:
  auto: false
listen:
  -
    port: ${c2s}
    ip: "${HOST}"
    module: ejabberd_c2s
    starttls: false
  -
    port: ${comp}
    ip: "${HOST}"
    module: ejabberd_service
    hosts:
      "${COMPONENT}":
        password: "${secret}"
  -
    port: ${http}
    ip: "${HOST}"
    module: ejabberd_http
    request_handlers:
      /api: mod_http_api
acl:
  local:
    user_regexp: ""
  delegation_component:
    server: "${COMPONENT}"
access_rules:
  local:
    allow: local
  c2s:
    allow: all
  delegation_access:
    allow: delegation_component
api_permissions:
  "loopback http api":
    from:
      - mod_http_api
    who:
      ip: 127.0.0.1/8
    what:
      - status
      - register
modules:
  mod_disco: {}
  mod_roster: {}
  mod_caps: {}
  mod_mam: {}
  mod_ping: {}
  mod_version: {}
  mod_pubsub:
    hosts: ["ps.@HOST@"]
    plugins: [flat, pep]
${withPrivilege ? `  mod_privilege:
    roster:
      get: delegation_access
    message:
      outgoing: delegation_access
    presence:
      roster: delegation_access
` : ""}${hostConfig ? `host_config:
  "${DOMAIN}":
    modules:
${delegation.replace(/^/gm, "    ")}` : delegation}`,
    );
    fs.mkdirSync(path.join(server.dir, "spool"));
    fs.writeFileSync(cfg, fs.readFileSync(cfg, "utf8").replace(/\n+$/, "\n"));
    const env = {
      ...process.env,
      ERL_LIBS: e.erlLibs,
      EJABBERD_CONFIG_PATH: cfg,
      EJABBERD_LOG_PATH: path.join(server.dir, "ejabberd.log"),
      ERL_CRASH_DUMP_BYTES: "0",
      HOME: server.dir,
    };
    const args = ["-sname", `xep0355_${randomBytes(3).toString("hex")}@localhost`, "-setcookie", randomBytes(8).toString("hex"), "-erl_epmd_port", String(dist), "-start_epmd", "false", "-kernel", "inet_dist_use_interface", "{127,0,0,1}", "-mnesia", "dir", JSON.stringify(path.join(server.dir, "spool")), "-s", "ejabberd", "-noshell", "-noinput"];
    say(`$ ERL_LIBS=… EJABBERD_CONFIG_PATH=${cfg} ${e.erl} ${args.join(" ")}`);
    const started = Date.now();
    const log = path.join(server.dir, "ejabberd.console.log");
    const pid = server.spawn(e.erl, args, env, log);
    await waitForListening(pid, HOST, [c2s, comp, http], 30_000, () => {
      if (server.exitStatus !== undefined) throw new Error(`ejabberd exited:\n${tail(log, 60)}`);
    });
    for (;;) {
      const status = await fetch(`http://${HOST}:${http}/api/status`, { method: "POST", body: "{}", headers: { "content-type": "application/json" } }).then((r) => r.text()).catch((err: Error) => err.message);
      if (/started/.test(status) && !/starting/.test(status)) {
        say(`ejabberd 24.12 started after ${Date.now() - started} ms: ${status}`);
        break;
      }
      if (Date.now() - started > 30_000) throw new Error(`not started: ${status}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const password = randomBytes(6).toString("hex");
    const reg = await fetch(`http://${HOST}:${http}/api/register`, { method: "POST", body: JSON.stringify({ user: "juliet", host: DOMAIN, password }), headers: { "content-type": "application/json" } });
    say(`register juliet: HTTP ${reg.status} ${await reg.text()}`);
    const text = fs.readFileSync(path.join(server.dir, "ejabberd.log"), "utf8");
    for (const l of text.split("\n").filter((l) => /ejabberd 24|mod_delegation|mod_privilege|is started/i.test(l)).slice(0, 6)) say(`  log: ${l.slice(0, 240)}`);
    const compConn = await component(comp, secret);
    await clientChecks(c2s, password);
    await new Promise((r) => setTimeout(r, 1000));
    const after = fs.readFileSync(path.join(server.dir, "ejabberd.log"), "utf8").split(/\n(?=\d{4}-)/);
    for (const l of after.filter((l) => /delegat|privilege|\[error\]|\[warning\]/i.test(l) && !/Loading mod_|start_module|gen_mod/.test(l)).slice(0, 20)) say(`  log: ${l.slice(0, 700)}`);
    for (const entry of compConn.log) say(`  component wire ${entry.dir} +${entry.t}ms: ${entry.xml.slice(0, 400)}`);
    compConn.close();
  } finally {
    await server.stop();
  }
}

// ---------------------------------------------------------------- libervia-pubsub 0.5.0

async function libervia(): Promise<void> {
  const info = await prepareRoot("libervia-pubsub", "0.5.0");
  say(`libervia-pubsub root ${info.prepared ? "prepared" : "reused"} in ${info.ms} ms: ${info.root}`);
  const l = info.libervia!;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "xep0355-libervia050-"));
  fs.chmodSync(dir, 0o711);
  const pw = fs.readFileSync("/etc/passwd", "utf8").split("\n").find((x) => x.startsWith("postgres:"))!.split(":");
  const ident = { uid: Number(pw[2]), gid: Number(pw[3]) };
  const pg = "/usr/lib/postgresql/15/bin";
  const pgDir = path.join(dir, "pg");
  fs.mkdirSync(path.join(pgDir, "sock"), { recursive: true });
  fs.chownSync(pgDir, ident.uid, ident.gid);
  fs.chownSync(path.join(pgDir, "sock"), ident.uid, ident.gid);
  const asPg = (cmd: string, args: string[]) =>
    new Promise<string>((resolve, reject) => execFile(cmd, args, { cwd: pgDir, ...ident, env: { LC_ALL: "C.UTF-8", PATH: process.env.PATH } }, (err, out, e2) => (err ? reject(new Error(`${cmd}: ${err.message}\n${out}${e2}`)) : resolve(String(out)))));
  let postmaster: ReturnType<typeof spawn> | undefined;
  let twistd: ReturnType<typeof spawn> | undefined;
  let listener: net.Server | undefined;
  try {
    await asPg(`${pg}/initdb`, ["-D", path.join(pgDir, "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions"]);
    const [pgPort, listenPort] = await freePorts(2);
    postmaster = spawn(`${pg}/postgres`, ["-D", path.join(pgDir, "data"), "-p", String(pgPort), "-c", `listen_addresses=${HOST}`, "-c", `unix_socket_directories=${path.join(pgDir, "sock")}`, "-c", "fsync=off"], { ...ident, cwd: pgDir, stdio: "ignore", detached: true });
    for (let i = 0; i < 300; i++) {
      const status = fs.existsSync(path.join(pgDir, "data/postmaster.pid")) ? fs.readFileSync(path.join(pgDir, "data/postmaster.pid"), "utf8").split("\n")[7]?.trim() : "";
      if (status === "ready") break;
      await new Promise((r) => setTimeout(r, 20));
    }
    // the postgres user cannot read the cache under root's home: hand psql a copy
    const schema = path.join(pgDir, "pubsub.sql");
    fs.copyFileSync(l.schema, schema);
    fs.chmodSync(schema, 0o644);
    const schemaStart = Date.now();
    await asPg(`${pg}/psql`, ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", path.join(pgDir, "sock"), "-p", String(pgPort), "-U", "postgres", "-d", "postgres", "-c", "CREATE DATABASE pubsub", "-c", "\\connect pubsub", "-f", schema]);
    say(`system PostgreSQL 15 loaded the 0.5.0 schema (${l.schema}) in ${Date.now() - schemaStart} ms`);
    const schemaVersion = await asPg(`${pg}/psql`, ["-X", "-At", "-h", path.join(pgDir, "sock"), "-p", String(pgPort), "-U", "postgres", "-d", "pubsub", "-c", "SELECT key, value FROM metadata"]).catch((err: Error) => err.message);
    say(`  metadata: ${schemaVersion.trim().replace(/\n/g, "; ")}`);

    // the server side of XEP-0114, played here
    const secret = randomBytes(8).toString("hex");
    let handshakeAt = 0;
    let spawnedAt = 0;
    const done = new Promise<void>((resolve, reject) => {
      listener = net.createServer((sock) => {
        const parser = new StreamParser();
        const id = randomBytes(6).toString("hex");
        sock.setEncoding("utf8");
        sock.on("data", (d: string) => parser.write(d));
        sock.on("error", () => {});
        parser.on("streamStart", (attrs) => {
          say(`component opened a stream: ${JSON.stringify(attrs)}`);
          sock.write(`<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' from='${attrs.to}' id='${id}'>`);
        });
        parser.on("stanza", (el: Element) => {
          if (el.name === "handshake") {
            const want = createHash("sha1").update(id + secret).digest("hex");
            const got = (el.children.join("") || "").trim();
            handshakeAt = Date.now();
            say(`XEP-0114 handshake received ${handshakeAt - spawnedAt} ms after spawn: ${got === want ? "digest correct" : `WRONG digest ${got}`}`);
            if (got !== want) return reject(new Error("bad handshake"));
            sock.write("<handshake/>");
            sock.write(`<message from='${DOMAIN}' to='${COMPONENT}' id='adv1'><delegation xmlns='urn:xmpp:delegation:2'><delegated namespace='http://jabber.org/protocol/pubsub'/></delegation></message>`);
            sock.write(`<message from='${DOMAIN}' to='${COMPONENT}' id='adv2'><privilege xmlns='urn:xmpp:privilege:2'><perm access='roster' type='get'/><perm access='message' type='outgoing'/><perm access='presence' type='roster'/></privilege></message>`);
            sock.write(`<iq type='get' from='${DOMAIN}' to='${COMPONENT}' id='ver'><query xmlns='jabber:iq:version'/></iq>`);
            sock.write(`<iq type='get' from='${DOMAIN}' to='${COMPONENT}' id='disco'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`);
            return;
          }
          if (el.attrs.id === "ver") say(`XEP-0092 answer of the component: ${serialize(el)}`);
          else if (el.attrs.id === "disco") {
            const feats = (el.getChild("query")?.getChildren("feature") ?? []).map((f) => f.attrs.var as string);
            say(`disco#info of the component: ${feats.length} features, e.g. ${feats.filter((f) => /pubsub$|delegation|privilege|mam/.test(f)).join(", ")}`);
            setTimeout(resolve, 1000);
          } else say(`component sent: ${serialize(el).slice(0, 300)}`);
        });
      });
      listener.listen(listenPort, HOST);
    });
    const log = path.join(dir, "libervia-pubsub.log");
    const conf = { jid: COMPONENT, xmpp_pwd: secret, rhost: HOST, rport: String(listenPort), backend: "pgsql", db_name: "pubsub", db_user: "postgres", db_host: HOST, db_port: String(pgPort) };
    fs.writeFileSync(path.join(dir, "libervia.conf"), `[pubsub]\n${Object.entries(conf).map(([k, v]) => `${k} = ${v}`).join("\n")}\n`);
    const env = { PYTHONPATH: l.liberviaDir, HOME: dir, ...Object.fromEntries(Object.entries(conf).map(([k, v]) => [`LIBERVIA_PUBSUB_${k.toUpperCase()}`, v])) };
    const c = chrootCommand(info, l.twistd, ["--nodaemon", "--pidfile=", `--logfile=${log}`, "libervia-pubsub", "--verbose"], { cwd: dir, env });
    say(`$ ${c.command} ${c.args.map((a) => (/\s/.test(a) ? JSON.stringify(a.length > 80 ? a.slice(0, 60) + "…" : a) : a)).join(" ")}`);
    spawnedAt = Date.now();
    const consoleLog = fs.openSync(path.join(dir, "twistd.console.log"), "a");
    twistd = spawn(c.command, c.args, { cwd: dir, detached: true, stdio: ["ignore", consoleLog, consoleLog] });
    const exited = new Promise<never>((_, reject) => twistd!.once("exit", (code) => reject(new Error(`twistd exited ${code}:\n${tail(path.join(dir, "twistd.console.log"))}\n${tail(log)}`))));
    await Promise.race([done, exited, new Promise((_, reject) => setTimeout(() => reject(new Error(`timeout:\n${tail(log)}`)), 30_000))]);
    for (const line of fs.readFileSync(log, "utf8").split("\n").filter((x) => /version|delegation|Privilege|SECURITY|Starting|pgsql|database/i.test(x)).slice(0, 12)) say(`  log: ${line.slice(0, 220)}`);
  } finally {
    if (twistd?.pid) try { process.kill(-twistd.pid, "SIGTERM"); } catch { /* gone */ }
    await new Promise((r) => setTimeout(r, 1500));
    if (twistd?.pid) try { process.kill(-twistd.pid, "SIGKILL"); } catch { /* gone */ }
    listener?.close();
    if (postmaster?.pid) try { process.kill(postmaster.pid, "SIGINT"); } catch { /* gone */ }
    await new Promise((r) => setTimeout(r, 1500));
    if (process.env.KEEP) say(`kept ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}

const wanted = process.argv.slice(2);
const all = { prosody, ejabberd: () => ejabberd(false), "ejabberd-privilege": () => ejabberd(true), libervia };
for (const [name, fn] of Object.entries(all)) {
  if (wanted.length && !wanted.includes(name)) continue;
  say(`==== ${name}`);
  try {
    await fn();
  } catch (err) {
    say(`FAILED: ${(err as Error).stack ?? err}`);
    process.exitCode = 1;
  }
}
process.exit(process.exitCode ?? 0);
