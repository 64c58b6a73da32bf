/**
 * Fills the roots cache (CI, a fresh machine) or shows it:
 *   node --import tsx src/launchers/roots/cli.ts prepare [NAME@VERSION…]   (default: every pinned root)
 *   node --import tsx src/launchers/roots/cli.ts list
 *   node --import tsx src/launchers/roots/cli.ts repin libervia-pubsub@0.5.0   (chroot pins: re-resolve the closure, rewrite the pin file)
 * Cache: $XEP0355_ROOTS_CACHE, else $XDG_CACHE_HOME/xep0355/roots, else ~/.cache/xep0355/roots.
 */
import { pinnedVersions, prepareRoot, preparedRoot, repinChroot, rootsCacheDir } from "./package-root.js";

async function main(argv: string[]): Promise<number> {
  const [command = "list", ...rest] = argv;
  const wanted = rest.length ? rest.map((s) => {
    const at = s.lastIndexOf("@");
    return { name: s.slice(0, at), version: s.slice(at + 1) };
  }) : pinnedVersions();
  if (command === "list") {
    console.log(`cache: ${rootsCacheDir()}`);
    for (const { name, version } of pinnedVersions()) {
      const info = preparedRoot(name, version);
      console.log(`${name}@${version}\t${info ? `ready, ${(info.bytes / 1048576).toFixed(0)} MiB, ${info.root}` : "not prepared"}`);
    }
    return 0;
  }
  if (command === "prepare") {
    for (const { name, version } of wanted) {
      const info = await prepareRoot(name, version);
      console.log(`${name}@${version}\t${info.prepared ? "prepared" : "reused"} in ${info.ms} ms\t${(info.bytes / 1048576).toFixed(0)} MiB\t${info.root}`);
    }
    return 0;
  }
  if (command === "repin") {
    for (const { name, version } of wanted) await repinChroot(name, version);
    return 0;
  }
  console.error("usage: cli.ts prepare [NAME@VERSION…] | list | repin NAME@VERSION…");
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(err.message);
    process.exit(1);
  },
);
