/** Fails when gen/ is stale: regenerates into a temporary directory with buf and compares byte for byte. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.push(relative(root, full));
    }
  };
  walk(root);
  return out.sort();
}

const fresh = mkdtempSync(join(tmpdir(), "gen-check-"));
try {
  execFileSync(join("node_modules", ".bin", "buf"), ["generate", "--output", fresh], { stdio: ["ignore", "inherit", "inherit"] });
  const expectedRoot = join(fresh, "gen");
  const expected = listFiles(expectedRoot);
  const actual = listFiles("gen");
  const problems: string[] = [];
  for (const f of expected) {
    if (!actual.includes(f)) problems.push(`missing: gen/${f}`);
    else if (!readFileSync(join(expectedRoot, f)).equals(readFileSync(join("gen", f)))) problems.push(`stale: gen/${f}`);
  }
  for (const f of actual) if (!expected.includes(f)) problems.push(`not generated from proto/: gen/${f}`);
  if (problems.length > 0) {
    console.error(`gen/ is out of date; run \`npm run generate\` and commit:\n  ${problems.join("\n  ")}`);
    process.exitCode = 1;
  } else {
    console.log(`gen/ is up to date (${expected.length} files)`);
  }
} finally {
  rmSync(fresh, { recursive: true, force: true });
}
