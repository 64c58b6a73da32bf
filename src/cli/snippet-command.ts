import { isAbsolute, relative } from "node:path";
import { parseCommandArgs } from "./args.js";
import { loadTargetFile } from "../target/load.js";
import type { ServerTarget } from "../target/types.js";
import { launchers } from "../launchers/index.js";
import { EXIT, UsageError } from "./errors.js";
import { ejabberdFull, outputDir, prosodyFull, writeFull } from "./snippet-full.js";

export const SNIPPET_HELP = `xep0355 snippet prosody|ejabberd [--target FILE] — server configuration matching a target file
xep0355 snippet prosody|ejabberd --full [--target FILE] [--out DIR] — a complete loopback server to test

Without --full: prints the Prosody delegations table and Component sections, or ejabberd's
mod_delegation and ejabberd_service listeners, for the accounts, components and delegations of
FILE (default: a placeholder target for example.org), to paste into an existing configuration.
Secrets are not printed: put those of FILE where the placeholders are.

With --full: writes into DIR (default: ./xep0355-prosody or ./xep0355-ejabberd; it must not exist
or be empty) a complete configuration for 127.0.0.1 — ports, SASL PLAIN without TLS, the components
with their secrets (managing, other and XEP-0356's reader and messenger; ejabberd: a listener each),
the delegations (a filtered one too), mod_privilege's grants (as 'run --launch' loads it: Prosody,
ejabberd 23.01), the second, undelegated hosted domain, the modules the suite needs — plus start.sh (creates the accounts and runs the server in the
foreground) and target.json, the matching target file. Without --target, fresh random secrets and
free ports; with it, the file's. Secrets go into those files only (mode 0600), never to the console.
See docs/own-server.md.

Options:
  --target FILE   target file to match (docs/target-file.md)
  --full          write a complete configuration instead of printing the sections
  --out DIR       with --full: the folder to write
  -h, --help
`;

const PLACEHOLDER: ServerTarget = {
  role: "server",
  name: "placeholder",
  host: "127.0.0.1",
  domain: "example.org",
  c2sPort: 5222,
  componentPort: 5347,
  version: 2,
  accounts: { juliet: { username: "juliet", password: "CHANGE-ME" }, romeo: { username: "romeo", password: "CHANGE-ME" } },
  components: { managing: { jid: "pubsub.example.org", secret: "CHANGE-ME" }, other: { jid: "other.example.org", secret: "CHANGE-ME" } },
  delegations: { plain: { namespace: "http://jabber.org/protocol/pubsub" }, filtered: { namespace: "urn:xmpp:mam:2", attributes: ["node"] } },
  undelegatedNamespace: "jabber:iq:version",
  foreignDomain: "montague.example",
  undelegatedDomain: "undelegated.example.org",
  features: { filtering: true, bareDisco: true, remainingDiscoInfo: true, remainingDiscoItems: true, clientMode: false },
  timeouts: { step: 3000, quiet: 600, connect: 5000 },
};

export async function snippetCommand(args: string[]): Promise<number> {
  const parsed = parseCommandArgs("snippet", args, {
    target: { type: "string" },
    full: { type: "boolean" },
    out: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(SNIPPET_HELP);
    return EXIT.compliant;
  }
  const name = positionals[0];
  if (name !== "prosody" && name !== "ejabberd") throw new UsageError(`expected prosody or ejabberd, got '${name ?? ""}' (see xep0355 snippet --help)`, "snippet");
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}' (see xep0355 snippet --help)`, "snippet");
  if (values.out && !values.full) throw new UsageError("--out goes with --full", "snippet");
  const given = values.target ? await loadTargetFile(values.target) : undefined;
  if (given && given.role !== "server") throw new UsageError(`${values.target} describes a component, not a server`, "snippet");
  const target = given as ServerTarget | undefined;
  if (values.full) return full(name, target, values.out);
  process.stdout.write(launchers[name].snippet(withoutSecrets(target ?? PLACEHOLDER)) + "\n");
  const comment = name === "prosody" ? "--" : "#";
  process.stdout.write(`${comment} secrets and passwords are not printed: put those of ${values.target ?? "your target file"} where the placeholders are\n`);
  return EXIT.compliant;
}

async function full(name: "prosody" | "ejabberd", target: ServerTarget | undefined, out: string | undefined): Promise<number> {
  const dir = await outputDir(out, name);
  const config = await (name === "prosody" ? prosodyFull : ejabberdFull)(dir, target);
  const written = await writeFull(dir, config);
  const targetFile = shown(written[written.length - 1]);
  const self = process.argv[1] ? shown(process.argv[1]) : "xep0355";
  process.stdout.write(
    [
      `${name} configuration for 127.0.0.1 written (secrets in the files only, readable by you alone):`,
      ...written.map((p) => `  ${shown(p)}`),
      ``,
      `next, in another terminal (as root too; docs/own-server.md):`,
      `  ${shown(config.start)}        # creates the accounts, runs ${name} in the foreground; Ctrl-C stops it`,
      `then:`,
      `  ${self} doctor --target ${targetFile}`,
      `  ${self} run --target ${targetFile}`,
      ``,
    ].join("\n"),
  );
  return EXIT.compliant;
}

/** A path as the user types it: ./relative inside the working folder, else absolute. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? `./${rel}` : path;
}

/** The suite never prints secrets, not even into a configuration snippet. */
function withoutSecrets(target: ServerTarget): ServerTarget {
  const copy = structuredClone(target);
  for (const [key, c] of Object.entries(copy.components)) if (c) c.secret = `<components.${key}.secret>`;
  for (const [key, a] of Object.entries(copy.accounts)) a.password = `<accounts.${key}.password>`;
  return copy;
}
