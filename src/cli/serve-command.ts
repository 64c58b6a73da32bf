import { readFile } from "node:fs/promises";
import { parseCommandArgs } from "./args.js";
import { SERVER_FAULTS, isServerFault, startMockServer, type MockServerOptions } from "../../mocks/server/index.js";
import { COMPONENT_FAULTS, isComponentFault, startMockComponent, type MockComponentOptions } from "../../mocks/component/index.js";
import { EXIT, UsageError } from "./errors.js";
import { SERVE_HELP } from "./help.js";

export async function serveCommand(args: string[]): Promise<number> {
  const parsed = parseCommandArgs("serve", args, {
        "c2s-port": { type: "string" },
        "component-port": { type: "string" },
        version: { type: "string" },
        fault: { type: "string", multiple: true },
        config: { type: "string" },
        help: { type: "boolean", short: "h" },
      });
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(SERVE_HELP);
    return EXIT.compliant;
  }
  if (positionals[0] === "mock-component") return serveMockComponent(values.config, values.fault ?? [], values.version);
  if (positionals[0] !== "mock-server") throw new UsageError(`serve: expected 'mock-server' or 'mock-component', got '${positionals[0] ?? ""}' (see xep0355 serve --help)`);
  const faults = (values.fault ?? []).flatMap((f) => f.split(","));
  for (const fault of faults) if (!isServerFault(fault)) throw new UsageError(`--fault: unknown fault '${fault}'`);
  const overrides: Partial<MockServerOptions> = values.config ? await readConfig<Partial<MockServerOptions>>(values.config) : {};
  const server = await startMockServer({
    ...overrides,
    c2sPort: port(values["c2s-port"], overrides.c2sPort ?? 5222),
    componentPort: port(values["component-port"], overrides.componentPort ?? 5347),
    version: values.version === "1" ? 1 : 2,
    faults: faults.filter(isServerFault),
  });
  const o = server.options;
  process.stdout.write(
    [
      `mock delegating server for ${o.domain} (urn:xmpp:delegation:${o.version})`,
      `  c2s:        ${o.host}:${server.c2sPort}  accounts: ${Object.keys(o.accounts).join(", ")} (passwords: see --config or docs/mock-server.md)`,
      `  components: ${o.host}:${server.componentPort}  ${Object.keys(o.components).join(", ")} (secrets not printed)`,
      `  delegations: ${Object.entries(o.delegations)
        .map(([ns, d]) => `${ns} → ${d.jid}${d.attributes ? ` [${d.attributes.join(",")}]` : ""}${ns in server.delegation.effectiveDelegations() ? "" : " (refused: #rules 5)"}`)
        .join("; ")}`,
      `  faults: ${faults.length ? faults.map((f) => `${f} (${SERVER_FAULTS[f as keyof typeof SERVER_FAULTS]})`).join("; ") : "none"}`,
      "Ctrl-C to stop.",
      "",
    ].join("\n"),
  );
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await server.stop();
  return EXIT.compliant;
}

/**
 * The mock managing entity, connecting to a server's component port as a
 * XEP-0114 component. Its JID and secret come from --config (never printed).
 */
async function serveMockComponent(config: string | undefined, faultArgs: string[], version: string | undefined): Promise<number> {
  if (!config) throw new UsageError("serve mock-component needs --config FILE with host, port, jid, secret, serverDomain (docs/mock-component.md)");
  const options = await readConfig<Partial<MockComponentOptions>>(config);
  for (const key of ["host", "port", "jid", "secret", "serverDomain"] as const) {
    if (options[key] === undefined) throw new UsageError(`--config ${config}: field '${key}' is missing`);
  }
  const faults = faultArgs.flatMap((f) => f.split(","));
  for (const fault of faults) if (!isComponentFault(fault)) throw new UsageError(`--fault: unknown fault '${fault}'`);
  const component = await startMockComponent({
    ...(options as MockComponentOptions),
    version: version === "1" ? 1 : (options.version ?? 2),
    faults: faults.filter(isComponentFault),
    log: (line) => process.stdout.write(`  ${line}\n`),
  });
  process.stdout.write(
    `mock managing entity ${options.jid} connected to ${options.host}:${options.port} (server ${options.serverDomain}); faults: ${
      faults.length ? faults.map((f) => `${f} (${COMPONENT_FAULTS[f as keyof typeof COMPONENT_FAULTS]})`).join("; ") : "none"
    }\nCtrl-C to stop.\n`,
  );
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await component.stop();
  return EXIT.compliant;
}

async function readConfig<T = Partial<MockServerOptions>>(path: string): Promise<T> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as T;
  } catch (err) {
    throw new UsageError(`--config ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function port(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`port must be 0-65535, not '${text}'`);
  return n;
}
