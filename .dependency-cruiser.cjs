/**
 * The import direction of docs/ARCHITECTURE.md, checked by test/architecture.test.ts (dependency-cruiser).
 * Layers from the bottom; an import may only point down this list (type-only imports count: they still
 * make one layer's code depend on another's). Layers on one line are peers and may not import each other.
 * The composition root (setup.ts, index.ts) may import anything. Cycles are allowed only inside one folder.
 * Known violations that other work is removing right now are listed, one entry each, in
 * architecture-known-violations.json (the test fails on any violation not listed there).
 */
const LAYERS = [
  ["proto"],
  ["core"],
  ["io"],
  ["profiler"],
  ["backends"],
  ["ops"],
  ["autodiff"],
  ["eager", "graph"],
  ["variables"],
  ["runtime"],
  ["train"],
  ["function"],
  ["data", "saving", "summary"],
  ["keras"],
  ["board"],
  ["app", "config.ts"],
];
const ROOT = ["setup.ts", "index.ts"];

const entry = (name) => (name.endsWith(".ts") ? `^src/${name.replace(".", "\\.")}$` : `^src/${name}/`);
const rules = [];
LAYERS.forEach((layer, level) => {
  const above = LAYERS.slice(level + 1).flat().concat(ROOT);
  for (const name of layer) {
    rules.push({
      name: `${name.replace(".ts", "")}-imports-down-only`,
      comment: `${name} is at level ${level} of the pipeline; it may import only ${LAYERS.slice(0, level).flat().join(", ") || "itself"}`,
      severity: "error",
      from: { path: entry(name) },
      to: { path: above.map(entry) },
    });
    const peers = layer.filter((p) => p !== name);
    if (peers.length > 0) {
      rules.push({
        name: `${name.replace(".ts", "")}-not-into-peers`,
        comment: `${name} and ${peers.join(", ")} are peers: neither imports the other`,
        severity: "error",
        from: { path: entry(name) },
        to: { path: peers.map(entry) },
      });
    }
  }
});
rules.push({
  name: "no-cycle-between-folders",
  comment: "an import cycle may stay inside one folder, never run through another",
  severity: "error",
  from: { path: "^(src/.+)/[^/]+$" },
  to: { circular: true, via: { pathNot: "^$1/[^/]+$" } },
});
rules.push({
  name: "no-cycle-in-root",
  comment: "src/*.ts files take no part in cycles",
  severity: "error",
  from: { path: "^src/[^/]+$" },
  to: { circular: true },
});

module.exports = {
  forbidden: rules,
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^node_modules" },
    // Type-only imports count: `import type` is a dependency of one layer's code on another's.
    tsPreCompilationDeps: true,
    // TypeScript 7 has no JavaScript API for dependency-cruiser to parse with; swc parses the sources.
    parser: "swc",
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
    moduleSystems: ["es6"],
  },
};
