import { existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { getSetting } from "../../core/settings.js";

/**
 * CUDA's own libraries reached through koffi (FFI): the driver API (libcuda.so.1), NVRTC (kernels compiled at
 * run time) and cuBLAS. Nothing is compiled at install; everything is found and bound lazily, and any
 * failure becomes a reason string (the caller prints it once and runs on the CPU), never a crash.
 *
 * Search order for each library: the directories of the cudaLibs setting (TSFLOW_CUDA_LIBS, colon-separated), then
 * $CUDA_PATH/{lib64,targets/x86_64-linux/lib}, /usr/local/cuda/{targets/x86_64-linux/lib,lib64}, then the bare
 * soname through the dynamic loader's own search (ld.so.cache, LD_LIBRARY_PATH). libcuda.so.1 is the driver's
 * and is looked up by the loader first (the toolkit's stub of it would load but cannot run anything).
 */

export type Koffi = typeof import("koffi");
/** A bound C function: koffi converts JS values in and out. */
export type Fn = (...args: unknown[]) => unknown;
/** A native pointer as koffi 3 represents it. */
export type Ptr = bigint | null;

export function requireKoffi(): Koffi {
  return createRequire(import.meta.url)("koffi") as Koffi;
}

export function shortError(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const line = msg.split("\n")[0];
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

function targetDir(): string {
  return process.arch === "arm64" ? "sbsa-linux" : "x86_64-linux";
}

/** Directories that may hold the toolkit's libraries (NVRTC, cuBLAS), most preferred first. */
export function cudaLibDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const dirs: string[] = [];
  dirs.push(...getSetting("cudaLibs"));
  for (const root of [env.CUDA_PATH, env.CUDA_HOME, "/usr/local/cuda"]) {
    if (!root) continue;
    dirs.push(`${root}/targets/${targetDir()}/lib`, `${root}/lib64`, `${root}/lib`);
  }
  const ma = process.arch === "arm64" ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
  dirs.push(`/usr/lib/${ma}`, "/usr/lib64");
  return [...new Set(dirs)];
}

function versionOf(file: string, stem: string): number[] {
  return file
    .slice(stem.length)
    .split(".")
    .filter((p) => p !== "")
    .map(Number);
}

/**
 * Candidate files for `stem` ("libnvrtc.so"): versioned files found in the search directories (newest
 * first), then the bare sonames given, which the loader resolves.
 */
export function candidates(stem: string, sonames: readonly string[], env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  for (const dir of cudaLibDirs(env)) {
    let files: string[];
    try {
      if (!existsSync(dir)) continue;
      files = readdirSync(dir);
    } catch {
      continue;
    }
    const hits = files
      .filter((f) => f === stem || (f.startsWith(`${stem}.`) && /^[\d.]+$/.test(f.slice(stem.length + 1))))
      .sort((a, b) => {
        const va = versionOf(a, stem);
        const vb = versionOf(b, stem);
        for (let i = 0; i < Math.max(va.length, vb.length); i++) {
          const d = (vb[i] ?? -1) - (va[i] ?? -1);
          if (d !== 0) return d;
        }
        return 0;
      });
    for (const f of hits) out.push(`${dir}/${f}`);
  }
  out.push(...sonames);
  return [...new Set(out)];
}

export function tryLoad(
  koffi: Koffi,
  cands: readonly string[],
  mustHave: string,
  preload?: (path: string) => void,
): { lib: ReturnType<Koffi["load"]>; path: string } | string {
  const reasons: string[] = [];
  for (const path of cands) {
    try {
      preload?.(path);
      const lib = koffi.load(path);
      try {
        lib.symbol(mustHave);
      } catch {
        reasons.push(`${path}: no ${mustHave}`);
        continue;
      }
      return { lib, path };
    } catch (e) {
      reasons.push(shortError(e));
    }
  }
  return reasons.length > 0 ? reasons[reasons.length - 1] : "not found";
}

// ---------------------------------------------------------------- the driver API

export interface Driver {
  readonly path: string;
  cuInit: Fn;
  cuDriverGetVersion: Fn;
  cuGetErrorName: Fn;
  cuGetErrorString: Fn;
  cuDeviceGetCount: Fn;
  cuDeviceGet: Fn;
  cuDeviceGetName: Fn;
  cuDeviceTotalMem: Fn;
  cuDeviceGetAttribute: Fn;
  cuDevicePrimaryCtxRetain: Fn;
  cuCtxSetCurrent: Fn;
  cuCtxSynchronize: Fn;
  cuStreamCreate: Fn;
  cuStreamSynchronize: Fn;
  cuStreamQuery: Fn;
  cuMemAlloc: Fn;
  cuMemFree: Fn;
  cuMemGetInfo: Fn;
  cuMemcpyHtoDAsync: Fn;
  cuMemcpyDtoHAsync: Fn;
  cuMemcpyDtoDAsync: Fn;
  cuMemsetD8Async: Fn;
  cuMemsetD32Async: Fn;
  cuMemHostAlloc: Fn;
  cuMemFreeHost: Fn;
  cuModuleLoadData: Fn;
  cuModuleGetFunction: Fn;
  cuLaunchKernel: Fn;
  cuEventCreate: Fn;
  cuEventRecord: Fn;
  cuEventSynchronize: Fn;
  cuEventQuery: Fn;
  cuEventElapsedTime: Fn;
  cuEventDestroy: Fn;
  /** Stream capture and graphs (CUDA 11.4+): a Session step captured once and replayed. */
  /** null when the driver lacks them (then steps are never captured). */
  graphs: {
    cuStreamBeginCapture: Fn;
    cuStreamEndCapture: Fn;
    cuGraphInstantiateWithFlags: Fn;
    cuGraphLaunch: Fn;
    cuGraphExecDestroy: Fn;
    cuGraphDestroy: Fn;
    cuGraphGetNodes: Fn;
  } | null;
  /**
   * Event-record nodes in graphs (CUDA 11.1+), for the profiler's timed graphs; null when the driver lacks
   * them (then a traced replay is timed as one span). Graph nodes are passed as 64-bit integers (CUgraphNode,
   * read from cuGraphGetNodes' array).
   */
  graphEvents: {
    cuEventRecordWithFlags: Fn;
    cuGraphNodeGetType: Fn;
    cuGraphEventRecordNodeGetEvent: Fn;
    cuGraphExecEventRecordNodeSetEvent: Fn;
  } | null;
}

export function loadDriver(koffi: Koffi): Driver | string {
  // The driver comes with the kernel module, so the loader's path is tried first; then the usual places.
  // The cudaDriver setting (TSFLOW_CUDA_DRIVER) names the one file to load (tests use it to simulate a
  // machine without a driver).
  const forced = getSetting("cudaDriver");
  const extra = getSetting("cudaLibs").map((d) => `${d}/libcuda.so.1`);
  const cands = forced
    ? [forced]
    : [
        ...extra,
        "libcuda.so.1",
        "/usr/lib/x86_64-linux-gnu/libcuda.so.1",
        "/usr/lib64/libcuda.so.1",
        "/usr/local/nvidia/lib64/libcuda.so.1",
        "/usr/lib/wsl/lib/libcuda.so.1",
      ];
  const present = cands.filter((c) => !c.includes("/") || existsSync(c));
  if (present.length === 0) return `libcuda.so.1: ${forced ? `TSFLOW_CUDA_DRIVER=${forced}: no such file` : "not found"}`;
  const r = tryLoad(koffi, present, "cuLaunchKernel");
  if (typeof r === "string") return `libcuda.so.1: ${r}`;
  const f = (sig: string) => r.lib.func(sig) as unknown as Fn;
  // Handles (contexts, streams, modules, functions, events) are opaque pointers; device memory is a
  // CUdeviceptr (an unsigned 64-bit integer, a JS number here: device addresses stay far below 2^53).
  return {
    path: r.path,
    cuInit: f("int cuInit(unsigned int flags)"),
    cuDriverGetVersion: f("int cuDriverGetVersion(_Out_ int *version)"),
    cuGetErrorName: f("int cuGetErrorName(int error, _Out_ const char **name)"),
    cuGetErrorString: f("int cuGetErrorString(int error, _Out_ const char **str)"),
    cuDeviceGetCount: f("int cuDeviceGetCount(_Out_ int *count)"),
    cuDeviceGet: f("int cuDeviceGet(_Out_ int *device, int ordinal)"),
    cuDeviceGetName: f("int cuDeviceGetName(void *name, int len, int dev)"),
    cuDeviceTotalMem: f("int cuDeviceTotalMem_v2(_Out_ size_t *bytes, int dev)"),
    cuDeviceGetAttribute: f("int cuDeviceGetAttribute(_Out_ int *value, int attrib, int dev)"),
    cuDevicePrimaryCtxRetain: f("int cuDevicePrimaryCtxRetain(_Out_ void **ctx, int dev)"),
    cuCtxSetCurrent: f("int cuCtxSetCurrent(void *ctx)"),
    cuCtxSynchronize: f("int cuCtxSynchronize()"),
    cuStreamCreate: f("int cuStreamCreate(_Out_ void **stream, unsigned int flags)"),
    cuStreamSynchronize: f("int cuStreamSynchronize(void *stream)"),
    cuStreamQuery: f("int cuStreamQuery(void *stream)"),
    cuMemAlloc: f("int cuMemAlloc_v2(_Out_ uint64_t *dptr, size_t bytes)"),
    cuMemFree: f("int cuMemFree_v2(uint64_t dptr)"),
    cuMemGetInfo: f("int cuMemGetInfo_v2(_Out_ size_t *free, _Out_ size_t *total)"),
    cuMemcpyHtoDAsync: f("int cuMemcpyHtoDAsync_v2(uint64_t dst, const void *src, size_t bytes, void *stream)"),
    cuMemcpyDtoHAsync: f("int cuMemcpyDtoHAsync_v2(void *dst, uint64_t src, size_t bytes, void *stream)"),
    cuMemcpyDtoDAsync: f("int cuMemcpyDtoDAsync_v2(uint64_t dst, uint64_t src, size_t bytes, void *stream)"),
    cuMemsetD8Async: f("int cuMemsetD8Async(uint64_t dst, uint8_t value, size_t n, void *stream)"),
    cuMemsetD32Async: f("int cuMemsetD32Async(uint64_t dst, uint32_t value, size_t n, void *stream)"),
    cuMemHostAlloc: f("int cuMemHostAlloc(_Out_ void **p, size_t bytes, unsigned int flags)"),
    cuMemFreeHost: f("int cuMemFreeHost(void *p)"),
    cuModuleLoadData: f("int cuModuleLoadData(_Out_ void **module, const void *image)"),
    cuModuleGetFunction: f("int cuModuleGetFunction(_Out_ void **fn, void *module, const char *name)"),
    cuLaunchKernel: f(
      "int cuLaunchKernel(void *fn, uint32_t gx, uint32_t gy, uint32_t gz, uint32_t bx, uint32_t by, uint32_t bz, uint32_t shmem, void *stream, void *params, void *extra)",
    ),
    cuEventCreate: f("int cuEventCreate(_Out_ void **event, unsigned int flags)"),
    cuEventRecord: f("int cuEventRecord(void *event, void *stream)"),
    cuEventSynchronize: f("int cuEventSynchronize(void *event)"),
    cuEventQuery: f("int cuEventQuery(void *event)"),
    cuEventElapsedTime: f("int cuEventElapsedTime(_Out_ float *ms, void *start, void *end)"),
    cuEventDestroy: f("int cuEventDestroy_v2(void *event)"),
    graphs: (() => {
      try {
        return {
          cuStreamBeginCapture: f("int cuStreamBeginCapture_v2(void *stream, int mode)"),
          cuStreamEndCapture: f("int cuStreamEndCapture(void *stream, _Out_ void **graph)"),
          cuGraphInstantiateWithFlags: f("int cuGraphInstantiateWithFlags(_Out_ void **exec, void *graph, unsigned long long flags)"),
          cuGraphLaunch: f("int cuGraphLaunch(void *exec, void *stream)"),
          cuGraphExecDestroy: f("int cuGraphExecDestroy(void *exec)"),
          cuGraphDestroy: f("int cuGraphDestroy(void *graph)"),
          cuGraphGetNodes: f("int cuGraphGetNodes(void *graph, void *nodes, _Inout_ size_t *count)"),
        };
      } catch {
        return null;
      }
    })(),
    graphEvents: (() => {
      try {
        return {
          cuEventRecordWithFlags: f("int cuEventRecordWithFlags(void *event, void *stream, unsigned int flags)"),
          cuGraphNodeGetType: f("int cuGraphNodeGetType(uint64_t node, _Out_ int *type)"),
          cuGraphEventRecordNodeGetEvent: f("int cuGraphEventRecordNodeGetEvent(uint64_t node, _Out_ void **event)"),
          cuGraphExecEventRecordNodeSetEvent: f("int cuGraphExecEventRecordNodeSetEvent(void *exec, uint64_t node, void *event)"),
        };
      } catch {
        return null;
      }
    })(),
  };
}

// ---------------------------------------------------------------- NVRTC

export interface Nvrtc {
  readonly path: string;
  nvrtcVersion: Fn;
  nvrtcGetErrorString: Fn;
  nvrtcCreateProgram: Fn;
  nvrtcCompileProgram: Fn;
  nvrtcDestroyProgram: Fn;
  nvrtcGetProgramLogSize: Fn;
  nvrtcGetProgramLog: Fn;
  nvrtcGetCUBINSize: Fn | null;
  nvrtcGetCUBIN: Fn | null;
  nvrtcGetPTXSize: Fn;
  nvrtcGetPTX: Fn;
  nvrtcGetNumSupportedArchs: Fn | null;
  nvrtcGetSupportedArchs: Fn | null;
}

export function loadNvrtc(koffi: Koffi, env: NodeJS.ProcessEnv = process.env): Nvrtc | string {
  const cands = candidates("libnvrtc.so", ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so"], env);
  // NVRTC dlopens its builtins library by soname at compile time: load it first from the same folder, so
  // that a library found outside the loader's path still compiles.
  const preload = (path: string) => {
    if (!path.includes("/")) return;
    const dir = path.slice(0, path.lastIndexOf("/"));
    try {
      const b = readdirSync(dir)
        .filter((f) => f.startsWith("libnvrtc-builtins.so."))
        .sort()
        .reverse()[0];
      if (b) koffi.load(`${dir}/${b}`);
    } catch {
      // the compile will say what is missing
    }
  };
  const r = tryLoad(koffi, cands, "nvrtcCompileProgram", preload);
  if (typeof r === "string") return `NVRTC (libnvrtc.so): ${r}`;
  const f = (sig: string) => r.lib.func(sig) as unknown as Fn;
  const opt = (name: string, sig: string) => {
    try {
      r.lib.symbol(name);
      return f(sig);
    } catch {
      return null;
    }
  };
  return {
    path: r.path,
    nvrtcVersion: f("int nvrtcVersion(_Out_ int *major, _Out_ int *minor)"),
    nvrtcGetErrorString: f("const char *nvrtcGetErrorString(int result)"),
    nvrtcCreateProgram: f("int nvrtcCreateProgram(_Out_ void **prog, const char *src, const char *name, int numHeaders, void *headers, void *includeNames)"),
    nvrtcCompileProgram: f("int nvrtcCompileProgram(void *prog, int numOptions, const char **options)"),
    nvrtcDestroyProgram: f("int nvrtcDestroyProgram(_Inout_ void **prog)"),
    nvrtcGetProgramLogSize: f("int nvrtcGetProgramLogSize(void *prog, _Out_ size_t *size)"),
    nvrtcGetProgramLog: f("int nvrtcGetProgramLog(void *prog, void *log)"),
    nvrtcGetCUBINSize: opt("nvrtcGetCUBINSize", "int nvrtcGetCUBINSize(void *prog, _Out_ size_t *size)"),
    nvrtcGetCUBIN: opt("nvrtcGetCUBIN", "int nvrtcGetCUBIN(void *prog, void *cubin)"),
    nvrtcGetPTXSize: f("int nvrtcGetPTXSize(void *prog, _Out_ size_t *size)"),
    nvrtcGetPTX: f("int nvrtcGetPTX(void *prog, void *ptx)"),
    nvrtcGetNumSupportedArchs: opt("nvrtcGetNumSupportedArchs", "int nvrtcGetNumSupportedArchs(_Out_ int *n)"),
    nvrtcGetSupportedArchs: opt("nvrtcGetSupportedArchs", "int nvrtcGetSupportedArchs(void *archs)"),
  };
}

// ---------------------------------------------------------------- cuBLAS

export interface Cublas {
  readonly path: string;
  cublasCreate: Fn;
  cublasDestroy: Fn;
  cublasSetStream: Fn;
  cublasSetMathMode: Fn;
  cublasGetVersion: Fn;
  cublasSgemm: Fn;
  cublasDgemm: Fn;
  cublasSgemmStridedBatched: Fn;
  cublasDgemmStridedBatched: Fn;
  /** Mixed-type products (float16/bfloat16 operands, float32 accumulation), where cuBLASLt declines or for batches. */
  cublasGemmEx: Fn;
  cublasGemmStridedBatchedEx: Fn;
  /** A workspace of our own: nothing is allocated inside a stream capture. */
  cublasSetWorkspace: Fn | null;
  /** cuBLASLt, loaded beside cuBLAS: products with algorithms chosen once per shape (blas.ts). */
  lt: CublasLt | null;
}

export interface CublasLt {
  cublasLtCreate: Fn;
  cublasLtMatmulDescCreate: Fn;
  cublasLtMatmulDescSetAttribute: Fn;
  cublasLtMatrixLayoutCreate: Fn;
  cublasLtMatrixLayoutSetAttribute: Fn;
  cublasLtMatmulPreferenceCreate: Fn;
  cublasLtMatmulPreferenceSetAttribute: Fn;
  cublasLtMatmulAlgoGetHeuristic: Fn;
  cublasLtMatmul: Fn;
}

function bindCublasLt(lib: ReturnType<Koffi["load"]>): CublasLt | null {
  const f = (sig: string) => lib.func(sig) as unknown as Fn;
  try {
    // Descriptors are opaque pointers; attribute values and the chosen algorithm (64 bytes) are host
    // buffers; matrices and the workspace are device pointers.
    return {
      cublasLtCreate: f("int cublasLtCreate(_Out_ void **handle)"),
      cublasLtMatmulDescCreate: f("int cublasLtMatmulDescCreate(_Out_ void **desc, int computeType, int scaleType)"),
      cublasLtMatmulDescSetAttribute: f("int cublasLtMatmulDescSetAttribute(void *desc, int attr, const void *buf, size_t bytes)"),
      cublasLtMatrixLayoutCreate: f("int cublasLtMatrixLayoutCreate(_Out_ void **layout, int type, uint64_t rows, uint64_t cols, int64_t ld)"),
      cublasLtMatrixLayoutSetAttribute: f("int cublasLtMatrixLayoutSetAttribute(void *layout, int attr, const void *buf, size_t bytes)"),
      cublasLtMatmulPreferenceCreate: f("int cublasLtMatmulPreferenceCreate(_Out_ void **pref)"),
      cublasLtMatmulPreferenceSetAttribute: f("int cublasLtMatmulPreferenceSetAttribute(void *pref, int attr, const void *buf, size_t bytes)"),
      cublasLtMatmulAlgoGetHeuristic: f(
        "int cublasLtMatmulAlgoGetHeuristic(void *handle, void *desc, void *a, void *b, void *c, void *d, void *pref, int count, void *results, _Out_ int *found)",
      ),
      cublasLtMatmul: f(
        "int cublasLtMatmul(void *handle, void *desc, const void *alpha, uint64_t a, void *adesc, uint64_t b, void *bdesc, const void *beta, uint64_t c, void *cdesc, uint64_t d, void *ddesc, const void *algo, uint64_t workspace, size_t wsBytes, void *stream)",
      ),
    };
  } catch {
    return null;
  }
}

export function loadCublas(koffi: Koffi, env: NodeJS.ProcessEnv = process.env): Cublas | string {
  const cands = candidates("libcublas.so", ["libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so"], env);
  // libcublas needs libcublasLt of the same version: load it first from the same folder.
  let ltLib: ReturnType<Koffi["load"]> | null = null;
  const preload = (path: string) => {
    const lt = path.replace(/libcublas\.so/, "libcublasLt.so");
    if (!path.includes("/")) {
      try {
        ltLib = koffi.load(lt);
      } catch {
        ltLib = null;
      }
      return;
    }
    if (existsSync(lt)) ltLib = koffi.load(lt);
  };
  const r = tryLoad(koffi, cands, "cublasSgemm_v2", preload);
  if (typeof r === "string") return `cuBLAS (libcublas.so): ${r}`;
  const lt = ltLib === null || !getSetting("cublasLt") ? null : bindCublasLt(ltLib);
  const f = (sig: string) => r.lib.func(sig) as unknown as Fn;
  // Matrices are device pointers (uint64_t, as CUdeviceptr); alpha and beta are host scalars.
  return {
    path: r.path,
    lt,
    cublasCreate: f("int cublasCreate_v2(_Out_ void **handle)"),
    cublasDestroy: f("int cublasDestroy_v2(void *handle)"),
    cublasSetStream: f("int cublasSetStream_v2(void *handle, void *stream)"),
    cublasSetMathMode: f("int cublasSetMathMode(void *handle, int mode)"),
    cublasGetVersion: f("int cublasGetVersion_v2(void *handle, _Out_ int *version)"),
    cublasSetWorkspace: (() => {
      try {
        return f("int cublasSetWorkspace_v2(void *handle, uint64_t workspace, size_t bytes)");
      } catch {
        return null;
      }
    })(),
    cublasSgemm: f(
      "int cublasSgemm_v2(void *handle, int ta, int tb, int m, int n, int k, const float *alpha, uint64_t a, int lda, uint64_t b, int ldb, const float *beta, uint64_t c, int ldc)",
    ),
    cublasDgemm: f(
      "int cublasDgemm_v2(void *handle, int ta, int tb, int m, int n, int k, const double *alpha, uint64_t a, int lda, uint64_t b, int ldb, const double *beta, uint64_t c, int ldc)",
    ),
    cublasSgemmStridedBatched: f(
      "int cublasSgemmStridedBatched(void *handle, int ta, int tb, int m, int n, int k, const float *alpha, uint64_t a, int lda, int64_t sa, uint64_t b, int ldb, int64_t sb, const float *beta, uint64_t c, int ldc, int64_t sc, int batch)",
    ),
    cublasGemmEx: f(
      "int cublasGemmEx(void *handle, int ta, int tb, int m, int n, int k, const float *alpha, uint64_t a, int atype, int lda, uint64_t b, int btype, int ldb, const float *beta, uint64_t c, int ctype, int ldc, int computeType, int algo)",
    ),
    cublasGemmStridedBatchedEx: f(
      "int cublasGemmStridedBatchedEx(void *handle, int ta, int tb, int m, int n, int k, const float *alpha, uint64_t a, int atype, int lda, int64_t sa, uint64_t b, int btype, int ldb, int64_t sb, const float *beta, uint64_t c, int ctype, int ldc, int64_t sc, int batch, int computeType, int algo)",
    ),
    cublasDgemmStridedBatched: f(
      "int cublasDgemmStridedBatched(void *handle, int ta, int tb, int m, int n, int k, const double *alpha, uint64_t a, int lda, int64_t sa, uint64_t b, int ldb, int64_t sb, const double *beta, uint64_t c, int ldc, int64_t sc, int batch)",
    ),
  };
}
