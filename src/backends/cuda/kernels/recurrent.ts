import type { DType } from "../../../core/dtype.js";
import { cudnnGruBackward, cudnnGruForward, cudnnLstmBackward, cudnnLstmForward, type RnnShape } from "../cudnn_rnn.js";
import type { CudaHandle } from "../handle.js";
import type { CudaKernelDef, CudaKernelTable } from "../kernel.js";
import { recurrentSource } from "../sources/recurrent.js";
import { storageType } from "../translate.js";
import { FLOATS } from "./util.js";
import { viaFloat32 } from "../widen.js";

/**
 * The recurrent family on the GPU: one launch per fused LSTM or GRU step (and per gradient step), after the
 * cuBLAS products of the MatMul ops around it. Sources: sources/recurrent.ts. A whole LSTM sequence
 * (LSTMSequence and its gradient) is one cuDNN RNN call (../cudnn_rnn.ts), and so is a whole GRU sequence
 * with reset_after (GRUSequence; cuDNN has no reset-before GRU, which runs on the CPU). Shapes the kernels
 * do not expect are left to the CPU kernels, which report them.
 */

/** A step kernel: inputs `gateIns` are [batch, k * units], the others [batch, units]; outputs likewise. */
function stepKernel(name: string, k: number, gateIns: readonly number[], gateOuts: readonly boolean[]): CudaKernelDef {
  return {
    supports: (d: readonly DType[]) => FLOATS.has(d[0]) && d.every((x) => x === d[0]),
    run: (b, ins) => {
      const first = ins[gateIns[0]];
      if (first.shape.length !== 2 || first.shape[1] % k !== 0) return null;
      const [batch, u] = [first.shape[0], first.shape[1] / k];
      for (let i = 0; i < ins.length; i++) {
        const want = gateIns.includes(i) ? k * u : u;
        if (ins[i].shape.length !== 2 || ins[i].shape[0] !== batch || ins[i].shape[1] !== want || ins[i].dtype !== first.dtype) return null;
      }
      const outs = gateOuts.map((gate) => b.empty(first.dtype, [batch, gate ? k * u : u], name));
      const n = batch * u;
      if (n === 0) return outs;
      const fn = b.fn(`recurrent.${first.dtype}`, name, () => recurrentSource(storageType(first.dtype)));
      for (const h of ins) b.ctx.argPtr(h.ptr);
      for (const o of outs) b.ctx.argPtr(o.ptr);
      b.ctx.argI64(n);
      b.ctx.argI64(u);
      b.launch(fn, b.grid(n));
      return outs;
    },
  };
}

/** The sizes of an LSTMSequence (its gradient's first six inputs are the same), or null when the shapes do not fit together. */
function lstmShape(ins: readonly CudaHandle[], grad: boolean): RnnShape | null {
  const [x, h0, c0, k, r, bias] = ins;
  if (x.shape.length !== 3 || r.shape.length !== 2) return null;
  const [batch, time, input] = x.shape;
  const units = r.shape[0];
  const is = (h: CudaHandle, ...dims: number[]) => h.dtype === x.dtype && h.shape.length === dims.length && h.shape.every((d, i) => d === dims[i]);
  const state = (h: CudaHandle) => is(h, batch, units);
  if (!state(h0) || !state(c0) || !is(k, input, 4 * units) || !is(r, units, 4 * units) || !is(bias, 4 * units)) return null;
  if (grad) {
    const [, , , , , , y, , dy, dh, dc] = ins;
    if (!is(y, batch, time, units) || !is(dy, batch, time, units) || !state(dh) || !state(dc)) return null;
  }
  return { cell: "lstm", batch, time, input, units };
}

/** The sizes of a GRUSequence with reset_after (its gradient's first five inputs are the same), or null when the shapes do not fit together. */
function gruShape(ins: readonly CudaHandle[], grad: boolean): RnnShape | null {
  const [x, h0, k, r, bias] = ins;
  if (x.shape.length !== 3 || r.shape.length !== 2) return null;
  const [batch, time, input] = x.shape;
  const units = r.shape[0];
  const is = (h: CudaHandle, ...dims: number[]) => h.dtype === x.dtype && h.shape.length === dims.length && h.shape.every((d, i) => d === dims[i]);
  if (!is(h0, batch, units) || !is(k, input, 3 * units) || !is(r, units, 3 * units) || !is(bias, 2, 3 * units)) return null;
  if (grad) {
    const [, , , , , y, , dy, dh] = ins;
    if (!is(y, batch, time, units) || !is(dy, batch, time, units) || !is(dh, batch, units)) return null;
  }
  return { cell: "gru", batch, time, input, units };
}

const sameFloats = (d: readonly DType[]) => FLOATS.has(d[0]) && d.every((x) => x === d[0]);

/** Input indices 0 .. n - 1 but `skip`. */
const upTo = (n: number, skip = -1) => Array.from({ length: n }, (_, i) => i).filter((i) => i !== skip);

/**
 * float16 and bfloat16 sequences run cuDNN's float32 RNN (widen.ts): the reserve space is cuDNN's opaque bytes,
 * relabelled between the dtypes, so the gradient finds what the forward call left.
 */
export const recurrentKernels: CudaKernelTable = {
  LSTMSequence: viaFloat32(
    {
      supports: sameFloats,
      run: (b, ins) => {
        const s = lstmShape(ins, false);
        return s && cudnnLstmForward(b, s, ins);
      },
    },
    upTo(6),
    { outputs: [3] },
  ),
  LSTMSequenceGrad: viaFloat32(
    {
      supports: sameFloats,
      run: (b, ins) => {
        const s = lstmShape(ins, true);
        return s && cudnnLstmBackward(b, s, ins);
      },
    },
    upTo(11, 7),
    { inputs: [7] },
  ),
  // cuDNN's GRU is the reset-after GRU: reset_after false stays on the CPU.
  GRUSequence: viaFloat32(
    {
      supports: (d, attrs) => sameFloats(d) && attrs.reset_after !== false,
      attrKey: (attrs) => String(attrs.reset_after !== false),
      run: (b, ins) => {
        const s = gruShape(ins, false);
        return s && cudnnGruForward(b, s, ins);
      },
    },
    upTo(5),
    { outputs: [2] },
  ),
  GRUSequenceGrad: viaFloat32(
    {
      supports: (d, attrs) => sameFloats(d) && attrs.reset_after !== false,
      attrKey: (attrs) => String(attrs.reset_after !== false),
      run: (b, ins) => {
        const s = gruShape(ins, true);
        return s && cudnnGruBackward(b, s, ins);
      },
    },
    upTo(9, 6),
    { inputs: [6] },
  ),
  // float16 and bfloat16 steps in float32 (widen.ts), as the CPU kernels compute them.
  LSTMCellStep: viaFloat32(stepKernel("lstm_step", 4, [0, 1], [false, false, true]), upTo(3)),
  LSTMCellStepGrad: viaFloat32(stepKernel("lstm_step_grad", 4, [2], [true, false]), upTo(5)),
  GRUCellStep: viaFloat32(stepKernel("gru_step", 3, [0, 1], [false, true]), upTo(3)),
  GRUCellStepGrad: viaFloat32(stepKernel("gru_step_grad", 3, [0, 2], [true, true, false]), upTo(4)),
};
