// Vitest projects, named for what they do (`npm test` runs every project defined):
// - unit: no sockets, no processes; embedded adapters only (PGlite, in-memory stores).
// - api: every RPC through createRouterTransport with the real routes and interceptor chain; embedded adapters.
// - integration (npm run test:adapters): the contract and repository suites against real Postgres (TEST_DATABASE_URL) and Redis
//   (TEST_REDIS_URL); defined only when one of them is set (CI sets both).
// - e2e: over the wire: the service in-process or as a process over real mTLS, ops checks, the protocol fuzzer,
//   the fault soak, socket fakes (KMS).
// - pilot (npm run test:integration, the seed guide's command): the pilot checklist against a running service, or an
//   embedded one.
import { defineConfig } from "vitest/config";
import type { TestProjectInlineConfiguration } from "vitest/config";

/** The pilot checklist against a running (or embedded) service; test/pilot's other files are unit tests. */
const PILOT_CHECKLIST = "test/pilot/live-service.test.ts";
/** Files outside test/e2e and test/ops that talk over a socket: the KMS stand-in is an HTTP server. */
const WIRE = ["test/contracts/signer.contract.test.ts", "test/issuer/kms-signer.test.ts"];
/** Suites with a real-Postgres run. */
const POSTGRES_SUITES = ["test/storage/**/*.test.ts", "test/contracts/issuer-key-repository.contract.test.ts", "test/audit/chain-sql.test.ts"];
/** Suites with a real-Redis run. */
const REDIS_SUITES = ["test/replay/*.test.ts", "test/contracts/invalidation-bus.contract.test.ts"];

const isSet = (name: string): boolean => (process.env[name] ?? "") !== "";
const integrationSuites = [...(isSet("TEST_DATABASE_URL") ? POSTGRES_SUITES : []), ...(isSet("TEST_REDIS_URL") ? REDIS_SUITES : [])];

const projects: TestProjectInlineConfiguration[] = [
  {
    extends: true,
    test: {
      name: "unit",
      include: ["test/**/*.test.ts"],
      exclude: ["test/e2e/**", "test/ops/**", "test/fuzz/**", "test/soak/**", "test/api/**", PILOT_CHECKLIST, ...WIRE],
      env: { TEST_ADAPTERS: "embedded" },
    },
  },
  { extends: true, test: { name: "api", include: ["test/api/**/*.test.ts"], env: { TEST_ADAPTERS: "embedded" } } },
  { extends: true, test: { name: "e2e", include: ["test/e2e/**/*.test.ts", "test/ops/**/*.test.ts", "test/fuzz/**/*.test.ts", "test/soak/**/*.test.ts", ...WIRE] } },
  { extends: true, test: { name: "pilot", include: [PILOT_CHECKLIST] } },
];
if (integrationSuites.length > 0) {
  projects.push({ extends: true, test: { name: "integration", include: integrationSuites, env: { TEST_ADAPTERS: "real" } } });
}

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 90_000,
    pool: "forks",
    // Two files at a time whatever the core count (vitest's default is one fewer than the cores: one file at a time
    // on a 2-core CI machine). Most files wait on child processes, sockets and databases rather than on CPU.
    maxWorkers: 2,
    projects,
  },
});
