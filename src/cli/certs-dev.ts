/** `npm run certs:dev [-- --force]`: generates the development CA, certificates and keys under DEV_DIR (certs/dev). */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { prepareDevelopmentMaterial } from "../config/dev-material.js";
import { readDotEnv, withDotEnv } from "../config/env-file.js";
import { DEFAULT_DEV_DIR, DEFAULT_TRUST_DOMAIN } from "../config/load.js";
import { isTrustDomain } from "../config/peer-rules.js";
import { projectRoot } from "../config/project-root.js";
import { resolvePath } from "../config/secrets-section.js";

const { values } = parseArgs({
  options: { force: { type: "boolean", default: false }, help: { type: "boolean", default: false } },
});
if (values.help === true) {
  process.stdout.write(
    "usage: npm run certs:dev [-- --force]\n" +
      "  generates what is missing under DEV_DIR (default certs/dev); --force re-issues the CA and every\n" +
      "  certificate (the issuer key, admin-token key and admin API key are always kept)\n",
  );
  process.exit(0);
}

const root = projectRoot();
const env = withDotEnv(process.env, readDotEnv(join(root, ".env")));
const dir = resolvePath(root, env["DEV_DIR"]?.trim() || DEFAULT_DEV_DIR);
const configured = env["SPIFFE_TRUST_DOMAIN"]?.trim() ?? "";
if (configured !== "" && !isTrustDomain(configured)) {
  process.stderr.write("SPIFFE_TRUST_DOMAIN: must be a trust domain name: lower-case letters, digits, '.', '-', '_'\n");
  process.exit(1);
}
const trustDomain = configured === "" ? DEFAULT_TRUST_DOMAIN : configured;

const generated: string[] = [];
const material = await prepareDevelopmentMaterial(dir, (line) => generated.push(line), { force: values.force === true, trustDomain });
for (const line of generated) process.stdout.write(`${line}\n`);
if (generated.length === 0) process.stdout.write(`development material already present in ${dir} (use --force to re-issue certificates)\n`);

const c = material.clients;
process.stdout.write(
  [
    "",
    `CA certificate          ${material.caCertFile}`,
    `server certificate      ${material.serverCertFile}  key ${material.serverKeyFile}`,
    `admin client            ${c.admin.certFile}  key ${c.admin.keyFile}  (${c.admin.identity})`,
    `relying-party client    ${c.relyingParty.certFile}  key ${c.relyingParty.keyFile}  (${c.relyingParty.identity})`,
    `agent client            ${c.agent.certFile}  key ${c.agent.keyFile}  (${c.agent.identity})`,
    `issuer key              ${material.issuerJwkFile}`,
    `admin-token key         ${material.adminTokenJwkFile}`,
    `admin API key (secret)  ${material.adminApiKeyFile}`,
    "",
  ].join("\n"),
);
