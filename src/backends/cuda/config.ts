/**
 * Settings of the cuda backend that tf.config changes (src/config.ts is the public face). Visible devices,
 * memory growth and memory limits must be set before the first GPU is initialised, as in TensorFlow.
 */
export const cudaSettings = {
  /** tf.config.experimental.enableTensorFloat32Execution: TF32 tensor cores for float32 matmuls (default on). */
  tf32: true,
  /**
   * TF32 for the products inside convolutions (im2col + cuBLAS). Off: their patches are short (25 to a few
   * hundred terms) and memory-bound, so TF32 gains little, and convolutions keep float32's accuracy (the op
   * suites check 1e-4) whatever enableTensorFloat32Execution says.
   */
  convTf32: false,
  /**
   * Convolution algorithm: "direct" kernels (one thread per output element; the filter gradient tiled in
   * shared memory) serve small channel counts, "im2col" (patch matrices and cuBLAS) large ones; "auto"
   * chooses by size. Tests force each.
   */
  convAlgorithm: "auto" as "auto" | "direct" | "im2col",
  /** Physical GPU ordinals made visible by tf.config.setVisibleDevices; null: all. */
  visible: null as number[] | null,
  /** tf.config.experimental.setMemoryGrowth per physical GPU. tsflow always allocates on demand. */
  memoryGrowth: new Map<number, boolean>(),
  /** Per physical GPU, bytes the allocator may hold in use (tf.config.setLogicalDeviceConfiguration). */
  memoryLimit: new Map<number, number>(),
  /**
   * Session steps run again with the same signature are captured as CUDA graphs and replayed (see
   * runtime/session.ts #step). TSFLOW_CUDA_GRAPHS=0 turns it off; benchmarks flip it to compare.
   */
  sessionGraphs: !["0", "off", "false"].includes((process.env.TSFLOW_CUDA_GRAPHS ?? "").toLowerCase()),
  /** Set when the first GPU backend is created: visibility and memory settings are then frozen. */
  initialized: false,
};
