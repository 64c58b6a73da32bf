import type { ServerLauncher } from "./launcher.js";
import { ejabberd } from "./ejabberd.js";
import { prosody } from "./prosody.js";

export { LauncherMissingError, type LaunchedServer, type LaunchOptions, type ServerLauncher } from "./launcher.js";

export const launchers: Record<"prosody" | "ejabberd", ServerLauncher> = { prosody, ejabberd };
