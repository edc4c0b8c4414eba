// The design card's top-level folders exist in a fresh clone, with their generated material kept out of git.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./support.js";

/** True when git would ignore `path` (exit 0 of `git check-ignore`; 1 means tracked-able). */
function ignored(path: string): boolean {
  const run = spawnSync("git", ["check-ignore", "-q", "--no-index", path], { cwd: REPO_ROOT });
  if (run.status !== 0 && run.status !== 1) throw new Error(`git check-ignore failed for ${path}`);
  return run.status === 0;
}

describe("certs/", () => {
  it("is in the repository with a README on development and production material", () => {
    const readme = readFileSync(join(REPO_ROOT, "certs", "README.md"), "utf8");
    for (const text of ["certs/dev", "npm start", "npm run certs:dev", "TLS_CERT_FILE", "ISSUER_PRIVATE_JWK_FILE", "Production"]) {
      expect(readme).toContain(text);
    }
    expect(ignored("certs/README.md")).toBe(false);
  });

  it("keeps generated and copied material out of git", () => {
    for (const path of ["certs/dev/ca.key", "certs/dev/admin-api-key", "certs/prod/server.key", "certs/server.key", "secrets/issuer.jwk.json", ".env"]) {
      expect(ignored(path), path).toBe(true);
    }
  });
});
