/** Shared by the browser tests: Debian's Chromium driven by playwright-core (nothing downloaded), the built console. */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { projectRoot } from "../../src/config/project-root.js";

/** Debian's chromium package (apt-get install chromium); CHROMIUM_PATH overrides. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const CHROMIUM_PRESENT = existsSync(CHROMIUM_PATH);
export const ARTIFACT_DIR = join(projectRoot(), "test-results", "browser-console");

/**
 * Whether the browser tests run. Without Chromium they are skipped with a message, except under CI, where a
 * missing Chromium is a failure (.ci/run installs it).
 */
export function browserTestsRun(): boolean {
  if (CHROMIUM_PRESENT) return true;
  if (process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false") {
    throw new Error(`CI is set but Chromium is missing at ${CHROMIUM_PATH}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  }
  process.stderr.write(`browser tests skipped: Chromium not found at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH)\n`);
  return false;
}

/** Builds console/dist with the project's npm script, so the test serves the console as it is now. */
export function buildConsole(): void {
  execFileSync("npm", ["run", "-s", "build:console"], { cwd: projectRoot(), stdio: "inherit" });
}

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Headless Chromium with a fresh profile; certificate errors ignored for the test CA only in this profile. */
export async function launchChromium(): Promise<Browser> {
  const userDataDir = mkdtempSync(join(tmpdir(), "aid-chromium-"));
  mkdirSync(ARTIFACT_DIR, { recursive: true });
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    ignoreHTTPSErrors: true,
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
