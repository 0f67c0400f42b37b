import { existsSync, readFileSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { debugOn, getSetting, markLoaded } from "../../core/settings.js";
import { LOG_PREFIX, logWarning } from "../../core/logging.js";

/**
 * A CBLAS loaded at run time through koffi (FFI), so that float32/float64 matrix products run at
 * native speed without a compiled addon. Search order:
 *   1. TSFLOW_BLAS=/path/to/lib (TSFLOW_BLAS=none disables BLAS; an explicit path that does not load
 *      is NOT followed by the automatic search, so that what was asked for is what runs);
 *   2. Linux: OpenBLAS (libopenblas.so.0, libopenblas.so, Debian's openblas-{pthread,openmp,serial}
 *      directories), then the libcblas.so.3 / libblas.so.3 alternatives;
 *   3. macOS: Apple Accelerate, then Homebrew's OpenBLAS; Windows: libopenblas.dll.
 * A library is accepted only if it exports cblas_sgemm and cblas_dgemm. When none loads, tsflow keeps
 * running on its built-in WebAssembly kernels and says so once on stderr.
 */

export type BlasTranspose = boolean;

export interface Blas {
  /** "OpenBLAS", "Accelerate", "MKL", "BLIS" or "CBLAS". */
  readonly name: string;
  /** The file that was loaded (resolved through symlinks where it could be). */
  readonly path: string;
  /** OpenBLAS's build configuration string, when available. */
  readonly config?: string;
  /**
   * Row-major C = alpha·op(A)·op(B) + beta·C. Arrays are passed to C without copying; pass
   * `subarray` views (or the offset arguments) to start inside a larger buffer.
   */
  sgemm(
    transA: BlasTranspose,
    transB: BlasTranspose,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: Float32Array,
    aOffset: number,
    lda: number,
    b: Float32Array,
    bOffset: number,
    ldb: number,
    beta: number,
    c: Float32Array,
    cOffset: number,
    ldc: number,
  ): void;
  dgemm(
    transA: BlasTranspose,
    transB: BlasTranspose,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: Float64Array,
    aOffset: number,
    lda: number,
    b: Float64Array,
    bOffset: number,
    ldb: number,
    beta: number,
    c: Float64Array,
    cOffset: number,
    ldc: number,
  ): void;
  /**
   * Level-1/2 routines, present when the library exports them (use ./blas_ops.ts, which falls back to
   * TypeScript loops when they are absent). Increments are 1; offsets index into the arrays.
   * y[yOff..] += alpha·x[xOff..] over n elements.
   */
  saxpy?(n: number, alpha: number, x: Float32Array, xOff: number, y: Float32Array, yOff: number): void;
  daxpy?(n: number, alpha: number, x: Float64Array, xOff: number, y: Float64Array, yOff: number): void;
  /** x[xOff..] *= alpha over n elements. */
  sscal?(n: number, alpha: number, x: Float32Array, xOff: number): void;
  dscal?(n: number, alpha: number, x: Float64Array, xOff: number): void;
  /** Row-major y = alpha·op(A)·x + beta·y with A stored [m, n] (row stride lda). */
  sgemv?(
    transA: BlasTranspose,
    m: number,
    n: number,
    alpha: number,
    a: Float32Array,
    aOff: number,
    lda: number,
    x: Float32Array,
    xOff: number,
    beta: number,
    y: Float32Array,
    yOff: number,
  ): void;
  dgemv?(
    transA: BlasTranspose,
    m: number,
    n: number,
    alpha: number,
    a: Float64Array,
    aOff: number,
    lda: number,
    x: Float64Array,
    xOff: number,
    beta: number,
    y: Float64Array,
    yOff: number,
  ): void;
  /**
   * Out-of-place transpose (OpenBLAS's cblas_somatcopy/domatcopy extension): B[j, i] = A[i, j] for
   * A stored row-major [rows, cols] with row stride lda, B [cols, rows] with row stride ldb.
   */
  somatcopyT?(rows: number, cols: number, a: Float32Array, aOff: number, lda: number, b: Float32Array, bOff: number, ldb: number): void;
  domatcopyT?(rows: number, cols: number, a: Float64Array, aOff: number, lda: number, b: Float64Array, bOff: number, ldb: number): void;
  /** Number of threads the library uses (OpenBLAS only). */
  setThreads?(n: number): void;
  getThreads?(): number;
}

const CBLAS_ROW_MAJOR = 101;
const CBLAS_NO_TRANS = 111;
const CBLAS_TRANS = 112;

const NO_BLAS = "no BLAS found";
/** The WARNING printed once when no BLAS could be loaded. */
export const NO_BLAS_NOTICE_PREFIX = `${LOG_PREFIX}${NO_BLAS}`;

function linuxMultiarch(): string | null {
  switch (process.arch) {
    case "x64":
      return "x86_64-linux-gnu";
    case "arm64":
      return "aarch64-linux-gnu";
    case "ppc64":
      return "powerpc64le-linux-gnu";
    case "riscv64":
      return "riscv64-linux-gnu";
    case "loong64":
      return "loongarch64-linux-gnu";
    default:
      return null;
  }
}

/** Candidate libraries, most preferred first (bare names go through the dynamic loader's search path). */
export function blasCandidates(platform: NodeJS.Platform = process.platform): string[] {
  if (platform === "darwin") {
    return [
      "/System/Library/Frameworks/Accelerate.framework/Accelerate",
      "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
      "/usr/local/opt/openblas/lib/libopenblas.dylib",
      "libopenblas.dylib",
    ];
  }
  if (platform === "win32") return ["libopenblas.dll", "openblas.dll"];
  const out = ["libopenblas.so.0", "libopenblas.so"];
  const ma = linuxMultiarch();
  for (const dir of ma ? [`/usr/lib/${ma}`, "/usr/lib64", "/usr/lib"] : ["/usr/lib64", "/usr/lib"]) {
    for (const v of ["openblas-pthread", "openblas-openmp", "openblas-serial", "openblas"]) {
      out.push(`${dir}/${v}/libopenblas.so.0`);
    }
  }
  out.push("libcblas.so.3", "libblas.so.3", "libcblas.so", "libblas.so");
  return out;
}

type Koffi = typeof import("koffi");
type KoffiFn = (...args: unknown[]) => unknown;

/** koffi is required lazily (and synchronously) so that a platform without its native module still runs. */
function requireKoffi(): Koffi {
  const req = createRequire(import.meta.url);
  return req("koffi") as Koffi;
}

function shortError(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const line = msg.split("\n")[0];
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}

/**
 * The file actually loaded: symlinks resolved, and on Linux a bare soname ("libopenblas.so.0") looked
 * up among the process's mapped files. Informational only; falls back to the name given.
 */
function resolvePath(p: string): string {
  try {
    if (p.includes("/")) return existsSync(p) ? realpathSync(p) : p;
    if (process.platform !== "linux") return p;
    const stem = p.replace(/\.(so|dylib|dll).*$/, "");
    const files = new Set<string>();
    for (const line of readFileSync("/proc/self/maps", "utf8").split("\n")) {
      const i = line.indexOf("/");
      if (i >= 0) files.add(line.slice(i).trim());
    }
    const base = (f: string) => f.slice(f.lastIndexOf("/") + 1);
    const hit = [...files].find((f) => base(f) === p) ?? [...files].find((f) => base(f).startsWith(stem));
    return hit ? realpathSync(hit) : p;
  } catch {
    return p;
  }
}

/** Tries to load one library; returns the bound Blas, or the reason it was rejected. */
export function loadBlasFrom(path: string, koffi: Koffi = requireKoffi()): Blas | string {
  if (path.includes("/") && !existsSync(path)) return "no such file";
  let lib: ReturnType<Koffi["load"]>;
  try {
    lib = koffi.load(path);
  } catch (e) {
    return shortError(e);
  }
  const has = (sym: string): boolean => {
    try {
      lib.symbol(sym);
      return true;
    } catch {
      return false;
    }
  };
  if (!has("cblas_sgemm") || !has("cblas_dgemm")) {
    try {
      lib.unload();
    } catch {
      // keep it loaded; nothing references it
    }
    return "no cblas_sgemm/cblas_dgemm symbols";
  }
  // CBLAS's classic (LP64) interface: enums and dimensions are C ints.
  const sg = lib.func(
    "void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, " +
      "const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc)",
  ) as unknown as KoffiFn;
  const dg = lib.func(
    "void cblas_dgemm(int order, int transA, int transB, int m, int n, int k, double alpha, " +
      "const double *a, int lda, const double *b, int ldb, double beta, double *c, int ldc)",
  ) as unknown as KoffiFn;

  let name = "CBLAS";
  let config: string | undefined;
  let setThreads: ((n: number) => void) | undefined;
  let getThreads: (() => number) | undefined;
  if (has("openblas_get_config")) {
    name = "OpenBLAS";
    try {
      const cfg = lib.func("const char *openblas_get_config()") as unknown as () => string;
      config = String(cfg()).trim();
    } catch {
      // informational only
    }
    if (has("openblas_set_num_threads") && has("openblas_get_num_threads")) {
      const set = lib.func("void openblas_set_num_threads(int n)") as unknown as (n: number) => void;
      const get = lib.func("int openblas_get_num_threads()") as unknown as () => number;
      setThreads = (n) => set(Math.max(1, Math.floor(n)));
      getThreads = () => get();
    }
  } else if (path.includes("Accelerate") || has("vDSP_mmul")) {
    name = "Accelerate";
  } else if (has("mkl_get_max_threads") || has("MKL_Get_Max_Threads")) {
    name = "MKL";
  } else if (has("bli_info_get_version_str")) {
    name = "BLIS";
  }

  // Views are made only for non-zero offsets: a subarray costs about as much as the FFI call itself.
  const view = <T extends Float32Array | Float64Array>(x: T, off: number): T => (off === 0 ? x : (x.subarray(off) as T));

  // Optional level-1/2 routines: bound only when exported (a missing one leaves the method undefined).
  const opt = (sym: string, proto: string): KoffiFn | null => {
    if (!has(sym)) return null;
    try {
      return lib.func(proto) as unknown as KoffiFn;
    } catch {
      return null;
    }
  };
  const saxpy = opt("cblas_saxpy", "void cblas_saxpy(int n, float alpha, const float *x, int incx, float *y, int incy)");
  const daxpy = opt("cblas_daxpy", "void cblas_daxpy(int n, double alpha, const double *x, int incx, double *y, int incy)");
  const sscal = opt("cblas_sscal", "void cblas_sscal(int n, float alpha, float *x, int incx)");
  const dscal = opt("cblas_dscal", "void cblas_dscal(int n, double alpha, double *x, int incx)");
  const sgemv = opt(
    "cblas_sgemv",
    "void cblas_sgemv(int order, int trans, int m, int n, float alpha, const float *a, int lda, " + "const float *x, int incx, float beta, float *y, int incy)",
  );
  const dgemv = opt(
    "cblas_dgemv",
    "void cblas_dgemv(int order, int trans, int m, int n, double alpha, const double *a, int lda, " +
      "const double *x, int incx, double beta, double *y, int incy)",
  );
  const somat = opt(
    "cblas_somatcopy",
    "void cblas_somatcopy(int order, int trans, int rows, int cols, float alpha, const float *a, int lda, float *b, int ldb)",
  );
  const domat = opt(
    "cblas_domatcopy",
    "void cblas_domatcopy(int order, int trans, int rows, int cols, double alpha, const double *a, int lda, double *b, int ldb)",
  );
  const level12: Partial<Blas> = {
    ...(somat
      ? {
          somatcopyT: (r: number, c: number, a: Float32Array, aOff: number, lda: number, b: Float32Array, bOff: number, ldb: number) =>
            void somat(CBLAS_ROW_MAJOR, CBLAS_TRANS, r, c, 1, view(a, aOff), lda, view(b, bOff), ldb),
        }
      : {}),
    ...(domat
      ? {
          domatcopyT: (r: number, c: number, a: Float64Array, aOff: number, lda: number, b: Float64Array, bOff: number, ldb: number) =>
            void domat(CBLAS_ROW_MAJOR, CBLAS_TRANS, r, c, 1, view(a, aOff), lda, view(b, bOff), ldb),
        }
      : {}),
    ...(saxpy
      ? {
          saxpy: (n: number, alpha: number, x: Float32Array, xOff: number, y: Float32Array, yOff: number) =>
            void saxpy(n, alpha, view(x, xOff), 1, view(y, yOff), 1),
        }
      : {}),
    ...(daxpy
      ? {
          daxpy: (n: number, alpha: number, x: Float64Array, xOff: number, y: Float64Array, yOff: number) =>
            void daxpy(n, alpha, view(x, xOff), 1, view(y, yOff), 1),
        }
      : {}),
    ...(sscal ? { sscal: (n: number, alpha: number, x: Float32Array, xOff: number) => void sscal(n, alpha, view(x, xOff), 1) } : {}),
    ...(dscal ? { dscal: (n: number, alpha: number, x: Float64Array, xOff: number) => void dscal(n, alpha, view(x, xOff), 1) } : {}),
    ...(sgemv
      ? {
          sgemv: (
            ta: boolean,
            m: number,
            n: number,
            alpha: number,
            a: Float32Array,
            aOff: number,
            lda: number,
            x: Float32Array,
            xOff: number,
            beta: number,
            y: Float32Array,
            yOff: number,
          ) => void sgemv(CBLAS_ROW_MAJOR, ta ? CBLAS_TRANS : CBLAS_NO_TRANS, m, n, alpha, view(a, aOff), lda, view(x, xOff), 1, beta, view(y, yOff), 1),
        }
      : {}),
    ...(dgemv
      ? {
          dgemv: (
            ta: boolean,
            m: number,
            n: number,
            alpha: number,
            a: Float64Array,
            aOff: number,
            lda: number,
            x: Float64Array,
            xOff: number,
            beta: number,
            y: Float64Array,
            yOff: number,
          ) => void dgemv(CBLAS_ROW_MAJOR, ta ? CBLAS_TRANS : CBLAS_NO_TRANS, m, n, alpha, view(a, aOff), lda, view(x, xOff), 1, beta, view(y, yOff), 1),
        }
      : {}),
  };
  const blas: Blas = {
    name,
    path: resolvePath(path),
    ...(config !== undefined ? { config } : {}),
    sgemm(ta, tb, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc) {
      sg(
        CBLAS_ROW_MAJOR,
        ta ? CBLAS_TRANS : CBLAS_NO_TRANS,
        tb ? CBLAS_TRANS : CBLAS_NO_TRANS,
        m,
        n,
        k,
        alpha,
        view(a, aOff),
        lda,
        view(b, bOff),
        ldb,
        beta,
        view(c, cOff),
        ldc,
      );
    },
    dgemm(ta, tb, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc) {
      dg(
        CBLAS_ROW_MAJOR,
        ta ? CBLAS_TRANS : CBLAS_NO_TRANS,
        tb ? CBLAS_TRANS : CBLAS_NO_TRANS,
        m,
        n,
        k,
        alpha,
        view(a, aOff),
        lda,
        view(b, bOff),
        ldb,
        beta,
        view(c, cOff),
        ldc,
      );
    },
    ...level12,
    ...(setThreads && getThreads ? { setThreads, getThreads } : {}),
  };
  return blas;
}

let loaded = false;
let cached: Blas | null = null;

function notice(detail: string): void {
  const hint =
    process.platform === "darwin"
      ? "Accelerate should be present on macOS; or set TSFLOW_BLAS=/path/to/libcblas.dylib"
      : "install OpenBLAS (Debian/Ubuntu: apt-get install libopenblas0; Fedora: dnf install openblas) or set TSFLOW_BLAS=/path/to/libcblas.so; TSFLOW_BLAS=none silences this";
  logWarning(`${NO_BLAS} (${detail}${hint}); using the built-in WebAssembly kernels`);
}

/**
 * The CBLAS this process uses, or null (TypeScript kernels). Loaded once, on first use; never throws.
 * Reads the blas setting (TSFLOW_BLAS) at that moment; it cannot change afterwards.
 */
export function getBlas(): Blas | null {
  if (loaded) return cached;
  loaded = true;
  markLoaded("blas");
  cached = loadBlas(getSetting("blas"));
  ownThreads = cached?.getThreads?.() ?? 0;
  applyBlasThreads();
  if (debugOn("kernels")) {
    process.stderr.write(
      `tsflow kernels: CPU matrix products through ${cached ? `${cached.name} (${cached.path})` : "the built-in WebAssembly kernels (no BLAS)"}\n`,
    );
  }
  return cached;
}

/** The loaded BLAS's own thread count (OPENBLAS_NUM_THREADS or one per core), what the threads setting's 0 restores. */
let ownThreads = 0;

/**
 * Gives a loaded BLAS the threads setting's count (tf.config.threading.setIntraOpParallelismThreads,
 * TSFLOW_NUM_THREADS), or its own count for 0, as TensorFlow's intra-op threads also bound its BLAS.
 * Nothing happens before a BLAS is loaded: loading applies the setting then.
 */
export function applyBlasThreads(): void {
  if (!cached?.setThreads || ownThreads === 0) return;
  const n = getSetting("threads");
  cached.setThreads(n > 0 ? n : ownThreads);
}

/** The BLAS that the blas setting names ("off": none; "": the first candidate that loads). */
function loadBlas(setting: string): Blas | null {
  if (setting === "off") return null;
  let koffi: Koffi;
  try {
    koffi = requireKoffi();
  } catch (e) {
    notice(`koffi unavailable: ${shortError(e)}; `);
    return null;
  }
  if (setting) {
    const r = safeLoad(setting, koffi);
    if (typeof r === "string") {
      notice(`TSFLOW_BLAS=${setting}: ${r}; `);
      return null;
    }
    return r;
  }
  for (const cand of blasCandidates()) {
    const r = safeLoad(cand, koffi);
    if (typeof r !== "string") return r;
  }
  notice("");
  return null;
}

function safeLoad(path: string, koffi: Koffi): Blas | string {
  try {
    return loadBlasFrom(path, koffi);
  } catch (e) {
    return shortError(e);
  }
}
