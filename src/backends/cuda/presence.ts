import { existsSync, readFileSync } from "node:fs";
import type { GpuProvider } from "../../core/devices.js";
import { getSetting, markLoaded } from "../../core/settings.js";
import { LOG_PREFIX, logInfo } from "../../core/logging.js";

/**
 * Whether a CUDA driver can be here, decided from files alone so that the composition root (setup.ts) loads
 * the cuda backend's modules only where a GPU may exist. Nothing native is loaded and no other module of
 * the backend is imported; the driver itself is loaded later, on the first GPU query (index.ts). Decided when
 * tsflow is imported: the cuda, cudaDriver and cudaLibs settings changed later apply only where a driver may
 * be (the environment variables are read in time).
 */

const NO_CUDA = "no CUDA GPU";
/** The start of the INFO line printed (with TSFLOW_LOG_LEVEL=0) on a machine without a usable CUDA driver. */
export const NO_CUDA_NOTICE_PREFIX = `${LOG_PREFIX}${NO_CUDA}`;

let noticed = false;
/** Says once per process, at INFO level (shown with TSFLOW_LOG_LEVEL=0), why everything runs on the CPU. */
export function noCudaNotice(reason: string): void {
  if (noticed) return;
  noticed = true;
  logInfo(`${NO_CUDA} (${reason}); running on the CPU`);
}

export interface CudaAbsence {
  readonly reason: string;
  /** TSFLOW_CUDA=0: no notice. */
  readonly silent: boolean;
}

/** Directories the dynamic loader and ffi.ts look in for libcuda.so.1, besides ld.so.cache. */
function driverDirs(): string[] {
  const ld = (process.env.LD_LIBRARY_PATH ?? "")
    .split(":")
    .map((d) => d.trim())
    .filter((d) => d !== "");
  const ma = process.arch === "arm64" ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
  return [
    ...getSetting("cudaLibs"),
    ...ld,
    `/usr/lib/${ma}`,
    `/lib/${ma}`,
    "/usr/lib64",
    "/lib64",
    "/usr/lib",
    "/lib",
    "/usr/local/nvidia/lib64",
    "/usr/lib/wsl/lib",
  ];
}

function inLoaderCache(soname: string): boolean {
  try {
    return readFileSync("/etc/ld.so.cache").includes(soname);
  } catch {
    return false;
  }
}

/** Why no CUDA driver can be loaded here, or null when one may be (then the backend's modules load). */
export function cudaAbsence(): CudaAbsence | null {
  if (!getSetting("cuda")) return { reason: "disabled by TSFLOW_CUDA", silent: true };
  if (process.platform !== "linux") return { reason: `the cuda backend supports Linux; this is ${process.platform}`, silent: false };
  const forced = getSetting("cudaDriver");
  if (forced) return existsSync(forced) ? null : { reason: `libcuda.so.1: TSFLOW_CUDA_DRIVER=${forced}: no such file`, silent: false };
  // The kernel module's files, or the driver library where the loader or ffi.ts would find it.
  if (existsSync("/proc/driver/nvidia") || existsSync("/dev/nvidiactl") || existsSync("/dev/dxg")) return null;
  if (driverDirs().some((d) => existsSync(`${d}/libcuda.so.1`)) || inLoaderCache("libcuda.so.1")) return null;
  return { reason: "libcuda.so.1: not found", silent: false };
}

/** The GPU provider of a machine without CUDA: no GPUs; the first question prints why (unless silent). */
export function noGpuProvider(absence: CudaAbsence): GpuProvider {
  // As when the driver is looked for and not found (index.ts): the cuda settings are fixed from now on.
  const none = () => {
    markLoaded("cuda");
    if (!absence.silent) noCudaNotice(absence.reason);
  };
  return {
    physicalDevices: () => {
      none();
      return [];
    },
    visibleCount: () => {
      none();
      return 0;
    },
    backend: () => {
      none();
      return null;
    },
    liveBackends: () => [],
    memoryStats: () => null,
    resetPeakMemory: () => {},
  };
}
