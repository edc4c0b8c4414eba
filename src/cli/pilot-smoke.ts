/** `npm run pilot:smoke`: runs the pilot checklist against a running service; prints one JSON object, exits 1 on failure. */
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { readDotEnv, withDotEnv } from "../config/env-file.js";
import { projectRoot } from "../config/project-root.js";
import { runPilotSmoke } from "./pilot/run.js";
import { PilotSettingsError, readPilotSettings } from "./pilot/settings.js";

async function main(): Promise<void> {
  let settings;
  try {
    // Like the service, the smoke reads the project's .env under the real environment: the admin key the
    // service is given there (ADMIN_API_KEY / ADMIN_API_KEYS) is the one the smoke exchanges.
    const root = projectRoot();
    settings = readPilotSettings(withDotEnv(process.env, readDotEnv(join(root, ".env"))), root);
  } catch (e) {
    if (!(e instanceof PilotSettingsError)) throw e;
    process.stdout.write(`${JSON.stringify({ ok: false, failed_step: "settings", error: e.message })}\n`);
    process.stderr.write(`pilot smoke: ${e.message}\n`);
    process.exitCode = 2;
    return;
  }
  const report = await runPilotSmoke(settings);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  if (!report.ok) {
    process.stderr.write(`pilot smoke FAILED at step ${report.failed_step}: ${report.error}\n`);
    process.exitCode = 1;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await main();
}
