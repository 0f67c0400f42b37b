/**
 * Switches of the executors (Sessions and eager optimizers), for tests and benchmarks to compare.
 * TSFLOW_GROUP_UPDATES=0: every optimizer update runs on its own instead of grouped per device.
 * TSFLOW_FUSION: which devices' Session plans fuse elementwise chains into one kernel (runtime/fusion.ts):
 * "0"/"off" none, "gpu" GPUs only (the default: on this project's 2-core reference machine, fused JS loops
 * measured slower than the unfused float32 kernels, which run in WebAssembly SIMD), "1"/"all" every device.
 */
export const executorSettings = {
  fusion: fusionMode(process.env.TSFLOW_FUSION),
  /**
   * TSFLOW_EPILOGUES=0: Session plans keep MatMul + bias (+ Relu) as separate nodes instead of one product
   * with a bias epilogue on backends that offer it (runtime/epilogue.ts; cuBLASLt on GPUs).
   */
  epilogues: !["0", "off", "false"].includes((process.env.TSFLOW_EPILOGUES ?? "").toLowerCase()),
  groupUpdates: !["0", "off", "false"].includes((process.env.TSFLOW_GROUP_UPDATES ?? "").toLowerCase()),
};

export type FusionMode = "off" | "gpu" | "all";
function fusionMode(v: string | undefined): FusionMode {
  const s = (v ?? "").toLowerCase();
  if (["0", "off", "false", "none"].includes(s)) return "off";
  if (["1", "all", "on", "true", "cpu"].includes(s)) return "all";
  return "gpu";
}
