import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { it } from "node:test";

/**
 * The import direction of docs/ARCHITECTURE.md: dependency-cruiser (scripts/check_imports.mjs, through its API)
 * checks src/ against .dependency-cruiser.cjs: an import only points down the pipeline, and no import cycle
 * runs through two folders. Violations listed in .dependency-cruiser-known-violations.json (being removed
 * elsewhere) are tolerated; any other fails here, each named with its rule.
 */
it("every import points down the pipeline, and no import cycle runs through two folders", () => {
  const script = fileURLToPath(new URL("../scripts/check_imports.mjs", import.meta.url));
  // A plain node child: dependency-cruiser's swc parser does not load under the test runner's tsx loader.
  const r = spawnSync(process.execPath, [script], { encoding: "utf8", timeout: 120_000 });
  assert.ok(r.stdout.trim().startsWith("{"), `check_imports.mjs failed: ${r.stderr}`);
  const report = JSON.parse(r.stdout) as { cruised: number; violations: string[]; fixedKnown: number };
  assert.ok(report.cruised > 100, `dependency-cruiser read only ${report.cruised} modules`);
  assert.deepEqual(report.violations, [], `imports against docs/ARCHITECTURE.md's layering:\n  ${report.violations.join("\n  ")}`);
});
