/**
 * The commands docs/operations.md gives (shell and PowerShell code blocks, and commands quoted in prose), and
 * which test runs or covers each: the table operations-commands.test.ts holds the guide to.
 */

export interface DocCommand {
  /** "sh" or "powershell" for code blocks, "inline" for a command quoted in prose. */
  readonly kind: "sh" | "powershell" | "inline";
  /** One logical command line (continuations joined, comments removed). */
  readonly text: string;
}

const SHELL = new Set(["sh", "bash", "shell", "console"]);
const POWERSHELL = new Set(["powershell", "ps1", "pwsh"]);
const COMMAND_WORDS = /^(npm|npx|node|promtool|docker|kubectl|kustomize|curl|apt-get|openssl|cp|chown|chmod|mkdir|pg_dump|pg_restore|createdb|psql|buf|SELECT|redis-cli|node_modules\/\.bin\/buf)\b/;

/** Drops a trailing "# comment" (outside quotes) from a shell line. */
function withoutComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "#" && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i);
  }
  return line;
}

function blockCommands(kind: "sh" | "powershell", body: string): DocCommand[] {
  const joined = kind === "sh" ? body.replace(/\\\n\s*/g, "") : body;
  return joined
    .split("\n")
    .map((l) => withoutComment(l).trim())
    .filter((l) => l !== "")
    .map((text) => ({ kind, text }));
}

/** Every command of a Markdown document. */
export function docCommands(markdown: string): DocCommand[] {
  const out: DocCommand[] = [];
  for (const [i, part] of markdown.split(/^[ \t]*```/m).entries()) {
    if (i % 2 === 1) {
      const lang = /^([a-z0-9]*)/.exec(part)![1]!;
      const body = part.slice(part.indexOf("\n") + 1);
      if (SHELL.has(lang)) out.push(...blockCommands("sh", body));
      else if (POWERSHELL.has(lang)) out.push(...blockCommands("powershell", body));
      continue;
    }
    for (const m of part.matchAll(/`([^`\n]+)`/g)) {
      const text = m[1]!.replace(/\\\|/g, "|");
      if (COMMAND_WORDS.test(text.replace(/^([A-Z][A-Z0-9_]*=\S+ )+/, ""))) out.push({ kind: "inline", text });
    }
  }
  return out;
}

/**
 * How a command is covered:
 * - run: operations-commands.test.ts runs it (placeholders such as ports and file names substituted);
 * - test: the named test file runs it or exactly what it runs (`mentions` must occur in that file);
 * - external: it needs a tool this repository cannot run here (Docker engine, Kubernetes, PowerShell, a remote
 *   host); the named test checks the files or the sh twin it depends on.
 */
export interface Coverage {
  readonly pattern: RegExp;
  readonly how: "run" | "test" | "external";
  readonly by: string;
  readonly mentions?: string;
  readonly why?: string;
}

const RUN = "test/ops/operations-commands.test.ts";

export const COVERAGE: readonly Coverage[] = [
  // 1. Provisioning secrets
  { pattern: /^mkdir -p secrets\/tls && chmod 700 secrets$/, how: "run", by: RUN },
  { pattern: /^npm run keygen:issuer -- --out secrets\/(issuer|admin-token)\.jwk\.json$/, how: "run", by: RUN },
  { pattern: /^echo "ADMIN_API_KEYS=\$\(openssl rand -base64 32\)" >> \.env$/, how: "run", by: RUN },
  { pattern: /^PEER_ROLES=spiffe:\/\//, how: "run", by: RUN, why: "a setting: loaded by the config loader" },
  { pattern: /^npm run certs:dev$/, how: "run", by: RUN },
  { pattern: /^cp certs\/dev\/server\.crt secrets\/tls\/server\.crt$/, how: "run", by: RUN },
  { pattern: /^chown 1000 secrets\/\*$/, how: "external", by: "test/ops/compose-consistency.test.ts", mentions: "/run/secrets/", why: "needs root and the image's uid; compose mounts checked" },
  // 2. Start: Compose, Kubernetes, the image (no engine or cluster here)
  { pattern: /^(cp \.env\.example \.env|Copy-Item \.env\.example \.env)$/, how: "test", by: "test/ops/compose-consistency.test.ts", mentions: ".env.example" },
  { pattern: /^docker compose( --env-file \.env)? -f infra\/docker-compose\.yml/, how: "external", by: "test/ops/compose-consistency.test.ts", mentions: "infra/docker-compose.yml", why: "no Docker engine or Compose v2 here" },
  { pattern: /^docker (compose|compose \.\.\. up -d)$/, how: "external", by: "test/ops/compose-consistency.test.ts", mentions: "infra/docker-compose.yml", why: "no Docker engine here" },
  { pattern: /^docker build -f infra\/Dockerfile -t agent-identity \.$/, how: "external", by: "test/ops/compose-consistency.test.ts", mentions: "infra/Dockerfile", why: "no Docker engine here" },
  { pattern: /^kubectl rollout undo$/, how: "external", by: "test/ops/k8s-manifests.test.ts", mentions: "Deployment", why: "no cluster here" },
  { pattern: /^(kubectl|kustomize|cd infra\/k8s && kustomize)\b/, how: "external", by: "test/ops/k8s-manifests.test.ts", mentions: "create secret", why: "no Kubernetes cluster here" },
  { pattern: /^npm ci( &&|;) npm run build$/, how: "test", by: "test/ops/production-build.test.ts", mentions: "ensureBuild" },
  { pattern: /^set -a; \. \.\/\.env; set \+a$/, how: "run", by: RUN },
  { pattern: /^(npm run start:prod|node dist\/src\/main\.js)$/, how: "test", by: "test/ops/production-build.test.ts", mentions: "start:prod" },
  { pattern: /^\$env:(DATABASE_URL|REDIS_URL|ISSUER_PRIVATE_JWK_FILE) = /, how: "external", by: "test/ops/production-build.test.ts", mentions: "DATABASE_URL", why: "PowerShell twin of the sh start" },
  { pattern: /^(node|npm start|npm test|npm run audit:verify|buf curl|pg_dump|pg_dump -Fc|promtool check rules)$/, how: "external", by: "test/ops/doc-commands.ts", mentions: "a tool named in prose", why: "a tool named in prose; its full commands are mapped where they appear" },
  { pattern: /^npm run migrate$/, how: "test", by: "test/storage/migrate-cli.test.ts", mentions: "migrate" },
  { pattern: /^npm run test:adapters$/, how: "test", by: ".ci/run", mentions: "TEST_DATABASE_URL", why: "CI runs the integration project (the real Postgres/Redis suites) inside npm test with the TEST_* URLs set" },
  { pattern: /^redis-cli ping$/, how: "test", by: "test/ops/compose-consistency.test.ts", mentions: "redis-cli ping", why: "the compose health check" },
  // 3. Readiness
  { pattern: /^curl -s http:\/\/127\.0\.0\.1:8080\/readyz$/, how: "run", by: RUN },
  { pattern: /^node_modules\/\.bin\/buf curl --protocol grpc --http2-prior-knowledge --schema proto http:\/\/127\.0\.0\.1:8080\/grpc\.health\.v1\.Health\/Check$/, how: "run", by: RUN },
  { pattern: /^Invoke-RestMethod http:\/\/127\.0\.0\.1:8080\/readyz$/, how: "external", by: RUN, why: "PowerShell twin of the curl probe, which runs" },
  // 4. Pilot smoke, 5. integration tests
  { pattern: /^PILOT_ADDR=\S+ PILOT_CA_FILE=.* npm run pilot:smoke$/, how: "test", by: "test/ops/pilot-smoke.test.ts", mentions: "PILOT_AUDIT_EXPORT_FILE", why: "the same variables, pointed at a service on a free port" },
  { pattern: /^\$env:PILOT_[A-Z_]+ = /, how: "external", by: "test/ops/pilot-smoke.test.ts", mentions: "pilotEnv", why: "PowerShell twin of the sh smoke" },
  { pattern: /^(npm run pilot:smoke|npm run test:integration)$/, how: "external", by: "test/ops/pilot-smoke.test.ts", mentions: "pilot-smoke", why: "in prose, and the PowerShell lines after the variables; the sh forms run" },
  { pattern: /^ADMIN_API_KEY=<key> npm run pilot:smoke$/, how: "test", by: "test/ops/pilot-smoke.test.ts", mentions: "ADMIN_API_KEY:", why: "a wrong ADMIN_API_KEY is what the smoke sends; test/pilot/settings.test.ts: the right one is used" },
  { pattern: /^ADMIN_API_KEY="\$\(cat certs\/dev\/admin-api-key\)" npm run test:integration$/, how: "run", by: RUN },
  { pattern: /^ADMIN_API_KEY=\.\.\. PILOT_ADDR=.* npm run test:integration$/, how: "run", by: RUN, why: "the same run with a deployment's variables" },
  { pattern: /^buf curl \.\.\. AdminService\/ExchangeToken$/, how: "test", by: "test/ops/pilot-smoke.test.ts", mentions: "token_exchange", why: "the smoke's token_exchange step makes that call" },
  { pattern: /^npm run bench$/, how: "test", by: "test/ops/bench.test.ts", mentions: "bench" },
  { pattern: /^(BENCH_DATABASE_URL=\S+ BENCH_REDIS_URL=\S+ )?npm run bench -- (--short )?--scale$/, how: "test", by: "test/cli/bench-scaling.test.ts", mentions: "--scale", why: "the layouts, ratios and flag; the scaling run itself needs Postgres and Redis and minutes" },
  { pattern: /^npm run audit:verify -- --jwks /, how: "test", by: "test/ops/pilot-smoke.test.ts", mentions: "--jwks", why: "the kept export checked offline against the issuer keys, as the guide says" },
  { pattern: /^npm run build$/, how: "test", by: "test/ops/production-build.test.ts", mentions: "ensureBuild" },
  { pattern: /^(node:http2|node:cluster|node --cpu-prof)$/, how: "external", by: "test/ops/doc-commands.ts", mentions: "a tool named in prose", why: "named in prose (the bench's load generator, WORKERS, BENCH_CPU_PROFILE_DIR); not commands to run" },
  // 6./13. Alerts
  { pattern: /^promtool (check|test) rules infra\/prometheus-alerts(\.test)?\.yml$/, how: "test", by: "test/ops/promtool.test.ts", mentions: "prometheus-alerts" },
  { pattern: /^apt-get install prometheus$/, how: "test", by: ".ci/run", mentions: "apt-get install", why: "CI installs promtool that way" },
  // 9. Rollback (backup and restore: issue 12 item 4 rewrites and tests this part)
  { pattern: /^(pg_dump -Fc --no-owner --no-privileges -d|createdb -h .* --owner=agent_identity|psql -h db\.internal -U postgres -d agent_identity_restored|pg_restore -h db\.internal -U postgres -d agent_identity_restored --no-owner --no-privileges --role=agent_identity|pg_restore --no-owner --no-privileges --role$)/, how: "test", by: "test/ops/backup-restore.test.ts", mentions: "--role=", why: "the same dump, database owned by the role, restore with --no-owner --no-privileges --role and owner check, on a fresh role and databases of the test's own" },
  { pattern: /^SELECT version, compatible_with FROM schema_migrations ORDER BY version$/, how: "run", by: RUN },
  // 10. Emergency issuer revoke
  { pattern: /^DATABASE_URL=postgres:\/\/\.\.\. REDIS_URL=redis:\/\/\.\.\. REDIS_KEY_PREFIX=aid: npm run issuer:revoke -- (--list|<kid>)$/, how: "test", by: "test/ops/issuer-revoke.test.ts", mentions: "revokeIssuerKey" },
  { pattern: /^(\$env:DATABASE_URL = "postgres:\/\/\.\.\."; .*|npm run issuer:revoke -- <kid>)$/, how: "external", by: "test/ops/issuer-revoke.test.ts", mentions: "revokeIssuerKey", why: "PowerShell twin of the sh revoke" },
  // PowerShell twins of section 1
  { pattern: /^(\$key = |Add-Content \.env )/, how: "external", by: RUN, why: "PowerShell twin of the echo >> .env line, which runs" },
];

/** The coverage entry of a command, or undefined when the guide gives a command nobody checks. */
export function coverageOf(command: DocCommand): Coverage | undefined {
  return COVERAGE.find((c) => c.pattern.test(command.text));
}
