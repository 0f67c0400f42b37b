import { gpuBackend } from "../../src/backends/cuda/index.js";
import { cudnnFor, cudnnUnavailableReason } from "../../src/backends/cuda/cudnn.js";
import { NO_GPU } from "./gpu.js";

/** GPU:0's backend and its cuDNN, for the tests that need both; null where there is none. */
export const backend = NO_GPU === null ? gpuBackend(0) : null;
export const dnn = backend ? cudnnFor(backend) : null;
/** Skips a suite, with the reason, without a GPU or without cuDNN. */
export const cudnnOnly = {
  skip: NO_GPU !== null ? `no CUDA GPU: ${NO_GPU}` : dnn === null ? `no cuDNN: ${cudnnUnavailableReason() ?? "not loaded"}` : false,
} as const;
