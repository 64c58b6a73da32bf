import { EXIT } from "./errors.js";

/**
 * Ctrl-C (or SIGTERM) aborts `abort` after printing `message`; a second one quits at once with
 * EXIT.interrupted. Returns the function that removes the handlers.
 */
export function abortOnInterrupt(abort: AbortController, message: string): () => void {
  const onSignal = () => {
    if (abort.signal.aborted) process.exit(EXIT.interrupted);
    process.stderr.write(`\ninterrupted: ${message} (Ctrl-C again to quit now)\n`);
    abort.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return () => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  };
}
