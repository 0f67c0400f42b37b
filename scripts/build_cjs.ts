/**
 * Builds the package's CommonJS entry, dist/cjs/index.cjs (package.json exports "require"), from the ES
 * modules tsc wrote to dist/. Node 20 cannot require() an ES module, so they are bundled by esbuild into one
 * CommonJS file. Dependencies that ship a CommonJS entry stay external; ESM-only ones (fast-png) are bundled.
 * Two ESM-only constructs are rewritten per file: `import.meta.url` becomes the URL of that module's own file
 * in dist/ (so what a module finds beside itself, such as the board's page, is found from either entry), and
 * setup.ts's top-level `await import()` of the CUDA backend becomes a require of the bundled module.
 * Also writes dist/cjs/index.d.cts, the types for `require`. Run by `npm run build` after tsc.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = path.join(root, "dist");
const outDir = path.join(dist, "cjs");
const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { dependencies?: Record<string, string> };

/** Whether a dependency can be require()d: a CommonJS package, or an ESM one whose exports have a "require". */
function requirable(name: string): boolean {
  const manifest = JSON.parse(readFileSync(path.join(root, "node_modules", name, "package.json"), "utf8")) as { type?: string; exports?: unknown };
  if (manifest.type !== "module") return true;
  return JSON.stringify(manifest.exports ?? {}).includes('"require"');
}

const deps = Object.keys(pkg.dependencies ?? {});
const external = deps.filter(requirable).flatMap((d) => [d, `${d}/*`]);

const TOP_LEVEL_AWAIT = 'await import("./backends/cuda/index.js")';

const esmToCjs: Plugin = {
  name: "esm-to-cjs",
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, (args) => {
      if (!args.path.startsWith(dist + path.sep)) return undefined;
      let code = readFileSync(args.path, "utf8");
      const rel = path.relative(outDir, args.path).split(path.sep).join("/");
      code = code.replaceAll("import.meta.url", `require("node:url").pathToFileURL(require("node:path").join(__dirname, ${JSON.stringify(rel)})).href`);
      if (args.path === path.join(dist, "setup.js")) {
        if (!code.includes(TOP_LEVEL_AWAIT)) throw new Error(`build_cjs: dist/setup.js no longer has ${TOP_LEVEL_AWAIT}; update scripts/build_cjs.ts`);
        code = code.replace(TOP_LEVEL_AWAIT, 'require("./backends/cuda/index.js")');
      }
      return { contents: code, loader: "js" };
    });
  },
};

await build({
  entryPoints: [path.join(dist, "index.js")],
  outfile: path.join(outDir, "index.cjs"),
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  external,
  plugins: [esmToCjs],
  legalComments: "inline",
  logLevel: "warning",
});
// The ESM declarations describe the same exports; a .d.cts re-exporting them types `require("tsflowjs")`.
writeFileSync(path.join(outDir, "index.d.cts"), 'export * from "../index.js";\n');
