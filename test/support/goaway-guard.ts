// Test-process workaround for connect-es#1768 (open): a GOAWAY on an idle client HTTP/2 connection makes
// connect-node's session manager destroy the session with an error that Node raises after the manager removed its
// listeners, crashing the process. Every client session gets one more error listener; streams still see errors.
import http2 from "node:http2";
import { syncBuiltinESMExports } from "node:module";

const original = http2.connect;
let installed = false;

export function guardClientSessionsAgainstGoawayCrash(): void {
  if (installed) return;
  installed = true;
  http2.connect = ((...args: Parameters<typeof original>) => {
    const session = original(...args);
    session.on("error", () => undefined);
    return session;
  }) as typeof original;
  syncBuiltinESMExports();
}
