// Vitest projects: unit (no listeners, no processes), e2e (the service in-process or as a process, over real
// mTLS; ops checks) and integration (the pilot checklist against a running service). `npm test` runs all three.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 90_000,
    pool: "forks",
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: ["test/e2e/**", "test/ops/**", "test/integration/**", "test/fuzz/**", "test/soak/**"],
        },
      },
      {
        extends: true,
        test: { name: "e2e", include: ["test/e2e/**/*.test.ts", "test/ops/**/*.test.ts", "test/fuzz/**/*.test.ts", "test/soak/**/*.test.ts"] },
      },
      {
        extends: true,
        test: { name: "integration", include: ["test/integration/**/*.test.ts"] },
      },
    ],
  },
});
