/** `npm run pilot:smoke`: runs the pilot checklist against a running service; prints one JSON object, exits 1 on failure. */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { projectRoot } from "../config/project-root.js";
import { runPilotSmoke } from "./pilot/run.js";
import { PilotSettingsError, readPilotSettings } from "./pilot/settings.js";

async function main(): Promise<void> {
  let settings;
  try {
    settings = readPilotSettings(process.env, projectRoot());
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
