/** Ed25519 public key checks: the encoding decompresses to a curve point that is not of small order (RFC 8032 5.1.3). */

const P = (1n << 255n) - 19n;
const D = mod(-121665n * inverse(121666n));
const SQRT_M1 = pow(2n, (P - 1n) / 4n);

function mod(a: bigint): bigint {
  const r = a % P;
  return r >= 0n ? r : r + P;
}

function pow(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  let b = mod(base);
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return result;
}

function inverse(a: bigint): bigint {
  return pow(a, P - 2n);
}

interface Point {
  readonly x: bigint;
  readonly y: bigint;
}

/** Affine twisted Edwards doubling (a = -1). */
function double(p: Point): Point {
  const xx = mod(p.x * p.x);
  const yy = mod(p.y * p.y);
  const dxy = mod(D * xx * yy);
  const x = mod(2n * p.x * p.y * inverse(mod(1n + dxy)));
  const y = mod((yy + xx) * inverse(mod(1n - dxy)));
  return { x, y };
}

/** Decompresses a 32-byte encoding; undefined when it is not a canonical encoding of a curve point. */
function decompress(encoded: Uint8Array): Point | undefined {
  if (encoded.length !== 32) return undefined;
  const bytes = Uint8Array.from(encoded);
  const sign = (bytes[31]! >> 7) & 1;
  bytes[31] = bytes[31]! & 0x7f;
  let y = 0n;
  for (let i = 31; i >= 0; i--) y = (y << 8n) | BigInt(bytes[i]!);
  if (y >= P) return undefined;
  const yy = mod(y * y);
  const u = mod(yy - 1n);
  const v = mod(D * yy + 1n);
  const v3 = mod(v * v * v);
  const v7 = mod(v3 * v3 * v);
  let x = mod(u * v3 * pow(mod(u * v7), (P - 5n) / 8n));
  const vxx = mod(v * x * x);
  if (vxx !== u) {
    if (vxx !== mod(-u)) return undefined;
    x = mod(x * SQRT_M1);
  }
  if (x === 0n && sign === 1) return undefined;
  if (Number(x & 1n) !== sign) x = mod(-x);
  return { x, y };
}

type Ed25519PointProblem = "not_on_curve" | "small_order";

/** Undefined when `encoded` is a usable Ed25519 public key, else what is wrong with it. */
export function checkEd25519PublicKey(encoded: Uint8Array): Ed25519PointProblem | undefined {
  const point = decompress(encoded);
  if (point === undefined) return "not_on_curve";
  // The cofactor is 8: a point whose 8-multiple is the identity has small order and signs anything.
  let q = point;
  for (let i = 0; i < 3; i++) q = double(q);
  if (q.x === 0n && q.y === 1n) return "small_order";
  return undefined;
}
