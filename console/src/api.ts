/** The console's one admin session (JWT in memory only) and the wrapper that turns API errors into readable alerts. */
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { BrowserAdminSession, readableError, type ReadableError } from "../../src/client/web/index.js";
import { h, showAlert } from "./dom.js";

/** Same origin: the console is served by the browser port it calls. */
export const session = new BrowserAdminSession();

/** Receives "the session is gone" (expired or refused token): the app shows the sign-in view. */
let onSignedOut: (reason: string) => void = () => undefined;
export function whenSignedOut(handler: (reason: string) => void): void {
  onSignedOut = handler;
}

/** The alert text for an API error: message, the service's stable code and the gRPC code. */
export function describeError(what: string, e: ReadableError): HTMLElement {
  return h(
    "p",
    {},
    h("strong", {}, `Could not ${what}: `),
    e.message,
    " ",
    h("code", { class: "error-code" }, e.errorCode ?? "no error code"),
    ` (${e.code})`,
    e.retryAfterSeconds === undefined ? "" : ` Try again in ${e.retryAfterSeconds} s.`,
  );
}

/**
 * Runs one API call: clears the alert, shows a readable error on failure (resolving undefined), and signs out when
 * the token is no longer accepted.
 */
export async function run<T>(what: string, call: () => Promise<T>): Promise<T | undefined> {
  showAlert();
  const wasSignedIn = session.signedIn;
  try {
    return await call();
  } catch (e) {
    const err = readableError(e);
    if (wasSignedIn && err.code === "Unauthenticated") {
      // The token expired or is no longer accepted: forget it and ask for the key again, keeping the message.
      session.signOut();
      onSignedOut("Your session ended: sign in again");
    }
    showAlert(describeError(what, err));
    return undefined;
  }
}

export function msOf(ts: Timestamp | undefined): number | undefined {
  return ts === undefined ? undefined : timestampMs(ts);
}
