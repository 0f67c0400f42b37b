import { getSetting } from "../../core/settings.js";
import { getBlas } from "./blas.js";
import { WasmGemm, wasmGemm } from "./wasm/gemm_runtime.js";

/**
 * Which kernels the CPU backend's matrix products (MatMul, BatchMatMul, convolutions and their gradients)
 * run on: a native BLAS loaded at run time, else the WebAssembly SIMD kernels, else TypeScript loops.
 */
export interface CpuKernelInfo {
  /** "openblas", "accelerate", "mkl", "blis" or "cblas" (a native BLAS); "wasm-simd"; or "js". */
  blas: "openblas" | "accelerate" | "mkl" | "blis" | "cblas" | "wasm-simd" | "js";
  /** The native library's file; null for the built-in kernels. */
  path: string | null;
  /** Threads a large product uses (the threads setting, else a native BLAS's own count or one per core). */
  threads: number;
  /** Whether the WebAssembly kernels use relaxed SIMD's fused multiply-add (false when they are not used). */
  relaxedSimd: boolean;
}

/** Loads the BLAS (or builds the WebAssembly kernels) if nothing has yet, and says which serves. */
export function cpuKernelInfo(): CpuKernelInfo {
  const blas = getBlas();
  if (blas) {
    return { blas: blas.name.toLowerCase() as CpuKernelInfo["blas"], path: blas.path, threads: blas.getThreads?.() ?? 1, relaxedSimd: false };
  }
  const w = getSetting("wasm") === "off" ? null : wasmGemm();
  if (w) return { blas: "wasm-simd", path: null, threads: WasmGemm.threads(), relaxedSimd: w.relaxedSimd };
  return { blas: "js", path: null, threads: 1, relaxedSimd: false };
}
