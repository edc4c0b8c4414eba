/** The Node.js majors the service supports; main.ts refuses to start on any other (an end-of-life runtime gets no security fixes). */

export const SUPPORTED_NODE_MAJORS: readonly number[] = [24];

/** A one-line refusal for an unsupported runtime, or undefined when `version` (like "v24.21.0") is supported. */
export function unsupportedNodeVersion(version: string): string | undefined {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1]);
  if (SUPPORTED_NODE_MAJORS.includes(major)) return undefined;
  return (
    `Node.js ${version} is not supported: run Node.js ${SUPPORTED_NODE_MAJORS.join(" or ")} LTS ` +
    "(npm scripts use the project's own node dev dependency; the image is built on node:24)"
  );
}
