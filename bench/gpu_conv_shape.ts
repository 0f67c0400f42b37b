import type { ConvShape } from "../src/backends/cuda/cudnn.js";

/** cudnn.ts's geometry of a 2-D convolution of x [n, H, W, C] by an HWIO filter, TensorFlow's padding (dilation 1). */
export function convShape(x: readonly number[], f: readonly number[], s: number, pad: "SAME" | "VALID"): ConvShape {
  const [n, H, W, C] = x;
  const [kH, kW, , OC] = f;
  const out = (i: number, k: number) => (pad === "SAME" ? Math.ceil(i / s) : Math.floor((i - k) / s) + 1);
  const OH = out(H, kH);
  const OW = out(W, kW);
  const before = (i: number, k: number, o: number) => (pad === "SAME" ? Math.floor(Math.max((o - 1) * s + k - i, 0) / 2) : 0);
  return { n, H, W, C, OH, OW, OC, kH, kW, sH: s, sW: s, dH: 1, dW: 1, padT: before(H, kH, OH), padL: before(W, kW, OW) };
}
