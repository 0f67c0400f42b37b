import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { InternalError } from "../../core/errors.js";
import { debugOn, getSetting } from "../../core/settings.js";
import type { Nvrtc, Ptr } from "./ffi.js";

/**
 * Kernels compiled at run time by NVRTC, straight to machine code for the GPU's architecture (a cubin, so
 * the driver has no PTX to JIT), and cached on disk by a hash of the source, the options, the architecture
 * and NVRTC's version: a second process loads them in microseconds. The cache lives in the cudaCache
 * setting's directory (TSFLOW_CUDA_CACHE), else $XDG_CACHE_HOME/tsflow/cuda, else ~/.cache/tsflow/cuda;
 * TSFLOW_CUDA_CACHE=off disables it. TSFLOW_DEBUG=cuda prints each generated source as it is compiled.
 */

export interface CompileStats {
  compiled: number;
  fromDisk: number;
  compileMs: number;
}

export class Compiler {
  readonly version: [number, number];
  /** "sm_90" when NVRTC can emit machine code for the GPU; else "compute_XX" (PTX, JIT-compiled by the driver). */
  readonly arch: string;
  readonly cubin: boolean;
  readonly stats: CompileStats = { compiled: 0, fromDisk: 0, compileMs: 0 };
  readonly #cacheDir: string | null;

  constructor(
    readonly lib: Nvrtc,
    cc: readonly [number, number],
    env: NodeJS.ProcessEnv = process.env,
  ) {
    const maj = [0];
    const min = [0];
    lib.nvrtcVersion(maj, min);
    this.version = [maj[0], min[0]];
    const want = cc[0] * 10 + cc[1];
    let archs: number[] = [];
    if (lib.nvrtcGetNumSupportedArchs && lib.nvrtcGetSupportedArchs) {
      const n = [0];
      if (lib.nvrtcGetNumSupportedArchs(n) === 0 && n[0] > 0) {
        const a = new Int32Array(n[0]);
        if (lib.nvrtcGetSupportedArchs(a) === 0) archs = Array.from(a);
      }
    }
    // A GPU newer than this NVRTC: PTX for the newest architecture it knows, which the driver JIT-compiles.
    const supported = archs.length === 0 || archs.includes(want);
    const target = supported ? want : Math.max(...archs.filter((a) => a <= want), archs[0]);
    this.cubin = supported && lib.nvrtcGetCUBIN !== null;
    this.arch = `${this.cubin ? "sm" : "compute"}_${target}`;
    const setting = getSetting("cudaCache");
    if (setting === "off") this.#cacheDir = null;
    else this.#cacheDir = setting || join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "tsflow", "cuda");
  }

  #error(call: string, code: unknown): Error {
    let msg = `nvrtc error ${String(code)}`;
    try {
      msg = String(this.lib.nvrtcGetErrorString(code));
    } catch {
      // keep the code
    }
    return new InternalError(`NVRTC ${call} failed: ${msg}`);
  }

  /**
   * Compiles `source` (CUDA C++) and returns the module image. `name` labels errors. Compile failures raise
   * InternalError with NVRTC's log and the numbered source.
   */
  compile(source: string, name: string, extraOptions: readonly string[] = []): Uint8Array {
    const options = [`--gpu-architecture=${this.arch}`, "-default-device", "--std=c++17", ...extraOptions];
    const key = createHash("sha256")
      .update(`${this.version.join(".")}\0${options.join(" ")}\0${source}`)
      .digest("hex");
    const ext = this.cubin ? "cubin" : "ptx";
    const file = this.#cacheDir ? join(this.#cacheDir, `${key.slice(0, 40)}.${ext}`) : null;
    if (file) {
      try {
        const img = readFileSync(file);
        this.stats.fromDisk++;
        return new Uint8Array(img.buffer, img.byteOffset, img.byteLength);
      } catch {
        // not cached yet
      }
    }
    if (debugOn("cuda")) process.stderr.write(`tsflow cuda: compiling ${name}\n${source}\n`);
    const t0 = performance.now();
    const lib = this.lib;
    const prog: Ptr[] = [null];
    let r = lib.nvrtcCreateProgram(prog, source, `${name}.cu`, 0, null, null);
    if (r !== 0) throw this.#error("nvrtcCreateProgram", r);
    try {
      r = lib.nvrtcCompileProgram(prog[0], options.length, options);
      if (r !== 0) {
        const log = this.#log(prog[0]);
        const numbered = source
          .split("\n")
          .map((l, i) => `${String(i + 1).padStart(4)}  ${l}`)
          .join("\n");
        throw new InternalError(`NVRTC failed to compile kernel ${name} for ${this.arch}: ${String(lib.nvrtcGetErrorString(r))}\n${log}\nsource:\n${numbered}`);
      }
      const size = [0];
      let image: Buffer;
      if (this.cubin) {
        r = lib.nvrtcGetCUBINSize!(prog[0], size);
        if (r !== 0) throw this.#error("nvrtcGetCUBINSize", r);
        image = Buffer.alloc(Number(size[0]));
        r = lib.nvrtcGetCUBIN!(prog[0], image);
        if (r !== 0) throw this.#error("nvrtcGetCUBIN", r);
      } else {
        r = lib.nvrtcGetPTXSize(prog[0], size);
        if (r !== 0) throw this.#error("nvrtcGetPTXSize", r);
        image = Buffer.alloc(Number(size[0]));
        r = lib.nvrtcGetPTX(prog[0], image);
        if (r !== 0) throw this.#error("nvrtcGetPTX", r);
      }
      this.stats.compiled++;
      this.stats.compileMs += performance.now() - t0;
      if (file) this.#store(file, image);
      return new Uint8Array(image.buffer, image.byteOffset, image.byteLength);
    } finally {
      lib.nvrtcDestroyProgram(prog);
    }
  }

  #log(prog: Ptr): string {
    const size = [0];
    if (this.lib.nvrtcGetProgramLogSize(prog, size) !== 0 || Number(size[0]) <= 1) return "";
    const buf = Buffer.alloc(Number(size[0]));
    this.lib.nvrtcGetProgramLog(prog, buf);
    return buf.toString("utf8", 0, Math.max(0, buf.indexOf(0) < 0 ? buf.length : buf.indexOf(0))).trim();
  }

  #store(file: string, image: Buffer): void {
    try {
      mkdirSync(this.#cacheDir!, { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, image);
      renameSync(tmp, file);
    } catch {
      // a read-only cache is not an error: the kernel is simply compiled again next time
    }
  }
}
