import { allOpSchemas, type OpType } from "../../../core/schema/index.js";
import type { CudaKernelDef } from "../kernel.js";
import { binaryKernel, elementwiseKernels, unaryKernel } from "./elementwise.js";
import { reduceKernels } from "./reduce.js";
import { matmulKernels } from "./matmul.js";
import { softmaxKernels } from "./softmax.js";
import { movementKernels } from "./movement.js";
import { shapeKernels } from "./shape.js";
import { convKernels } from "./conv.js";
import { poolKernels } from "./pool.js";
import { normKernels } from "./norm.js";
import { randomKernels } from "./random.js";
import { addGroup, trainingKernels } from "./training.js";

export { mixedUpdateGroups } from "./training.js";
import { recurrentKernels } from "./recurrent.js";

/**
 * The cuda backend's kernel table: one generated kernel per elementwise row of the op table, then the
 * hand-written kernels of each family (one file each, named as in backends/cpu/kernels/), which take
 * precedence. Ops without an entry (or whose kernel declines) run on the CPU with copies.
 */
export function cudaKernels(): Map<OpType, CudaKernelDef> {
  const t = new Map<OpType, CudaKernelDef>();
  for (const def of allOpSchemas()) {
    const ew = def.elementwise;
    if (!ew) continue;
    const arity = def.dtypeGroups?.[0]?.length === 2 ? 2 : 1;
    t.set(def.type, arity === 2 ? binaryKernel(def.type, ew) : unaryKernel(def.type, ew));
  }
  const families = [
    elementwiseKernels,
    reduceKernels,
    matmulKernels,
    softmaxKernels,
    movementKernels,
    shapeKernels,
    convKernels,
    poolKernels,
    normKernels,
    randomKernels,
    trainingKernels,
    recurrentKernels,
  ];
  for (const family of families) for (const [type, k] of Object.entries(family) as [OpType, CudaKernelDef][]) t.set(type, k);
  // AddV2 also adds many same-shaped pairs in one launch: grouped AssignAdds (runtime/grouped_updates.ts).
  const add = t.get("AddV2");
  if (add) t.set("AddV2", { ...add, runGroup: addGroup });
  return t;
}
