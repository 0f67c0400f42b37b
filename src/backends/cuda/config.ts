/**
 * Settings of the cuda backend that tf.config changes (src/config.ts is the public face). Visible devices,
 * memory growth and memory limits must be set before the first GPU is initialised, as in TensorFlow.
 */
export const cudaSettings = {
  /** tf.config.experimental.enableTensorFloat32Execution: TF32 tensor cores for float32 matmuls (default on). */
  tf32: true,
  /**
   * TF32 for the products inside tsflow's own im2col convolutions (cuBLAS). Off: their patches are short (25
   * to a few hundred terms) and memory-bound, so TF32 gains little there. cuDNN's convolutions do not read
   * it: they follow `tf32` (enableTensorFloat32Execution), as TensorFlow's do.
   */
  convTf32: false,
  /**
   * Convolution algorithm of tsflow's own kernels: "direct" kernels (one thread per output element; the
   * filter gradient tiled in shared memory) serve small channel counts, "im2col" (patch matrices and cuBLAS)
   * large ones; "auto" chooses by size, and lets cuDNN take the cases it serves. Tests force each.
   */
  convAlgorithm: "auto" as "auto" | "direct" | "im2col",
  /**
   * cuDNN (cudnn.ts) where libcudnn is present, for the convolutions and pooling nn.ts gives it (symmetric
   * padding, enough channels: see cudnnConvs there); else tsflow's own kernels. TSFLOW_CUDNN=0 turns it off.
   */
  cudnn: !["0", "off", "false"].includes((process.env.TSFLOW_CUDNN ?? "").toLowerCase()),
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
