// infra/k8s: each manifest parses and passes the Kubernetes API schema (kubernetes-models), and the set is
// consistent with the code: the variables it sets are the ones the config loader reads, together they make a
// complete production configuration, ports and probes match the listeners, secrets are files or secret refs.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ConfigMap, Namespace, Service } from "kubernetes-models/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import type { IContainer, IVolume } from "kubernetes-models/v1";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import type { DevMaterial } from "../../src/config/dev-material.js";
import { loadConfig } from "../../src/config/load.js";
import { testMaterial } from "../support/app-harness.js";
import { configVariableNames, envExampleNames } from "./config-names.js";
import { REPO_ROOT } from "./support.js";

const K8S = join(REPO_ROOT, "infra", "k8s");
type Manifest = { apiVersion: string; kind: string; metadata: { name: string } } & Record<string, unknown>;

function manifests(): Manifest[] {
  return readdirSync(K8S)
    .filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml")
    .flatMap((f) =>
      parseAllDocuments(readFileSync(join(K8S, f), "utf8")).map((doc) => {
        if (doc.errors.length > 0) throw new Error(`${f}: ${doc.errors[0]!.message}`);
        return doc.toJS() as Manifest;
      }),
    );
}

/** Validates one manifest against the API schema of its kind; throws naming the first violation. */
function validate(m: Manifest): void {
  const models: Record<string, (data: never) => { validate(): void }> = {
    "v1/Namespace": (d) => new Namespace(d),
    "v1/ConfigMap": (d) => new ConfigMap(d),
    "v1/Service": (d) => new Service(d),
    "apps/v1/Deployment": (d) => new Deployment(d),
    "policy/v1/PodDisruptionBudget": (d) => new PodDisruptionBudget(d),
    "networking.k8s.io/v1/NetworkPolicy": (d) => new NetworkPolicy(d),
  };
  const model = models[`${m.apiVersion}/${m.kind}`];
  if (model === undefined) throw new Error(`no schema for ${m.apiVersion} ${m.kind}`);
  model(m as never).validate();
}

const all = manifests();
const one = <T,>(kind: string): T & Manifest => {
  const found = all.filter((m) => m.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0] as T & Manifest;
};
const deployment = one<{ spec: Deployment["spec"] }>("Deployment");
const pod = deployment.spec!.template.spec!;
const container = pod.containers[0] as IContainer;
const configMap = one<{ data: Record<string, string> }>("ConfigMap");

/** A value for each variable the Deployment takes from a Secret (their form only; never real secrets). */
const SECRET_ENV_SAMPLES: Record<string, string> = {
  DATABASE_URL: "postgres://agent_identity:pw@postgres.internal:5432/agent_identity",
  REDIS_URL: "redis://redis.internal:6379",
  ADMIN_API_KEYS: "a-strong-admin-key-for-the-manifest-check",
};

describe("infra/k8s manifests", () => {
  let material: DevMaterial;
  let root: string;
  beforeAll(async () => {
    material = await testMaterial();
    root = mkdtempSync(join(tmpdir(), "aid-k8s-"));
  });
  afterAll(() => {
    if (material !== undefined) rmSync(join(material.dir, ".."), { recursive: true, force: true });
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });

  it("kustomization lists every manifest, and each passes the Kubernetes API schema", () => {
    const kustomization = parseAllDocuments(readFileSync(join(K8S, "kustomization.yaml"), "utf8"))[0]!.toJS() as { resources: string[] };
    const files = readdirSync(K8S).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml");
    expect([...kustomization.resources].sort()).toEqual(files.sort());
    expect(all.map((m) => m.kind).sort()).toEqual(["ConfigMap", "Deployment", "Namespace", "NetworkPolicy", "PodDisruptionBudget", "Service"]);
    for (const m of all) expect(() => validate(m), `${m.kind} ${m.metadata.name}`).not.toThrow();
    // The schema check can fail: a wrongly typed field is refused.
    expect(() => validate({ ...deployment, spec: { ...deployment.spec, replicas: "two" } } as unknown as Manifest)).toThrow(/replicas/);
  });

  it("every variable set is one the config loader reads and .env.example documents", () => {
    const set = [...Object.keys(configMap.data), ...(container.env ?? []).map((e) => e.name)];
    const names = configVariableNames();
    const documented = envExampleNames();
    expect(set.filter((n) => !names.has(n))).toEqual([]);
    expect(set.filter((n) => !documented.has(n))).toEqual([]);
    expect(container.envFrom).toEqual([{ configMapRef: { name: configMap.metadata.name } }]);
    // Secret values arrive as secretKeyRef, never as literals in a manifest.
    for (const e of container.env ?? []) expect(e.value, e.name).toBeUndefined();
  });

  it("ConfigMap + secret refs + mounted files make a complete production configuration", () => {
    const devFileOf: Record<string, string> = {
      ISSUER_PRIVATE_JWK_FILE: material.issuerJwkFile,
      ADMIN_JWT_PRIVATE_JWK_FILE: material.adminTokenJwkFile,
      TLS_CERT_FILE: material.serverCertFile,
      TLS_KEY_FILE: material.serverKeyFile,
      TLS_CLIENT_CA_FILE: material.caCertFile,
    };
    const env: Record<string, string> = { ...configMap.data };
    for (const e of container.env ?? []) env[e.name] = SECRET_ENV_SAMPLES[e.name] ?? "";
    for (const [name, path] of Object.entries(env).filter(([n]) => n.endsWith("_FILE"))) {
      const mount = (container.volumeMounts ?? []).find((m) => path.startsWith(`${m.mountPath}/`));
      expect(mount, `${name}=${path} lies in a mounted volume`).toBeDefined();
      expect(mount!.readOnly, name).toBe(true);
      const volume = (pod.volumes ?? []).find((v) => v.name === mount!.name) as IVolume;
      expect(volume.secret?.secretName, `${name} comes from a Secret`).toMatch(/^agent-identity-/);
      const local = join(root, path);
      mkdirSync(dirname(local), { recursive: true });
      copyFileSync(devFileOf[name]!, local);
      env[name] = local;
    }
    const config = loadConfig(env, { baseDir: root });
    expect(config.mode).toBe("production");
    expect(config.storage.databaseUrl).toBe(SECRET_ENV_SAMPLES.DATABASE_URL);
    expect(config.storage.redisUrl).toBe(SECRET_ENV_SAMPLES.REDIS_URL);
    expect(config.listen).toMatchObject({ grpcPort: 8443, browserPort: 8444, sidecarPort: 8080 });
  });

  it("two replicas, resource requests, a non-root user matching the image, read-only secret files", () => {
    expect(deployment.spec!.replicas).toBe(2);
    expect(container.resources?.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000 });
    expect(readFileSync(join(REPO_ROOT, "infra", "Dockerfile"), "utf8")).toMatch(/^USER node$/m); // node = uid 1000
    for (const v of pod.volumes ?? []) if (v.secret !== undefined) expect(v.secret.defaultMode, v.name).toBe(0o440);
  });

  it("ports match the config, probes use the sidecar: gRPC health for readiness and start-up, /healthz for liveness", () => {
    const ports = Object.fromEntries((container.ports ?? []).map((p) => [p.name, p.containerPort]));
    expect(ports).toEqual({ grpc: Number(configMap.data.GRPC_PORT), browser: Number(configMap.data.BROWSER_PORT), sidecar: Number(configMap.data.SIDECAR_PORT) });
    expect(container.readinessProbe?.grpc).toEqual({ port: ports.sidecar });
    expect(container.startupProbe?.grpc).toEqual({ port: ports.sidecar });
    expect(container.livenessProbe?.httpGet).toMatchObject({ path: "/healthz", port: "sidecar" });
    expect(deployment.spec!.template.metadata!.annotations).toMatchObject({ "prometheus.io/port": String(ports.sidecar), "prometheus.io/path": "/metrics" });
  });

  it("the PodDisruptionBudget, the Service and the NetworkPolicy select the Deployment's pods; the sidecar stays internal", () => {
    const labels = deployment.spec!.template.metadata!.labels!;
    const selects = (selector: Record<string, string> | undefined) => Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
    const pdb = one<{ spec: PodDisruptionBudget["spec"] }>("PodDisruptionBudget");
    expect(selects(pdb.spec!.selector!.matchLabels)).toBe(true);
    expect(Number(pdb.spec!.minAvailable)).toBeLessThan(deployment.spec!.replicas!);
    const service = one<{ spec: Service["spec"] }>("Service");
    expect(selects(service.spec!.selector)).toBe(true);
    expect(service.spec!.type).toBe("ClusterIP");
    expect(service.spec!.ports!.map((p) => p.targetPort).sort()).toEqual(["browser", "grpc"]);
    const policy = one<{ spec: NetworkPolicy["spec"] }>("NetworkPolicy");
    expect(selects(policy.spec!.podSelector?.matchLabels)).toBe(true);
    expect(policy.spec!.policyTypes).toContain("Ingress");
    const sidecar = Number(configMap.data.SIDECAR_PORT);
    const rules = policy.spec!.ingress!.filter((r) => (r.ports ?? []).some((p) => p.port === sidecar));
    expect(rules.length).toBeGreaterThan(0);
    for (const r of rules) {
      expect(r.from?.length, "the sidecar rule names its sources").toBeGreaterThan(0);
      for (const peer of r.from!) expect(peer.ipBlock, "no IP block reaches the sidecar").toBeUndefined();
    }
  });

  it("docs/operations.md creates every Secret and key the manifests use", () => {
    const doc = readFileSync(join(REPO_ROOT, "docs", "operations.md"), "utf8").replace(/\\\n\s*/g, " ");
    const command = (secret: string) => new RegExp(`kubectl [^\\n]*create secret (generic|tls) ${secret} [^\\n]*`).exec(doc)?.[0] ?? "";
    for (const e of container.env ?? []) {
      const ref = e.valueFrom!.secretKeyRef!;
      expect(command(ref.name ?? ""), e.name).toContain(`--from-literal=${ref.key}=`);
    }
    for (const [name, path] of Object.entries(configMap.data).filter(([n]) => n.endsWith("_FILE"))) {
      const mount = (container.volumeMounts ?? []).find((m) => path.startsWith(`${m.mountPath}/`))!;
      const secret = (pod.volumes ?? []).find((v) => v.name === mount.name)!.secret!.secretName!;
      const key = path.slice(mount.mountPath.length + 1);
      const created = command(secret);
      expect(created, `${name}: Secret ${secret}`).not.toBe("");
      if (!/create secret tls /.test(created) || !key.startsWith("tls.")) expect(created, `${name}: key ${key}`).toContain(`--from-file=${key}=`);
    }
  });
});
