import type { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import { StringDecoder } from "node:string_decoder";
import { streamError } from "../protocol/stanzas.js";
import { LIMITS, formatSize, quoteBytes } from "../xml/limits.js";
import { XmlStreamError } from "../xml/stream-parser.js";
import { guardedXmppParser } from "../xml/xmpp-parser.js";
import type { Transcript } from "./transcript.js";

/** The parts of an xmpp.js connection (0.13 component-core, 0.14 client) the guard replaces. */
export interface GuardableConnection extends EventEmitter {
  socket: Socket | null;
  parser?: { write(data: string): void } | null;
}

/** What the guard tells the actor that owns the connection. */
export interface GuardHooks {
  /** The target's input was refused (not well-formed, a DTD, past a limit, data after the end): the stream is being closed. */
  rejected(error: XmlStreamError): void;
}

/**
 * Puts an xmpp.js connection's input under the suite's control, before it connects:
 * every byte read is decoded (UTF-8 across reads), recorded in the transcript, counted
 * against the stream's LIMITS and parsed by the guarded parser (src/xml/xmpp-parser.ts)
 * instead of xmpp.js's, which throws from inside its socket handler (an undefined entity, an
 * illegal character reference, data after `</stream:stream>`: the run crashed without
 * reports). Refused input closes the stream with the matching stream error and tells the
 * actor (`hooks.rejected`), so the scenario that owns the stream gets an `error` verdict.
 * Every byte written is recorded too (xmpp.js 0.14 has no raw events).
 */
export function guardConnection(connection: GuardableConnection, transcript: Transcript, actor: string, hooks: GuardHooks): void {
  const decoder = new StringDecoder("utf8");
  let received = 0;
  let rejected = false;
  const reject = (error: XmlStreamError) => {
    if (rejected) return;
    rejected = true;
    transcript.note(actor, `the suite refused the target's input (${error.condition}): ${error.message}`);
    hooks.rejected(error);
    const socket = connection.socket;
    if (!socket || socket.destroyed) return;
    try {
      if (socket.writable) socket.end(streamError(error.condition, error.problem));
    } catch {
      // the socket is going away anyway
    }
    // Whatever else the target sends is not read (a flood stops here); the TCP connection goes shortly after.
    socket.pause();
    setTimeout(() => socket.destroy(), 200).unref();
  };
  const Parser = guardedXmppParser(reject);
  // xmpp.js instantiates `new this.Parser()` on every stream (re)start; Client.connect() assigns it from the transport.
  Object.defineProperty(connection, "Parser", { configurable: true, get: () => Parser, set: () => undefined });
  Object.defineProperty(connection, "_onData", {
    configurable: true,
    writable: true,
    value: (data: Buffer | string) => {
      if (rejected) return;
      const text = typeof data === "string" ? data : decoder.write(data);
      if (!text) return;
      transcript.record(actor, "in", text);
      received += text.length;
      if (received > LIMITS.streamChars) {
        return reject(new XmlStreamError("policy-violation", `more than ${formatSize(LIMITS.streamChars)} on one stream in one scenario (a flood)`, quoteBytes(text)));
      }
      const parser = connection.parser;
      if (parser) return parser.write(text);
      // xmpp.js drops its parser at </stream:stream> (and after a parse error): anything but whitespace is data after the end.
      if (text.trim()) reject(new XmlStreamError("not-well-formed", "data after the end of the stream (</stream:stream>)", quoteBytes(text)));
    },
  });
  connection.on("connect", () => {
    if (connection.socket) tapWrites(connection.socket, transcript, actor);
  });
}

/** Records every byte written to a socket. */
export function tapWrites(socket: Socket, transcript: Transcript, actor: string): void {
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  socket.write = ((chunk: unknown, ...rest: unknown[]) => {
    transcript.record(actor, "out", typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"));
    return write(chunk, ...rest);
  }) as Socket["write"];
}
