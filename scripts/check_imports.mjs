/**
 * Checks src/ against the layering of docs/ARCHITECTURE.md with dependency-cruiser's API and the rules of
 * .dependency-cruiser.cjs, tolerating the violations listed in .dependency-cruiser-known-violations.json.
 * Prints { cruised, violations: ["rule: a -> b", ...], fixedKnown: n } as JSON; exits 1 on a violation.
 * Plain node on purpose: under tsx's loader dependency-cruiser's swc parser does not load.
 * Refresh the known list (only to record violations being fixed elsewhere):
 *   npx depcruise --config .dependency-cruiser.cjs --output-type baseline src > .dependency-cruiser-known-violations.json
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { cruise } from "dependency-cruiser";

const root = fileURLToPath(new URL("..", import.meta.url));
const config = createRequire(import.meta.url)("../.dependency-cruiser.cjs");
const known = JSON.parse(readFileSync(new URL("../.dependency-cruiser-known-violations.json", import.meta.url), "utf8"));

const describe = (v) => `${v.rule.name}: ${v.cycle ? [v.from, ...v.cycle.map((c) => c.name)].join(" -> ") : `${v.from} -> ${v.to}`}`;

process.chdir(root);
const { output } = await cruise(["src"], { ...config.options, ruleSet: { forbidden: config.forbidden }, knownViolations: known, validate: true });
const { summary } = output;
// Known violations come back with severity "ignore".
const violations = summary.violations.filter((v) => v.rule.severity !== "ignore").map(describe);
const stillKnown = summary.violations.filter((v) => v.rule.severity === "ignore").length;
console.log(JSON.stringify({ cruised: summary.totalCruised, violations, fixedKnown: known.length - stillKnown }, null, 1));
process.exitCode = violations.length > 0 ? 1 : 0;
