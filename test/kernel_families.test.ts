/**
 * The two backends name their kernels by one family vocabulary (docs/ARCHITECTURE.md, "Backends"): every
 * file of backends/cuda/kernels/ has a namesake in backends/cpu/kernels/ holding the same ops, every CUDA
 * source file a namesake kernel file, and every family file exports `<family>Kernels`.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, it } from "node:test";
import "../src/index.js";

const SRC = fileURLToPath(new URL("../src/backends/", import.meta.url));
/** Helper modules beside the families: the merged table and shared helpers. */
const HELPERS = new Set(["index", "util", "layout", "common"]);
const families = (dir: string) =>
  readdirSync(join(SRC, dir))
    .filter((f) => f.endsWith(".ts"))
    .map((f) => f.slice(0, -3))
    .filter((f) => !HELPERS.has(f));

async function table(dir: string, family: string): Promise<Record<string, unknown>> {
  const mod = (await import(pathToFileURL(join(SRC, dir, `${family}.ts`)).href)) as Record<string, unknown>;
  const t = mod[`${family}Kernels`];
  assert.ok(t && typeof t === "object", `${dir}/${family}.ts exports ${family}Kernels`);
  return t as Record<string, unknown>;
}

describe("kernel families", () => {
  it("every CUDA family has a CPU namesake holding each of its ops", async () => {
    const cpu = new Set(families("cpu/kernels"));
    for (const family of families("cuda/kernels")) {
      assert.ok(cpu.has(family), `backends/cuda/kernels/${family}.ts has no backends/cpu/kernels/${family}.ts`);
      const cpuOps = await table("cpu/kernels", family);
      for (const op of Object.keys(await table("cuda/kernels", family))) {
        assert.ok(op in cpuOps, `${op} is in the CUDA ${family} family but not in the CPU's`);
      }
    }
  });

  it("every CPU family file exports its table", async () => {
    for (const family of families("cpu/kernels")) await table("cpu/kernels", family);
  });

  it("every CUDA source file belongs to a CUDA kernel family", () => {
    const kernels = new Set(families("cuda/kernels"));
    for (const family of families("cuda/sources"))
      assert.ok(kernels.has(family), `backends/cuda/sources/${family}.ts has no backends/cuda/kernels/${family}.ts`);
  });
});
