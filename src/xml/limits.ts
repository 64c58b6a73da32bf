/**
 * Limits on what a target may send, so that whatever it sends ends in a verdict with bounded
 * memory and output (docs/reports.md, "Hostile input"). A target that exceeds one gets its stream
 * closed by the suite and the scenario an `error` naming the limit; nothing is silently dropped.
 */
export const LIMITS = {
  /** Elements nested inside one stanza (stanza = depth 1). Real stanzas stay below 20. */
  stanzaDepth: 64,
  /** Characters of one stanza (or of data without a complete stanza), from the end of the previous one. */
  stanzaChars: 512 * 1024,
  /** Characters one stream may carry into one scenario. */
  streamChars: 1024 * 1024,
  /** Stanzas one stream may carry into one scenario (a scenario exchanges a few dozen). */
  streamStanzas: 500,
  /** Characters of one scenario's transcript; the rest is counted, not recorded. */
  transcriptChars: 256 * 1024,
  /** Characters of one transcript entry (one TCP read or write). */
  entryChars: 64 * 1024,
  /** Offending bytes quoted in a verdict. */
  quoteChars: 160,
} as const;

/**
 * Offending bytes for a verdict: control characters escaped, cut to `max` characters with the
 * number left out, so a reason stays one readable line whatever the target sent.
 */
export function quoteBytes(text: string, max: number = LIMITS.quoteChars): string {
  const shown = text.length > max ? text.slice(0, max) : text;
  // eslint-disable-next-line no-control-regex
  const escaped = shown.replace(/[\u0000-\u001f\u007f\u2028\u2029\\"]/g, (c) => {
    if (c === "\n") return "\\n";
    if (c === "\r") return "\\r";
    if (c === "\t") return "\\t";
    if (c === "\\" || c === '"') return `\\${c}`;
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
  return `"${escaped}"${text.length > max ? `… (${text.length - max} more characters)` : ""}`;
}

/** "1.5 MiB", "312 KiB", "80 B" for limits and counts in reasons. */
export function formatSize(chars: number): string {
  if (chars >= 1024 * 1024) return `${(chars / (1024 * 1024)).toFixed(1).replace(/\.0$/, "")} MiB`;
  if (chars >= 1024) return `${Math.round(chars / 1024)} KiB`;
  return `${chars} B`;
}
