import { aliasOf, KernelTable } from "../kernel.js";

/** Kernels of the feed/state family that are plain data movement (the rest run in the executor). */
export const stateKernels: KernelTable = {
  PlaceholderWithDefault: ([x]) => [aliasOf(x)],
};
