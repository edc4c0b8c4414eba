/** `npm run agent -- <command>`: an agent's key and tokens from the shell (keygen, pop, proof, renewal), for buf curl users. */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import { writeSecretFile } from "../adapters/signer/secret-file.js";
import { AgentIdentityClient } from "../client/agent.js";

const USAGE = `usage: npm run agent -- <command> [options]
  keygen  --out FILE [--alg ES256|EdDSA] [--force]    new private agent key (0600); prints the public JWK
  pop     --key FILE --aud ISSUER_URL --org ORG_ID [--agent AGENT_ID] [--op agent.register|agent.rotate_key]
                                                      possession proof for RegisterAgent / RotateAgentKey
  proof   --key FILE --aud RELYING_PARTY_ID --scope S --op OP [--amount N --currency CUR] --token CREDENTIAL
                                                      proof for VerifierService.Verify (fresh jti, iat now)
  renew   --key FILE --aud ISSUER_URL --agent AGENT_ID
                                                      renewal proof for IssueCredential by the agent itself
Tokens are printed on stdout alone, so they can be captured: PROOF=$(npm run -s agent -- proof ...)`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

const [command, ...rest] = process.argv.slice(2);
if (command === undefined || command === "--help" || command === "-h" || command === "help") {
  process.stdout.write(`${USAGE}\n`);
  process.exit(command === undefined ? 2 : 0);
}
const { values } = parseArgs({
  args: rest,
  options: {
    out: { type: "string" },
    alg: { type: "string", default: "ES256" },
    force: { type: "boolean", default: false },
    key: { type: "string" },
    aud: { type: "string" },
    org: { type: "string" },
    agent: { type: "string" },
    op: { type: "string" },
    scope: { type: "string" },
    amount: { type: "string", default: "0" },
    currency: { type: "string", default: "" },
    token: { type: "string" },
  },
});

function need(name: keyof typeof values): string {
  const value = values[name];
  if (typeof value !== "string" || value === "") fail(`--${name} is required for ${command ?? "this command"}`);
  return value;
}

async function loadAgent(): Promise<AgentIdentityClient> {
  const path = need("key");
  let jwk: JWK;
  try {
    jwk = JSON.parse(readFileSync(path, "utf8")) as JWK;
  } catch {
    fail(`cannot read a JSON private JWK from ${path}`);
  }
  return AgentIdentityClient.fromJwk(jwk, { serviceAudience: values.aud, agentId: values.agent });
}

switch (command) {
  case "keygen": {
    const alg = values.alg === "EdDSA" ? "EdDSA" : values.alg === "ES256" ? "ES256" : fail("--alg must be ES256 or EdDSA");
    const { privateKey } = await generateKeyPair(alg, { extractable: true });
    const jwk = await exportJWK(privateKey);
    await writeSecretFile(need("out"), `${JSON.stringify(jwk, null, 2)}\n`, { force: values.force === true });
    const agent = await AgentIdentityClient.fromJwk(jwk);
    process.stderr.write(`wrote ${values.out} (0600); public JWK below, thumbprint ${agent.thumbprint}\n`);
    process.stdout.write(`${JSON.stringify(agent.publicJwk)}\n`);
    break;
  }
  case "pop": {
    const agent = await loadAgent();
    const op = values.op === "agent.rotate_key" ? "agent.rotate_key" : "agent.register";
    process.stdout.write(
      `${await agent.makePossessionProof({ op, audience: need("aud"), orgId: values.org ?? "", agentId: values.agent })}\n`,
    );
    break;
  }
  case "proof": {
    const agent = await loadAgent();
    const amount = Number(values.amount);
    if (!Number.isSafeInteger(amount) || amount < 0) fail("--amount must be a non-negative integer (minor units)");
    process.stdout.write(
      `${await agent.makeProof({
        audience: need("aud"),
        scope: need("scope"),
        op: need("op"),
        amountMinor: amount,
        currency: values.currency ?? "",
        credentialOrSession: need("token"),
      })}\n`,
    );
    break;
  }
  case "renew": {
    need("aud");
    need("agent");
    const agent = await loadAgent();
    process.stdout.write(`${await agent.makeRenewalProof()}\n`);
    break;
  }
  default:
    fail(`unknown command ${command}`);
}
