import type { Backend } from "./backend.js";

/**
 * The device registry: backends register here when their module loads (the CPU backend itself; the GPU
 * provider when the composition root, setup.ts, loads it), and placement asks here. Nothing in this file
 * loads a backend, so layers below the composition root reach devices without importing backends' code.
 */

export interface GpuInfo {
  readonly name: string;
  readonly computeCapability: readonly [number, number];
}

/** The GPUs of one driver stack (backends/cuda). Its native libraries load on the first call that needs them. */
export interface GpuProvider {
  /** The GPUs the driver reports, by physical ordinal ([] without a driver or GPU). */
  physicalDevices(): readonly GpuInfo[];
  /** GPUs left visible (tf.config.setVisibleDevices): logical GPU:0, GPU:1, ... */
  visibleCount(): number;
  /** The backend of logical GPU `index`, created on first use; null when it cannot be. */
  backend(index: number): Backend | null;
  /** Backends created so far (memory reports). */
  liveBackends(): readonly Backend[];
  /** Bytes in use by tensors on logical GPU `index` now and at the peak since the last reset. */
  memoryStats(index: number): { current: number; peak: number } | null;
  resetPeakMemory(index: number): void;
}

let cpuFactory: (() => Backend) | null = null;
let cpu: Backend | null = null;
let gpus: GpuProvider | null = null;

export function registerCpuBackend(factory: () => Backend): void {
  cpuFactory = factory;
  cpu = null;
}

/** The CPU backend: the default device, where host-side values live. */
export function defaultBackend(): Backend {
  if (cpu !== null) return cpu;
  if (cpuFactory === null) throw new Error("tsflow: no CPU backend registered");
  return (cpu = cpuFactory());
}

export function registerGpuProvider(p: GpuProvider): void {
  gpus = p;
}

/** The GPU provider, or null when none was loaded (no driver, or TSFLOW_CUDA=0). */
export function gpuProvider(): GpuProvider | null {
  return gpus;
}

export function visibleGpuCount(): number {
  return gpus === null ? 0 : gpus.visibleCount();
}

/** The backend of logical GPU `index`, or null. */
export function gpuBackend(index: number): Backend | null {
  return gpus === null ? null : gpus.backend(index);
}

/** Every backend in use: the CPU's and those of GPUs created so far. */
export function liveBackends(): Backend[] {
  return [defaultBackend(), ...(gpus?.liveBackends() ?? [])];
}
