import type { Socket } from "node:net";
import type { Transcript } from "./transcript.js";

/** Records every byte written to and read from a socket (xmpp.js 0.14 has no raw events). */
export function tapSocket(socket: Socket, transcript: Transcript, actor: string): void {
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  socket.write = ((chunk: unknown, ...rest: unknown[]) => {
    transcript.record(actor, "out", typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"));
    return write(chunk, ...rest);
  }) as Socket["write"];
  socket.prependListener("data", (data: Buffer | string) => {
    transcript.record(actor, "in", typeof data === "string" ? data : data.toString("utf8"));
  });
}
