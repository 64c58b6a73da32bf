import { Worker } from "node:worker_threads";
import { withTimeout } from "./wire.js";

export interface EchoTarget {
  host: string;
  port: number;
  domain: string;
  stop(): Promise<void>;
}

export const ECHO_DOMAIN = "echo.test";

/*
 * A trivial XMPP-ish server that accepts any login and echoes every IQ back as a result, for
 * measuring the generator alone. It runs in a worker thread, so its CPU is not the generator's,
 * and scans strings instead of parsing XML, so it is never the bottleneck. It is plain JavaScript
 * in a string because an eval'd worker loads the same under tsx and under vitest's transform.
 */
const ECHO_WORKER = String.raw`
const net = require("node:net");
const { parentPort, workerData } = require("node:worker_threads");
const domain = workerData.domain;
const header = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='echo' from='" + domain + "' version='1.0'>";
const saslFeatures = "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>";
const bindFeatures = "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>";
const attr = (tag, name) => { const m = tag.match(new RegExp("\\s" + name + "=['\"]([^'\"]*)['\"]")); return m ? m[1] : undefined; };
let users = 0;
const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  socket.setEncoding("utf8");
  let buf = "";
  let authed = false;
  let jid = "";
  socket.on("error", () => socket.destroy());
  socket.on("data", (data) => {
    buf += data;
    let out = "";
    let at = 0;
    for (;;) {
      const start = buf.indexOf("<", at);
      if (start < 0) { at = buf.length; break; }
      let end;
      if (buf.startsWith("<?xml", start)) {
        end = buf.indexOf("?>", start); if (end < 0) break; at = end + 2; continue;
      }
      if (buf.startsWith("<stream:stream", start)) {
        end = buf.indexOf(">", start); if (end < 0) break;
        out += header + (authed ? bindFeatures : saslFeatures); at = end + 1; continue;
      }
      if (buf.startsWith("</stream:stream>", start)) { socket.end("</stream:stream>"); return; }
      if (buf.startsWith("<auth", start)) {
        end = buf.indexOf("</auth>", start); if (end < 0) break;
        authed = true; out += "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"; at = end + 7; continue;
      }
      if (buf.startsWith("<iq", start)) {
        end = buf.indexOf("</iq>", start); if (end < 0) break;
        const open = buf.indexOf(">", start);
        const tag = buf.slice(start, open);
        const body = buf.slice(open + 1, end);
        const id = attr(tag, "id") || "";
        at = end + 5;
        if (body.includes("xmpp-bind")) {
          jid = "user" + (++users) + "@" + domain + "/echo";
          out += "<iq type='result' id='" + id + "'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>" + jid + "</jid></bind></iq>";
          continue;
        }
        const from = attr(tag, "to") || domain;
        out += body.includes("urn:xmpp:ping")
          ? "<iq type='result' id='" + id + "' from='" + from + "' to='" + jid + "'/>"
          : "<iq type='result' id='" + id + "' from='" + from + "' to='" + jid + "'>" + body + "</iq>";
        continue;
      }
      end = buf.indexOf(">", start); if (end < 0) break; at = end + 1;
    }
    buf = buf.slice(at);
    if (out) socket.write(out);
  });
});
server.listen(0, workerData.host, () => parentPort.postMessage({ port: server.address().port }));
`;

/** Starts the echo server on loopback, in its own thread. */
export async function startEchoTarget(host = "127.0.0.1"): Promise<EchoTarget> {
  const worker = new Worker(ECHO_WORKER, { eval: true, workerData: { host, domain: ECHO_DOMAIN } });
  const port = await withTimeout(
    new Promise<number>((resolve, reject) => {
      worker.once("message", (m: { port: number }) => resolve(m.port));
      worker.once("error", reject);
    }),
    5000,
    "echo target start",
  );
  return { host, port, domain: ECHO_DOMAIN, stop: async () => void (await worker.terminate()) };
}
