import { allOpDefs } from "../../../ops/registry.js";
import { binaryKernel, unaryKernel } from "../elementwise.js";
import type { CpuKernel } from "../kernel.js";
import { arrayKernels, debugKernels } from "./array.js";
import { linalgKernels } from "./linalg.js";
import { reduceKernels } from "./reduce.js";
import { nnKernels } from "./nn.js";
import { convKernelTable } from "./conv.js";
import { poolKernelTable } from "./pool.js";
import { normKernelTable } from "./norm.js";
import { randomKernels } from "./random.js";
import { stateKernels } from "./state.js";
import { trainingKernels } from "./training.js";

/** The kernels cpuKernels generated from elementwise rows (a fused loop may compute those ops: backends/cpu/fused.ts). */
export const generatedKernels = new WeakSet<CpuKernel>();

/**
 * The CPU kernel table: hand-written kernels per op family, plus one generated kernel for every
 * elementwise op of the op table. Built on first use, after the op library has registered.
 */
export function cpuKernels(): Record<string, CpuKernel> {
  const table: Record<string, CpuKernel> = { ...arrayKernels, ...debugKernels, ...reduceKernels, ...linalgKernels, ...randomKernels, ...stateKernels, ...trainingKernels, ...nnKernels, ...convKernelTable, ...poolKernelTable, ...normKernelTable };
  for (const def of allOpDefs()) {
    const ew = def.elementwise;
    if (!ew || table[def.type]) continue;
    const arity = def.dtypeGroups?.[0]?.length === 2 ? 2 : 1;
    table[def.type] = arity === 2 ? binaryKernel(ew, def.type, ew.outDType) : unaryKernel(ew, def.type, ew.outDType);
    generatedKernels.add(table[def.type]);
  }
  return table;
}
