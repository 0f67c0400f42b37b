import type { Handle } from "../../core/backend.js";
import type { Attrs } from "../../core/schema/types.js";
import type { CudaHandle } from "./handle.js";
import type { KernelContext } from "./kernel.js";
import type { CudaKernelDef } from "./kernel.js";
import { permuteInto } from "./kernels/movement.js";

/**
 * Channels-first (NCHW) convolutions and pooling on the GPU, as TensorFlow's GPU kernels handle a layout
 * their library does not take: the 4-D operands are transposed to NHWC with the strided-copy kernel, the
 * NHWC kernel runs, and 4-D results are transposed back. Per-dimension attributes (strides, dilations,
 * ksize, explicit_paddings) are reordered the same way.
 */
export interface LayoutSpec {
  /** Inputs that are 4-D NCHW tensors. */
  readonly data: readonly number[];
  /** An input holding a 4-D NCHW shape on the host (input_sizes, orig_input_shape). */
  readonly hostShape?: number;
  /** Whether output 0 is a 4-D tensor to bring back to NCHW (a filter gradient is not). */
  readonly dataOut: boolean;
}

const toNHWC = [0, 2, 3, 1];
const toNCHW = [0, 3, 1, 2];

function channelsLastAttrs(attrs: Attrs): Attrs {
  const out: Record<string, unknown> = { ...attrs, data_format: "NHWC" };
  for (const key of ["strides", "dilations", "ksize"]) {
    const v = attrs[key] as ArrayLike<number> | undefined;
    if (v && v.length === 4) out[key] = toNHWC.map((i) => Number(v[i]));
  }
  const ep = attrs.explicit_paddings as ArrayLike<number> | undefined;
  if (ep && ep.length === 8) out.explicit_paddings = toNHWC.flatMap((i) => [Number(ep[2 * i]), Number(ep[2 * i + 1])]);
  return out as Attrs;
}

/** x [N,C,H,W] -> [N,H,W,C], or back with `back`. */
function transpose4(b: KernelContext, x: CudaHandle, back: boolean, op: string): CudaHandle {
  const perm = back ? toNCHW : toNHWC;
  const out = b.empty(
    x.dtype,
    perm.map((i) => x.shape[i]),
    op,
  );
  permuteInto(b, x, out, perm);
  return out;
}

export function channelsFirstVia(def: CudaKernelDef, spec: LayoutSpec): CudaKernelDef {
  const isNCHW = (attrs: Attrs) => attrs.data_format === "NCHW";
  // The NHWC attributes the wrapped kernel sees: converted only for NCHW (canRun asks on every eager op).
  const seen = (attrs: Attrs) => (isNCHW(attrs) ? channelsLastAttrs(attrs) : attrs);
  return {
    host: def.host,
    attrKey: (attrs) => `${String(attrs.data_format)}/${def.attrKey?.(seen(attrs)) ?? ""}`,
    supports: (d, attrs) => def.supports?.(d, seen(attrs)) ?? true,
    run: (b, inputs, attrs, env) => {
      if (!isNCHW(attrs)) return def.run(b, inputs, attrs, env);
      if (spec.data.some((i) => inputs[i].shape.length !== 4)) return null;
      const made: Handle[] = [];
      try {
        const ins = inputs.map((h, i) => {
          if (spec.data.includes(i)) {
            const t = transpose4(b, h, false, "Transpose");
            made.push(t);
            return t;
          }
          if (i === spec.hostShape) {
            const s = Array.from(b.hostValues(h) as ArrayLike<number | bigint>, Number);
            if (s.length !== 4) return h;
            const t = b.write(Int32Array.from(toNHWC.map((k) => s[k])), "int32", [4]) as CudaHandle;
            made.push(t);
            return t;
          }
          return h;
        });
        const outs = def.run(b, ins, channelsLastAttrs(attrs), env);
        if (!outs || !spec.dataOut) return outs;
        const back = transpose4(b, outs[0] as CudaHandle, true, "Transpose");
        b.dispose(outs[0]);
        return [back, ...outs.slice(1)];
      } finally {
        for (const h of made) b.dispose(h);
      }
    },
  };
}
