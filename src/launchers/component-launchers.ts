import { UsageError } from "../cli/errors.js";
import { LaunchedComponentDriver } from "../runner/drivers/launched-component-driver.js";
import type { TargetDriver } from "../runner/environment.js";
import type { ComponentLauncher, ComponentLaunchOptions } from "./component-launcher.js";
import { liberviaPubsubLauncher } from "./libervia-pubsub.js";

export type { ComponentLauncher, ComponentLaunchOptions, LaunchedComponent } from "./component-launcher.js";

/** Components the suite can launch itself (`xep0355 run --launch NAME`). */
export const componentLaunchers: Record<string, ComponentLauncher> = {
  "libervia-pubsub": liberviaPubsubLauncher,
};

/** The component-role driver for `--launch NAME`: launches on prepare(), stops everything on close(). */
export function launchedComponentDriver(name: string, options: ComponentLaunchOptions = {}): TargetDriver {
  const launcher = Object.hasOwn(componentLaunchers, name) ? componentLaunchers[name] : undefined;
  if (!launcher) throw new UsageError(`--launch: unknown component '${name}' (known: ${Object.keys(componentLaunchers).join(", ")})`);
  return new LaunchedComponentDriver(launcher, options);
}
