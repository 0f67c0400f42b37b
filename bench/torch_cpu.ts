/**
 * The PyTorch CPU peer of the training table: runs bench/cpu_torch_train.py (Debian's python3-torch, installed
 * by `npm run bench` through scripts/install-system-deps.sh --bench) and turns its JSON lines into rows.
 * Without Python or torch every row says why, and the rest of the benchmark runs on.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Measurement } from "./timing.js";
import type { ModelName } from "./tsflow_models.js";

export interface TorchCpuRow {
  model: ModelName;
  batch: number;
  runner: "PyTorch cpu";
  result: Measurement | { error: string };
}

interface TorchLine {
  model: ModelName;
  batch: number;
  median?: number;
  reps?: number[];
  error?: string;
}

/**
 * The first Python that imports torch: PATH's python3 (a venv with PyTorch, as on the GPU machine), else
 * Debian's own /usr/bin/python3 (where python3-torch installs when PATH's python3 is another, such as pyenv's).
 */
function torchPython(): string {
  const candidates = ["python3", ...(existsSync("/usr/bin/python3") ? ["/usr/bin/python3"] : [])];
  return candidates.find((p) => spawnSync(p, ["-c", "import torch"], { stdio: "ignore" }).status === 0) ?? "python3";
}

/** PyTorch's rows; `threads` (torch.set_num_threads) defaults to TSFLOW_NUM_THREADS or one per core. */
export function torchCpuRows(models: readonly ModelName[], batches: readonly number[], quick: boolean, threads?: number): TorchCpuRow[] {
  const script = fileURLToPath(new URL("./cpu_torch_train.py", import.meta.url));
  const args = [script, `--models=${models.join(",")}`, `--batches=${batches.join(",")}`, ...(quick ? ["--quick"] : [])];
  const env = threads === undefined ? process.env : { ...process.env, TSFLOW_NUM_THREADS: String(threads) };
  const run = spawnSync(torchPython(), args, { encoding: "utf8", timeout: 30 * 60_000, env });
  const lines = (run.stdout ?? "").split("\n").filter((l) => l.startsWith("{"));
  const parsed = lines.map((l) => JSON.parse(l) as TorchLine);
  const why = run.error ? run.error.message : (run.stderr ?? "").trim().split("\n").pop() || `exit ${run.status}`;
  return models.flatMap((model) =>
    batches.map((batch): TorchCpuRow => {
      const r = parsed.find((p) => p.model === model && p.batch === batch);
      const result: TorchCpuRow["result"] =
        r?.median !== undefined && r.reps
          ? { median: r.median, reps: r.reps, peakRssMiB: Number.NaN }
          : { error: `unavailable: ${(r?.error ?? why).slice(0, 80)}` };
      return { model, batch, runner: "PyTorch cpu", result };
    }),
  );
}
