import { learnFromOutgoing, redactText, runSecrets } from "../record/redact.js";
import type { TranscriptEntry } from "../runner/result.js";
import { LIMITS, formatSize } from "../xml/limits.js";

/** Transcript notes written about the caps start with this (seal.ts copies them into the scenario's notes). */
export const CAP_NOTE_PREFIX = "caps: ";

/**
 * Every byte in and out of a scenario's actors, in order, with secrets removed:
 * XEP-0114 handshakes, SASL payloads (RFC 6120 §6.4) and any registered secret string
 * (here per entry; redactTranscript does it again across entries, for secrets split between
 * two TCP reads). Bounded (LIMITS): an entry longer than LIMITS.entryChars is cut, and once the
 * transcript holds LIMITS.transcriptChars further data is counted, not recorded; a note says so.
 */
export class Transcript {
  readonly entries: TranscriptEntry[] = [];
  private readonly started = Date.now();
  private size = 0;
  private cutNote: TranscriptEntry | undefined;
  private droppedEntries = 0;
  private droppedChars = 0;
  private shortenedEntries = 0;

  addSecret(secret: string): void {
    runSecrets.add(secret);
  }

  record(actor: string, direction: TranscriptEntry["direction"], data: string): void {
    if (direction === "out") learnFromOutgoing(data);
    // Notes (the suite's own findings: why a stream closed) stay past the cut, within twice the limit.
    const keep = direction === "note" && this.size + data.length <= 2 * LIMITS.transcriptChars;
    if (this.cutNote && !keep) {
      this.droppedEntries++;
      this.droppedChars += data.length;
      this.cutNote.data = this.cutText();
      return;
    }
    let text = data;
    if (text.length > LIMITS.entryChars) {
      this.shortenedEntries++;
      text = `${text.slice(0, LIMITS.entryChars)}… [${text.length - LIMITS.entryChars} more characters not recorded: entry limit ${formatSize(LIMITS.entryChars)}]`;
    }
    if (this.size + text.length > LIMITS.transcriptChars && direction !== "note") {
      this.droppedEntries = 1;
      this.droppedChars = data.length;
      this.cutNote = { t: Date.now() - this.started, actor: "suite", direction: "note", data: "" };
      this.cutNote.data = this.cutText();
      this.entries.push(this.cutNote);
      return;
    }
    this.size += text.length;
    this.entries.push({ t: Date.now() - this.started, actor, direction, data: this.redact(text) });
  }

  note(actor: string, text: string): void {
    this.record(actor, "note", text);
  }

  redact(data: string): string {
    return redactText(data);
  }

  /** What the caps left out so far, for the scenario's notes; undefined when nothing was cut. */
  get cuts(): string | undefined {
    if (this.cutNote) return this.cutNote.data;
    if (this.shortenedEntries) return `${CAP_NOTE_PREFIX}${this.shortenedEntries} transcript entr${this.shortenedEntries === 1 ? "y" : "ies"} cut to ${formatSize(LIMITS.entryChars)}`;
    return undefined;
  }

  private cutText(): string {
    const shortened = this.shortenedEntries ? `; ${this.shortenedEntries} earlier entr${this.shortenedEntries === 1 ? "y was" : "ies were"} cut to ${formatSize(LIMITS.entryChars)}` : "";
    return `${CAP_NOTE_PREFIX}the transcript reached its limit of ${formatSize(LIMITS.transcriptChars)}: ${this.droppedEntries} more entr${this.droppedEntries === 1 ? "y" : "ies"} (${formatSize(this.droppedChars)}) counted, not recorded${shortened}`;
  }
}
