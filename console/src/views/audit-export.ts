/**
 * Export the audit chain to a file and verify it in the browser with the very code `npm run audit:verify` runs
 * (src/domain/audit: RFC 8785 canonical bytes, the sha256 link hash and the checkpoint signatures over WebCrypto).
 */
import { toJsonString } from "@bufbuild/protobuf";
import { ExportAuditResponseSchema } from "../../../gen/agentidentity/v1/admin_pb.js";
import { trustedCheckpointVerifierWeb } from "../../../src/domain/audit/checkpoint-web.js";
import { ExportFormatError, parseExportFile } from "../../../src/domain/audit/export-file.js";
import { verifyExport } from "../../../src/domain/audit/verify-export.js";
import { run, session } from "../api.js";
import { announce, field, h } from "../dom.js";

/**
 * "OK seq 1..N (...)" or "BROKEN at seq S: problem", as the CLI prints it, checked against `trustedJwksJson` (the
 * keys the service publishes now, from GetJwks), never the JWKS inside the export.
 */
export async function verifyExportText(text: string, trustedJwksJson: string): Promise<{ ok: boolean; message: string }> {
  try {
    const result = await verifyExport(parseExportFile(text), trustedCheckpointVerifierWeb(trustedJwksJson));
    if (result.ok) {
      return { ok: true, message: `OK seq ${result.startSeq}..${result.endSeq} (${result.events} events, ${result.checkpoints} signed checkpoints verified)` };
    }
    return { ok: false, message: `BROKEN at seq ${result.seq}: ${result.problem}` };
  } catch (e) {
    if (e instanceof ExportFormatError) return { ok: false, message: `BROKEN: malformed export: ${e.message}` };
    return { ok: false, message: `verification failed: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** The issuer keys the service publishes (GetJwks): what the browser trusts instead of the file's own JWKS. */
async function publishedJwks(): Promise<string> {
  return (await session.clients.verifier.getJwks({})).jwksJson;
}

/** Streams ExportAudit into the JSON Lines file format (one protobuf-JSON message per line). */
async function exportFile(): Promise<string> {
  const lines: string[] = [];
  for await (const message of session.clients.admin.exportAudit({})) lines.push(toJsonString(ExportAuditResponseSchema, message));
  return `${lines.join("\n")}\n`;
}

export function exportSection(): HTMLElement {
  const result = h("p", { id: "verify-result", class: "verify-result", "aria-live": "polite" });
  const download = h("p", { id: "export-download" });
  const show = (outcome: { ok: boolean; message: string }, source: string): void => {
    result.className = `verify-result ${outcome.ok ? "ok" : "broken"}`;
    result.textContent = `${source}: ${outcome.message}`;
    announce(result.textContent);
  };
  const exportButton = h(
    "button",
    {
      type: "button",
      "on:click": () =>
        void run("export the audit log", exportFile).then(async (text) => {
          if (text === undefined) return;
          const name = `audit-export-${new Date().toISOString().replace(/[:.]/g, "-")}.jsonl`;
          const url = URL.createObjectURL(new Blob([text], { type: "application/jsonl" }));
          download.replaceChildren(h("a", { href: url, download: name, id: "export-link" }, `Download ${name}`));
          show(await verifyExportText(text, await publishedJwks()), "Export verified in this browser");
        }),
    },
    "Export and verify",
  );
  const file = h("input", { type: "file", accept: ".jsonl,.json,application/json", name: "export-file" });
  file.addEventListener("change", () => {
    const chosen = file.files?.[0];
    if (chosen === undefined) return;
    void chosen.text().then(async (text) => show(await verifyExportText(text, await publishedJwks()), chosen.name));
  });
  return h(
    "section",
    { "aria-labelledby": "export-title" },
    h("h2", { id: "export-title" }, "Export and verify"),
    h("p", {}, "The whole chain with its anchor and signed checkpoints, checked here with the same code as npm run audit:verify."),
    exportButton,
    download,
    field("Verify an export file", file),
    result,
  );
}
