import { CublasHandle } from "./blas.js";
import { getSetting, markLoaded } from "../../core/settings.js";
import { DeviceContext, DeviceInfo, DriverApi } from "./driver.js";
import { Cublas, Koffi, loadCublas, loadDriver, loadNvrtc, Nvrtc, requireKoffi, shortError } from "./ffi.js";
import { Compiler } from "./nvrtc.js";
import { CudaBackend } from "./backend.js";
import { CudaStepCapture } from "./capture.js";
import { CudaTimer } from "./timer.js";
import { registerGpuProvider } from "../../core/devices.js";
import { noCudaNotice } from "./presence.js";

/**
 * The CUDA runtime of this process, loaded on first use: the driver, NVRTC and cuBLAS, and the GPUs the
 * driver sees. When anything is missing (no driver, no GPU, no NVRTC or cuBLAS), tsflow prints why ONCE on
 * stderr and runs everything on the CPU. The cuda setting (TSFLOW_CUDA=0) disables the GPU silently.
 */

export { NO_CUDA_NOTICE_PREFIX } from "./presence.js";

export interface CudaRuntime {
  readonly koffi: Koffi;
  readonly driver: DriverApi;
  readonly nvrtc: Nvrtc;
  readonly cublas: Cublas;
  readonly driverVersion: number;
  /** Every GPU the driver reports (CUDA_VISIBLE_DEVICES applies), by ordinal. */
  readonly devices: readonly DeviceInfo[];
}

let loaded: { rt: CudaRuntime | null; reason: string } | null = null;
const notice = noCudaNotice;

/** Why no GPU is used (null when one is). Loads the runtime if it was not yet. */
export function cudaUnavailableReason(): string | null {
  cudaRuntime();
  return loaded!.rt ? null : loaded!.reason;
}

export function cudaRuntime(): CudaRuntime | null {
  if (loaded) return loaded.rt;
  const env = process.env;
  markLoaded("cuda");
  if (!getSetting("cuda")) {
    loaded = { rt: null, reason: "disabled by TSFLOW_CUDA" };
    return null;
  }
  const fail = (reason: string) => {
    loaded = { rt: null, reason };
    notice(reason);
    return null;
  };
  if (process.platform !== "linux") return fail(`the cuda backend supports Linux; this is ${process.platform}`);
  let koffi: Koffi;
  try {
    koffi = requireKoffi();
  } catch (e) {
    return fail(`koffi unavailable: ${shortError(e)}`);
  }
  try {
    const lib = loadDriver(koffi);
    if (typeof lib === "string") return fail(lib);
    const driver = new DriverApi(lib, koffi);
    const r = lib.cuInit(0) as number;
    if (r !== 0) return fail(`cuInit: ${driver.errorName(r)}`);
    const count = driver.deviceCount();
    if (count === 0) return fail("the driver reports no GPU");
    const devices = Array.from({ length: count }, (_, i) => driver.deviceInfo(i));
    const nvrtc = loadNvrtc(koffi, env);
    if (typeof nvrtc === "string") return fail(`${devices[0].name} found, but ${nvrtc}; set TSFLOW_CUDA_LIBS or CUDA_PATH`);
    const cublas = loadCublas(koffi, env);
    if (typeof cublas === "string") return fail(`${devices[0].name} found, but ${cublas}; set TSFLOW_CUDA_LIBS or CUDA_PATH`);
    const rt: CudaRuntime = { koffi, driver, nvrtc, cublas, driverVersion: driver.version(), devices };
    loaded = { rt, reason: "" };
    return rt;
  } catch (e) {
    return fail(shortError(e));
  }
}

/** Physical GPUs after tf.config.setVisibleDevices: what becomes GPU:0, GPU:1, ... */
export function visibleGpus(): DeviceInfo[] {
  const rt = cudaRuntime();
  if (!rt) return [];
  const vis = getSetting("visibleGpus");
  return vis === null ? [...rt.devices] : vis.map((i) => rt.devices[i]).filter((d) => d !== undefined);
}

/** tf.config.setLogicalDeviceConfiguration's limit for a physical GPU, in bytes; null: none. */
function memoryLimitBytes(ordinal: number): number | null {
  const mb = getSetting("gpuMemoryLimitMb")[ordinal] ?? 0;
  return mb > 0 ? mb * 2 ** 20 : null;
}

const backends = new Map<number, CudaBackend | null>();

/** The backend of logical GPU `index` (created on first use), or null when there is none. */
export function gpuBackend(index: number): CudaBackend | null {
  const cached = backends.get(index);
  if (cached !== undefined) return cached;
  const info = visibleGpus()[index];
  if (!info) return null;
  const rt = cudaRuntime()!;
  let b: CudaBackend | null = null;
  try {
    markLoaded("gpu");
    const ctx = new DeviceContext(rt.driver, info);
    const compiler = new Compiler(rt.nvrtc, info.computeCapability);
    const blas = new CublasHandle(rt.cublas, ctx);
    b = new CudaBackend(index, ctx, compiler, blas, memoryLimitBytes(info.ordinal));
    b.stepCapture = new CudaStepCapture(b);
    b.deviceTimer = new CudaTimer(b);
  } catch (e) {
    notice(`${info.name}: ${shortError(e)}`);
    b = null;
  }
  backends.set(index, b);
  return b;
}

/** Backends already created (for memory reports and synchronisation). */
export function liveGpuBackends(): CudaBackend[] {
  return [...backends.values()].filter((b): b is CudaBackend => b !== null);
}

// Loading this module (setup.ts does when a driver may be present) makes its GPUs devices (core/devices.ts).
registerGpuProvider({
  physicalDevices: () => cudaRuntime()?.devices ?? [],
  visibleCount: () => visibleGpus().length,
  backend: gpuBackend,
  liveBackends: liveGpuBackends,
  memoryStats(index) {
    const a = gpuBackend(index)?.allocator;
    return a ? { current: a.inUseBytes, peak: a.peakBytes } : null;
  },
  resetPeakMemory(index) {
    gpuBackend(index)?.allocator.resetPeak();
  },
});

export { CudaBackend } from "./backend.js";
export type { DeviceInfo } from "./driver.js";
