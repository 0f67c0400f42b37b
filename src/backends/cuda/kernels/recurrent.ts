import type { DType } from "../../../core/dtype.js";
import type { CudaKernelDef, CudaKernelTable } from "../kernel.js";
import { recurrentSource } from "../sources/recurrent.js";
import { storageType } from "../translate.js";
import { FLOATS } from "./util.js";

/**
 * The recurrent family on the GPU: one launch per fused LSTM or GRU step (and per gradient step), after the
 * cuBLAS products of the MatMul ops around it. Sources: sources/recurrent.ts. Shapes the kernels do not
 * expect are left to the CPU kernels, which report them.
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

export const recurrentKernels: CudaKernelTable = {
  LSTMCellStep: stepKernel("lstm_step", 4, [0, 1], [false, false, true]),
  LSTMCellStepGrad: stepKernel("lstm_step_grad", 4, [2], [true, false]),
  GRUCellStep: stepKernel("gru_step", 3, [0, 1], [false, true]),
  GRUCellStepGrad: stepKernel("gru_step_grad", 3, [0, 2], [true, true, false]),
};
