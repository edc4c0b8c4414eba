/** A local AWS KMS stand-in (JSON 1.1 protocol: Sign, GetPublicKey) backed by a real P-256 key, with injectable faults. */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** Which signatures Sign returns: any, or only ones whose R (or S) is shorter than 32 bytes, or both 33 in DER. */
export type SignatureShape = "any" | "short-r" | "short-s" | "high-bit-r-and-s";

export type InjectedFault = "AccessDeniedException" | "ThrottlingException" | "hang" | undefined;

export interface StandinSignature {
  readonly der: Uint8Array;
  readonly r: bigint;
  readonly s: bigint;
  readonly digest: Uint8Array;
}

export interface KmsStandin {
  /** http://127.0.0.1:<port> */
  readonly endpoint: string;
  readonly keyArn: string;
  readonly publicKey: KeyObject;
  /** Requests received, by operation ("Sign", "GetPublicKey"), faults included. */
  readonly calls: Map<string, number>;
  /** Fault for every following request until reset to undefined. */
  fault: InjectedFault;
  signatureShape: SignatureShape;
  /** The last signature returned by Sign, with its raw R and S. */
  readonly lastSignature: StandinSignature | undefined;
  /** Authorization headers seen (to check the SDK signed with the given credentials). */
  readonly authorizations: string[];
  close(): Promise<void>;
}

// P-256 domain parameters (SEC 2 / FIPS 186-4).
const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const A = P - 3n;
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const G: Point = {
  x: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
  y: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
};

interface Point {
  readonly x: bigint;
  readonly y: bigint;
}

function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r >= 0n ? r : r + m;
}

function inverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [mod(a, m), m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return mod(oldS, m);
}

function add(p: Point | undefined, q: Point | undefined): Point | undefined {
  if (p === undefined) return q;
  if (q === undefined) return p;
  if (p.x === q.x && mod(p.y + q.y, P) === 0n) return undefined;
  const lambda =
    p.x === q.x && p.y === q.y
      ? mod((3n * p.x * p.x + A) * inverse(2n * p.y, P), P)
      : mod((q.y - p.y) * inverse(q.x - p.x, P), P);
  const x = mod(lambda * lambda - p.x - q.x, P);
  return { x, y: mod(lambda * (p.x - x) - p.y, P) };
}

function multiply(k: bigint, point: Point): Point | undefined {
  let result: Point | undefined;
  let addend: Point | undefined = point;
  for (let e = k; e > 0n; e >>= 1n) {
    if (e & 1n) result = add(result, addend);
    addend = add(addend, addend);
  }
  return result;
}

function toBigInt(bytes: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(bytes).toString("hex") || "0"}`);
}

function derInteger(value: bigint): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  let bytes = Buffer.from(hex, "hex");
  if ((bytes[0]! & 0x80) !== 0) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
}

/** DER ECDSA-Sig-Value for (r, s). */
export function encodeDerSignature(r: bigint, s: bigint): Uint8Array {
  const body = Buffer.concat([derInteger(r), derInteger(s)]);
  return new Uint8Array(Buffer.concat([Buffer.from([0x30, body.length]), body]));
}

const SHORT = 1n << 248n;
const HIGH = 1n << 255n;

function fits(shape: SignatureShape, r: bigint, s: bigint): boolean {
  if (shape === "short-r") return r < SHORT;
  if (shape === "short-s") return s < SHORT;
  if (shape === "high-bit-r-and-s") return r >= HIGH && s >= HIGH;
  return true;
}

/**
 * Textbook ECDSA over a precomputed digest (what KMS does for MessageType DIGEST), trying nonces k, k+1, ...
 * (one point addition each) until the signature has the requested `shape`. Fine for a test stand-in only.
 */
export function signDigestP256(d: bigint, digest: Uint8Array, shape: SignatureShape = "any"): { r: bigint; s: bigint } {
  const z = toBigInt(digest);
  let k = mod(toBigInt(randomBytes(40)), N - 1n) + 1n;
  let kG = multiply(k, G);
  for (;;) {
    if (kG !== undefined) {
      const r = mod(kG.x, N);
      const s = mod(inverse(k, N) * (z + r * d), N);
      if (r !== 0n && s !== 0n) {
        // (r, n - s) is the same signature's other valid form: doubles the chances for the S shapes.
        if (fits(shape, r, s)) return { r, s };
        if (fits(shape, r, N - s)) return { r, s: N - s };
      }
    }
    k = k + 1n === N ? 1n : k + 1n;
    kG = k === 1n ? G : add(kG, G);
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** Starts the stand-in on 127.0.0.1, port 0. */
export async function startKmsStandin(
  options: { keyArn?: string } = {},
): Promise<KmsStandin> {
  const keyArn = options.keyArn ?? "arn:aws:kms:eu-west-1:111122223333:key/00000000-1111-2222-3333-444444444444";
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const d = toBigInt(Buffer.from(privateKey.export({ format: "jwk" }).d!, "base64url"));
  const spki = publicKey.export({ format: "der", type: "spki" });
  const calls = new Map<string, number>();
  const authorizations: string[] = [];
  const hanging = new Set<ServerResponse>();

  const state = {
    endpoint: "",
    keyArn,
    publicKey,
    calls,
    fault: undefined as InjectedFault,
    signatureShape: "any" as SignatureShape,
    lastSignature: undefined as StandinSignature | undefined,
    authorizations,
    close: async () => {},
  };

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
    res.end(JSON.stringify(body));
  };
  const error = (res: ServerResponse, type: string, message: string) =>
    send(res, 400, { __type: type, message });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const target = String(req.headers["x-amz-target"] ?? "");
    const op = target.startsWith("TrentService.") ? target.slice("TrentService.".length) : target;
    calls.set(op, (calls.get(op) ?? 0) + 1);
    authorizations.push(String(req.headers.authorization ?? ""));
    const text = await readBody(req);
    if (state.fault === "hang") {
      hanging.add(res);
      return;
    }
    if (state.fault !== undefined) {
      const message =
        state.fault === "AccessDeniedException"
          ? `User: arn:aws:iam::111122223333:user/test is not authorized to perform: kms:${op}`
          : "Rate exceeded";
      return error(res, state.fault, message);
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return error(res, "SerializationException", "body is not JSON");
    }
    if (body.KeyId !== keyArn) return error(res, "NotFoundException", `Key '${String(body.KeyId)}' does not exist`);
    if (op === "GetPublicKey") {
      return send(res, 200, {
        KeyId: keyArn,
        PublicKey: spki.toString("base64"),
        KeySpec: "ECC_NIST_P256",
        CustomerMasterKeySpec: "ECC_NIST_P256",
        KeyUsage: "SIGN_VERIFY",
        SigningAlgorithms: ["ECDSA_SHA_256"],
      });
    }
    if (op === "Sign") {
      if (body.SigningAlgorithm !== "ECDSA_SHA_256") {
        return error(res, "InvalidKeyUsageException", "unsupported signing algorithm");
      }
      if (body.MessageType !== "DIGEST") return error(res, "ValidationException", "stand-in expects MessageType DIGEST");
      const digest = Buffer.from(String(body.Message ?? ""), "base64");
      if (digest.length !== 32) return error(res, "ValidationException", "digest must be 32 bytes");
      const { r, s } = signDigestP256(d, digest, state.signatureShape);
      const der = encodeDerSignature(r, s);
      state.lastSignature = { der, r, s, digest: new Uint8Array(digest) };
      return send(res, 200, {
        KeyId: keyArn,
        Signature: Buffer.from(der).toString("base64"),
        SigningAlgorithm: "ECDSA_SHA_256",
      });
    }
    return error(res, "UnknownOperationException", `unknown operation ${op}`);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      res.writeHead(500);
      res.end(String(e));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  state.endpoint = `http://127.0.0.1:${port}`;
  state.close = () =>
    new Promise<void>((resolve, reject) => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      server.close((e) => (e === undefined ? resolve() : reject(e)));
    });
  return state;
}
