/**
 * The package as a user gets it: `npm pack`, installed into an empty project, then the README's first program
 * run from plain JavaScript (.mjs), CommonJS (.cjs) and strict TypeScript (.ts and .cts compiled by tsc
 * --strict, then run), and an example from examples/ run against the installed package, all with no BLAS
 * (TSFLOW_BLAS=none) and nothing printed on stderr. The install is offline, from npm's cache, through a lockfile
 * made from this repository's own (npm ci leaves every dependency's tarball in the cache), so it needs no
 * network; a second install through the registry, as a user runs it, is skipped where the registry cannot be
 * reached. Needs the build (npm test builds first).
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";
const TSC = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
const TSX = path.join(ROOT, "node_modules", "tsx", "dist", "esm", "index.mjs");
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { name: string; version: string };
const NAME = manifest.name;

/** The README's first program: each code block that follows a `<!-- first-program: FILE -->` marker, by file name. */
function readmePrograms(): Map<string, string> {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  const out = new Map<string, string>();
  for (const m of readme.matchAll(/<!-- first-program: (\S+) -->\s*```\w*\n([\s\S]*?)```/g)) out.set(m[1], m[2]);
  return out;
}

/** What the first program prints (the README shows it under the program). */
function readmeOutput(): string {
  const m = /<!-- first-program-output -->\s*```\w*\n([\s\S]*?)```/.exec(fs.readFileSync(path.join(ROOT, "README.md"), "utf8"));
  assert.ok(m, "README.md: no <!-- first-program-output --> block");
  return m[1];
}

type Lock = { packages: Record<string, { dev?: boolean; version?: string; integrity?: string; [k: string]: unknown }> };

/**
 * package.json and package-lock.json of a project depending on the tarball and @types/node: the package's own
 * entry, and the entries of its dependencies copied from this repository's lockfile (the non-dev ones, plus
 * @types/node's), so that `npm ci --offline` finds every tarball in the cache by its integrity.
 */
function writeProject(dir: string, tgz: string): void {
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as Lock;
  const ours = lock.packages[""] as unknown as { dependencies: Record<string, string>; peerDependencies?: Record<string, string> };
  const typesNode = lock.packages["node_modules/@types/node"];
  const deps = { [NAME]: `file:${path.basename(tgz)}`, "@types/node": typesNode.version as string };
  const packages: Lock["packages"] = { "": { name: "user-project", dependencies: deps } };
  packages[`node_modules/${NAME}`] = {
    version: manifest.version,
    resolved: `file:${path.basename(tgz)}`,
    integrity: `sha512-${crypto.createHash("sha512").update(fs.readFileSync(tgz)).digest("base64")}`,
    dependencies: ours.dependencies,
    peerDependencies: ours.peerDependencies,
    bin: { [NAME]: "dist/app/cli.js" },
  };
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (key === "" || (entry.dev && key !== "node_modules/@types/node" && key !== "node_modules/undici-types")) continue;
    const { dev: _dev, devOptional: _devOptional, ...rest } = entry;
    packages[key] = rest;
  }
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "user-project", private: true, dependencies: deps }, null, 2));
  fs.writeFileSync(path.join(dir, "package-lock.json"), JSON.stringify({ name: "user-project", lockfileVersion: 3, requires: true, packages }, null, 2));
}

function npm(dir: string, args: string[]): { status: number | null; out: string } {
  const r = spawnSync(NPM, [...args, "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"], { cwd: dir, encoding: "utf8", timeout: 180_000 });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

/** Runs node in the project with no BLAS and the default log level; stdout, and stderr which must be empty. */
function node(dir: string, args: string[]): string {
  const env = { ...process.env, TSFLOW_BLAS: "none", TSFLOW_LOG_LEVEL: "", NODE_OPTIONS: "" };
  const r = spawnSync(process.execPath, args, { cwd: dir, encoding: "utf8", env, timeout: 120_000 });
  assert.equal(r.status, 0, `node ${args.join(" ")}: ${r.stderr}`);
  assert.equal(r.stderr, "", `node ${args.join(" ")} printed on stderr`);
  return r.stdout;
}

describe("the packed package, installed into an empty project", () => {
  let work = "";
  let project = "";
  let tgz = "";
  before(() => {
    assert.ok(fs.existsSync(path.join(ROOT, "dist", "cjs", "index.cjs")), "run `npm run build` first");
    work = fs.mkdtempSync(path.join(os.tmpdir(), "tsflow-package-"));
    const packed = JSON.parse(execFileSync(NPM, ["pack", "--json", "--pack-destination", work], { cwd: ROOT, encoding: "utf8" })) as { filename: string }[];
    tgz = path.join(work, packed[0].filename);
    project = path.join(work, "project");
    fs.mkdirSync(project);
    fs.copyFileSync(tgz, path.join(project, path.basename(tgz)));
    writeProject(project, tgz);
  });
  after(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it("the tarball holds the build, both entries, the board page, LICENSE and README, and no source maps", () => {
    const files = execFileSync("tar", ["-tzf", tgz], { encoding: "utf8" }).split("\n");
    for (const f of [
      "dist/index.js",
      "dist/index.d.ts",
      "dist/cjs/index.cjs",
      "dist/cjs/index.d.cts",
      "dist/app/cli.js",
      "dist/board-page/index.html",
      "LICENSE",
      "README.md",
    ]) {
      assert.ok(files.includes(`package/${f}`), `${f} missing from the tarball`);
    }
    assert.deepEqual(
      files.filter((f) => f.endsWith(".map")),
      [],
    );
    assert.ok(!files.some((f) => f.startsWith("package/src/") || f.startsWith("package/test/")));
  });

  it("installs offline from npm's cache, then the README's first program runs from .mjs, .cjs and strict TypeScript", () => {
    const install = npm(project, ["ci", "--offline"]);
    assert.equal(install.status, 0, install.out);
    const programs = readmePrograms();
    assert.deepEqual([...programs.keys()].sort(), ["first.cjs", "first.mjs"]);
    const mjs = programs.get("first.mjs") as string;
    const importLine = `import * as tf from "${NAME}";\n`;
    assert.ok(mjs.startsWith(importLine), `first.mjs starts with ${importLine}`);
    fs.writeFileSync(path.join(project, "first.mjs"), mjs);
    // The CommonJS block is the line that replaces the import.
    fs.writeFileSync(path.join(project, "first.cjs"), (programs.get("first.cjs") as string) + mjs.slice(importLine.length));
    // The same program as strict TypeScript, an ES module (.ts) and CommonJS (.cts: the "require" types).
    fs.writeFileSync(path.join(project, "first.ts"), mjs);
    fs.writeFileSync(path.join(project, "first.cts"), mjs);
    fs.writeFileSync(
      path.join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { strict: true, module: "nodenext", target: "es2022", outDir: "out", skipLibCheck: false },
        files: ["first.ts", "first.cts"],
      }),
    );
    fs.writeFileSync(
      path.join(project, "package.json"),
      JSON.stringify({ ...JSON.parse(fs.readFileSync(path.join(project, "package.json"), "utf8")), type: "module" }),
    );
    const tsc = spawnSync(process.execPath, [TSC, "-p", "."], { cwd: project, encoding: "utf8" });
    assert.equal(tsc.status, 0, `tsc --strict: ${tsc.stdout}${tsc.stderr}`);
    const expected = readmeOutput();
    for (const args of [["first.mjs"], ["first.cjs"], ["out/first.js"], ["out/first.cjs"]]) assert.equal(node(project, args), expected, args[0]);
  });

  it("an example from examples/ runs against the installed package", () => {
    fs.copyFileSync(path.join(ROOT, "examples", "seed_sessions.ts"), path.join(project, "seed_sessions.ts"));
    assert.match(node(project, ["--import", TSX, "seed_sessions.ts"]), /15625 10\n$/);
    const help = spawnSync(path.join(project, "node_modules", ".bin", NAME), ["--help"], { encoding: "utf8" });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, new RegExp(`^usage: ${NAME} `));
  });

  it("installs through the registry as a user does (skipped when it cannot be reached)", (t) => {
    const online = path.join(work, "online");
    fs.mkdirSync(online);
    fs.writeFileSync(path.join(online, "package.json"), JSON.stringify({ name: "user-project-online", private: true }));
    const install = npm(online, ["install", tgz, "--prefer-offline"]);
    if (install.status !== 0 && /ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNREFUSED|ECONNRESET|ENETUNREACH|ENOTCACHED/.test(install.out)) {
      t.skip(`the npm registry cannot be reached: ${install.out.trim().split("\n")[0]}`);
      return;
    }
    assert.equal(install.status, 0, install.out);
    assert.ok(fs.existsSync(path.join(online, "node_modules", "@types", "node")), "the @types/node peer dependency is installed");
    const out = node(online, ["-e", `const tf = require(${JSON.stringify(NAME)}); console.log(tf.add(1, 2).toString())`]);
    assert.equal(out, "tf.Tensor(3.0, shape=[], dtype=float32)\n");
  });
});
