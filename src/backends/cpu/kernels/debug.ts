import { InvalidArgumentError } from "../../../core/errors.js";
import { aliasOf, KernelTable } from "../kernel.js";

/** Debugging ops: CheckNumerics. */
export const debugKernels: KernelTable = {
  CheckNumerics: ([x], attrs) => {
    const v = x.values as Float64Array;
    for (let i = 0; i < v.length; i++) {
      if (!Number.isFinite(v[i])) {
        throw new InvalidArgumentError(`${attrs.message as string} : Tensor had ${Number.isNaN(v[i]) ? "NaN" : "Inf"} values`);
      }
    }
    return [aliasOf(x)];
  },
};
