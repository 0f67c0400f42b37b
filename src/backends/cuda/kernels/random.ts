import type { DType } from "../../../core/dtype.js";
import { sizeOf } from "../../../core/shape.js";
import { Philox } from "../../../core/philox.js";
import type { CudaKernelDef, CudaKernelTable } from "../kernel.js";
import { randomSource } from "../sources/random.js";
import { FLOATS, hostInts, NARROW } from "./util.js";

/**
 * The random family on the GPU: RandomUniform, RandomStandardNormal and TruncatedNormal drawn from the op's
 * Philox stream, the same numbers the CPU draws. Sources: sources/random.ts.
 */

function randomKernel(kind: "uniform" | "normal" | "truncated"): CudaKernelDef {
  return {
    host: [0],
    supports: (_d, attrs) => FLOATS.has(attrs.dtype as DType) || NARROW.has(attrs.dtype as DType),
    attrKey: (attrs) => String(attrs.dtype),
    run: (b, [shapeH], attrs, env) => {
      const rng = env.rng;
      // Another kind of random source (or a stream past 2^53 draws): the CPU kernel draws from it.
      if (!(rng instanceof Philox)) return null;
      const pos = rng.position();
      if (pos === null) return null;
      const dtype = attrs.dtype as DType;
      const shape = hostInts(b, shapeH);
      if (shape.some((d) => !(d >= 0))) return null; // the CPU kernel raises TensorFlow's error
      const n = sizeOf(shape);
      const out = b.empty(dtype, shape, kind);
      if (n === 0) return [out];
      const [k0, k1] = rng.key;
      const fn = b.fn(`random.${dtype}`, kind, () => randomSource(dtype));
      const base = Math.ceil(pos / 4);
      b.ctx
        .argPtr(out.ptr)
        .argI64(n)
        .argI32(k0 | 0)
        .argI32(k1 | 0)
        .argI64(kind === "truncated" ? base : pos);
      b.launch(fn, b.grid(kind === "normal" ? Math.ceil(n / 2) : n));
      // What the kernel consumed: n draws; pairs for normals (an odd count wastes the last sine, as on the CPU);
      // truncated normals use their own blocks, after which the stream continues.
      rng.seek(kind === "uniform" ? pos + n : kind === "normal" ? pos + 2 * Math.ceil(n / 2) : (base + n) * 4);
      return [out];
    },
  };
}

export const randomKernels: CudaKernelTable = {
  RandomUniform: randomKernel("uniform"),
  RandomStandardNormal: randomKernel("normal"),
  TruncatedNormal: randomKernel("truncated"),
};
