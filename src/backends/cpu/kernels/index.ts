import { allOpSchemas } from "../../../core/schema/index.js";
import { binaryKernel, unaryKernel } from "../elementwise_loops.js";
import type { CpuKernel, KernelTable } from "../kernel.js";
import type { OpType } from "../../../core/schema/index.js";
import { elementwiseKernels } from "./elementwise.js";
import { reduceKernels } from "./reduce.js";
import { matmulKernels } from "./matmul.js";
import { softmaxKernels } from "./softmax.js";
import { movementKernels } from "./movement.js";
import { shapeKernels } from "./shape.js";
import { convKernels } from "./conv.js";
import { poolKernels } from "./pool.js";
import { normKernels } from "./norm.js";
import { imageKernels } from "./image.js";
import { randomKernels } from "./random.js";
import { trainingKernels } from "./training.js";
import { stateKernels } from "./state.js";
import { debugKernels } from "./debug.js";
import { recurrentKernels } from "./recurrent.js";
import { summaryKernels } from "./summary.js";

/** The kernels cpuKernels generated from elementwise rows (a fused loop may compute those ops: backends/cpu/fused.ts). */
export const generatedKernels = new WeakSet<CpuKernel>();

/**
 * The CPU kernel table: hand-written kernels per op family (one file each, named as in
 * backends/cuda/kernels/), plus one generated kernel for every elementwise op of the op table that has no
 * hand-written one. Built on first use, after the op library has registered.
 */
export function cpuKernels(): KernelTable {
  const table: { [K in OpType]?: CpuKernel } = {
    ...elementwiseKernels,
    ...reduceKernels,
    ...matmulKernels,
    ...softmaxKernels,
    ...movementKernels,
    ...shapeKernels,
    ...convKernels,
    ...poolKernels,
    ...normKernels,
    ...imageKernels,
    ...randomKernels,
    ...trainingKernels,
    ...stateKernels,
    ...debugKernels,
    ...recurrentKernels,
    ...summaryKernels,
  };
  for (const def of allOpSchemas()) {
    const ew = def.elementwise;
    if (!ew || table[def.type]) continue;
    const arity = def.dtypeGroups?.[0]?.length === 2 ? 2 : 1;
    const k = arity === 2 ? binaryKernel(ew, def.type, ew.outDType) : unaryKernel(ew, def.type, ew.outDType);
    table[def.type] = k;
    generatedKernels.add(k);
  }
  return table;
}
