import { parseCommandArgs } from "./args.js";
import { loadTargetFile } from "../target/load.js";
import type { ServerTarget } from "../target/types.js";
import { launchers } from "../launchers/index.js";
import { EXIT, UsageError } from "./errors.js";

export const SNIPPET_HELP = `xep0355 snippet prosody|ejabberd [--target FILE] — server configuration matching a target file

Prints the Prosody delegations table and Component section, or ejabberd's mod_delegation
and ejabberd_service listener, for the accounts, components and delegations of FILE
(default: a placeholder target for example.org), ready to paste into the server's configuration.
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
  const parsed = parseCommandArgs("snippet", args, { target: { type: "string" }, help: { type: "boolean", short: "h" } });
  if (parsed.values.help) {
    process.stdout.write(SNIPPET_HELP);
    return EXIT.compliant;
  }
  const name = parsed.positionals[0];
  if (name !== "prosody" && name !== "ejabberd") throw new UsageError(`snippet: expected prosody or ejabberd, got '${name ?? ""}'`);
  const target = parsed.values.target ? await loadTargetFile(parsed.values.target) : PLACEHOLDER;
  if (target.role !== "server") throw new UsageError(`snippet: ${parsed.values.target} describes a component, not a server`);
  process.stdout.write(launchers[name].snippet(withoutSecrets(target)) + "\n");
  const comment = name === "prosody" ? "--" : "#";
  process.stdout.write(`${comment} secrets and passwords are not printed: put those of ${parsed.values.target ?? "your target file"} where the placeholders are\n`);
  return EXIT.compliant;
}

/** The suite never prints secrets, not even into a configuration snippet. */
function withoutSecrets(target: ServerTarget): ServerTarget {
  const copy = structuredClone(target);
  for (const [key, c] of Object.entries(copy.components)) if (c) c.secret = `<components.${key}.secret>`;
  for (const [key, a] of Object.entries(copy.accounts)) a.password = `<accounts.${key}.password>`;
  return copy;
}
