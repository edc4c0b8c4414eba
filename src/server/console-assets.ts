/**
 * The operator console's static files (the bundler's output in CONSOLE_DIR), read once at start and served under
 * /console/ with a strict Content-Security-Policy and the other browser security headers on every response.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import { writeHead, type AnyRequest, type AnyResponse } from "./http-types.js";

export const CONSOLE_PATH = "/console/";

/** No inline script or style, nothing from other origins, never framed, API calls to this origin only. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** Sent with every /console response, including errors and redirects. */
export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": CONSOLE_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".map": "application/json",
};

interface Asset {
  readonly body: Buffer;
  readonly type: string;
}

/** The files of the built console, by URL path ("/console/app.js"); empty when the console is not built. */
export class ConsoleAssets {
  readonly #assets = new Map<string, Asset>();

  /** Reads every file of `dir` (one level, the bundler writes a flat directory); a missing directory is empty. */
  static load(dir: string): ConsoleAssets {
    const assets = new ConsoleAssets();
    if (dir === "" || !existsSync(dir)) return assets;
    for (const name of readdirSync(dir)) {
      const file = join(dir, name);
      const type = TYPES[extname(name)];
      if (type === undefined || !statSync(file).isFile()) continue;
      assets.#assets.set(`${CONSOLE_PATH}${name}`, { body: readFileSync(file), type });
    }
    return assets;
  }

  get built(): boolean {
    return this.#assets.has(`${CONSOLE_PATH}index.html`);
  }

  /**
   * Answers GET/HEAD under /console (and "/" with a redirect to it). Returns false for any other path. Every
   * answer carries CONSOLE_SECURITY_HEADERS.
   */
  serve(req: AnyRequest, res: AnyResponse): boolean {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (path !== "/" && path !== "/console" && !path.startsWith(CONSOLE_PATH)) return false;
    const send = (status: number, headers: Record<string, string>, body: Buffer | string): void => {
      writeHead(res, status, { ...CONSOLE_SECURITY_HEADERS, ...headers });
      if (req.method === "HEAD") res.end();
      else res.end(body);
    };
    if (req.method !== "GET" && req.method !== "HEAD") {
      send(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" }, "method not allowed\n");
    } else if (path === "/" || path === "/console") {
      send(308, { location: CONSOLE_PATH, "content-type": "text/plain; charset=utf-8" }, `see ${CONSOLE_PATH}\n`);
    } else if (!this.built) {
      send(503, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" }, "console not built: run npm run build:console\n");
    } else {
      const asset = this.#assets.get(path === CONSOLE_PATH ? `${CONSOLE_PATH}index.html` : path);
      if (asset === undefined) send(404, { "content-type": "text/plain; charset=utf-8" }, "not found\n");
      else send(200, { "content-type": asset.type, "cache-control": "no-cache" }, asset.body);
    }
    return true;
  }
}
