/**
 * What the mixed-precision benchmark runs and measures against, shared by its tsflow runner
 * (bench/gpu_mp_train.ts) and its report (bench/gpu_mp_report.ts); the Python peers (bench/gpu_torch_mp.py,
 * bench/gpu_jax_mp.py) repeat the configurations and the peaks, and write rows of the same fields.
 */
import type { GpuMeasurement } from "./gpu_timing.js";
import type { MpModelConfig, MpModelName, Precision } from "./mp_models.js";

/** Model and batch, as issue 14 asks: ResNet-18 at 256 and 1024, the 4096-wide MLP at 1024. */
export const MP_CONFIGS: readonly (readonly [MpModelName, number])[] = [
  ["resnet18", 256],
  ["resnet18", 1024],
  ["mlp4096", 1024],
];

/** The models at tiny sizes, for the runners' --cpu-smoke runs (the same in bench/gpu_torch_mp.py). */
export const SMOKE_MODELS: Record<MpModelName, MpModelConfig> = {
  resnet18: { kind: "resnet18", width: 8, size: 16, classes: 10 },
  mlp4096: { kind: "mlp", input: 64, width: 64, depth: 3, classes: 10 },
};
export const SMOKE_CONFIGS: readonly (readonly [MpModelName, number])[] = [
  ["resnet18", 2],
  ["mlp4096", 2],
];

/**
 * Dense (no sparsity) peak TFLOP/s of an H200 SXM by NVIDIA's datasheet: FP32 without tensor cores, the
 * others on tensor cores (the datasheet's TF32/BF16/FP16 figures are with 2:4 sparsity; these are half).
 * Measured on the lent H200 machines (the device notes, 2026-10 and -11): an 8192^3 bf16 matrix product
 * through PyTorch at about 790 TFLOP/s, 80% of the datasheet's bf16 figure.
 */
export const PEAKS: Record<Precision, number> = { fp32: 67, tf32: 494.5, bf16: 989.5, fp16: 989.5 };

export interface MpRow extends GpuMeasurement {
  model: MpModelName;
  batch: number;
  precision: Precision;
  /** How the step ran (tsflow: graph mode as a CUDA graph; PyTorch: eager, CUDA graph or torch.compile). */
  runner: string;
  flopsPerStep: number;
  tflops: number;
  peakTflops: number;
  percentOfPeak: number;
  /** Ops of the step that ran on the CPU instead (tsflow; each stops the CUDA-graph capture). */
  cpuFallbacks?: string[];
  error?: string;
}
