/** The admin CLI's dispatcher: `<group> <command> [flags]`, help texts, output mode, and every failure as one line. */
import type { Environment } from "../../config/env-file.js";
import { agentCommands } from "./agents.js";
import { parseCommandArgs } from "./args.js";
import { auditCommands } from "./audit.js";
import type { CommandContext, CommandGroup, CommandSpec } from "./command.js";
import { describeFailure, EXIT, usageError, type FailureHints } from "./failures.js";
import { issuerKeyCommands } from "./issuer-keys.js";
import { orgCommands } from "./orgs.js";
import type { Io, OutputMode } from "./output.js";
import { openSession, type AdminSession } from "./session.js";
import { resolveSettings } from "./settings.js";
import { trustCommands } from "./trust.js";

export const PROGRAM = "npm run admin --";

export const GROUPS: Readonly<Record<string, CommandGroup>> = {
  orgs: orgCommands,
  agents: agentCommands,
  trust: trustCommands,
  audit: auditCommands,
  "issuer-keys": issuerKeyCommands,
};

const GLOBAL_HELP = `global flags (any position after the command; the environment variable in brackets):
  --addr URL            mTLS address [AGENT_IDENTITY_ADDR] (https://localhost:8443)
  --dev-dir DIR         where the defaults below live [AGENT_IDENTITY_DEV_DIR] (certs/dev)
  --tls-ca FILE         CA of the server certificate [AGENT_IDENTITY_CA_FILE] (DIR/ca.crt)
  --tls-cert FILE       admin client certificate [AGENT_IDENTITY_CERT_FILE] (DIR/admin.crt)
  --tls-key FILE        its private key [AGENT_IDENTITY_KEY_FILE] (DIR/admin.key)
  --server-name NAME    TLS server name to check [AGENT_IDENTITY_TLS_SERVER_NAME]
  --protocol P          grpc or connect [AGENT_IDENTITY_PROTOCOL] (grpc)
  --timeout-ms N        deadline of each call [AGENT_IDENTITY_TIMEOUT_MS] (15000)
  --api-key-file FILE   admin API key file (else ADMIN_API_KEY, ADMIN_API_KEYS, ADMIN_API_KEY_FILE, DIR/admin-api-key)
  --issuer-url URL      service audience of possession proofs [AGENT_IDENTITY_ISSUER_URL] (the admin JWT's iss)
  --token-org ORG_ID    restrict the admin JWT to one organisation
  --json                the response as protobuf JSON on stdout (for scripts)
  -q, --quiet           only ids on stdout (e.g. ORG=$(${PROGRAM} orgs create --name X -q))
exit codes: 0 ok, 1 server error, 2 usage, 3 local problem (settings, files), 4 unreachable/unavailable,
  5 refused credentials, 6 not found, 7 conflict, 8 invalid argument, 9 rate limited, 10 audit export broken`;

function mainUsage(): string {
  const lines = [`usage: ${PROGRAM} <group> <command> [flags]     (--help after any group or command)`, "", "commands:"];
  for (const [name, group] of Object.entries(GROUPS)) {
    lines.push(`  ${name}: ${group.summary}`);
    for (const [command, spec] of Object.entries(group.commands)) lines.push(`    ${name} ${command} ${spec.usage}`);
  }
  return [...lines, "", GLOBAL_HELP].join("\n");
}

function groupUsage(name: string, group: CommandGroup): string {
  const lines = [`usage: ${PROGRAM} ${name} <command> [flags]`, ""];
  for (const [command, spec] of Object.entries(group.commands)) lines.push(`  ${name} ${command} ${spec.usage}`, `      ${spec.summary}`);
  return lines.join("\n");
}

function commandUsage(group: string, command: string, spec: CommandSpec): string {
  return `usage: ${PROGRAM} ${group} ${command} ${spec.usage}\n${spec.summary}\n\n${GLOBAL_HELP}`;
}

const isHelp = (arg: string | undefined): boolean => arg === "--help" || arg === "-h" || arg === "help";

/** Runs one command line; resolves to the exit code. Never throws. */
export async function runAdmin(argv: readonly string[], io: Io, env: Environment, cwd: string): Promise<number> {
  const [groupName, commandName, ...rest] = argv;
  let session: AdminSession | undefined;
  const hints: { -readonly [K in keyof FailureHints]: FailureHints[K] } = { addr: env.AGENT_IDENTITY_ADDR ?? "https://localhost:8443" };
  try {
    if (groupName === undefined || isHelp(groupName)) {
      (groupName === undefined ? io.err : io.out)(mainUsage());
      return groupName === undefined ? EXIT.usage : EXIT.ok;
    }
    const group = GROUPS[groupName];
    if (group === undefined) throw usageError(`unknown command group ${JSON.stringify(groupName)}; groups: ${Object.keys(GROUPS).join(", ")}`);
    if (commandName === undefined || isHelp(commandName)) {
      (commandName === undefined ? io.err : io.out)(groupUsage(groupName, group));
      return commandName === undefined ? EXIT.usage : EXIT.ok;
    }
    const spec = group.commands[commandName];
    if (spec === undefined) throw usageError(`unknown command "${groupName} ${commandName}"; see ${PROGRAM} ${groupName} --help`);
    const args = parseCommandArgs(rest, spec.options);
    if (args.flag("help")) {
      io.out(commandUsage(groupName, commandName, spec));
      return EXIT.ok;
    }
    if (args.flag("json") && args.flag("quiet")) throw usageError("--json and --quiet exclude each other");
    const mode: OutputMode = args.flag("json") ? "json" : args.flag("quiet") ? "quiet" : "table";
    const ctx: CommandContext = {
      args,
      io,
      mode,
      env,
      cwd,
      session() {
        if (session !== undefined) return session;
        const resolved = resolveSettings(args, env, cwd);
        hints.addr = resolved.connection.addr;
        hints.apiKeySource = resolved.connection.apiKeySource;
        return (session = openSession(resolved));
      },
    };
    return (await spec.run(ctx)) ?? EXIT.ok;
  } catch (e) {
    const { line, exitCode } = describeFailure(e, hints);
    const known = groupName !== undefined && commandName !== undefined && GROUPS[groupName]?.commands[commandName] !== undefined;
    const where = known ? ` ${groupName} ${commandName}` : "";
    io.err(`admin${where}: ${line}${exitCode === EXIT.usage ? ` (see ${PROGRAM}${where} --help)` : ""}`);
    return exitCode;
  } finally {
    session?.close();
  }
}
