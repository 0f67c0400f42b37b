/**
 * Settings of the cuda backend that tf.config changes (src/config.ts is the public face). Visible devices,
 * memory growth and memory limits must be set before the first GPU is initialised, as in TensorFlow.
 */
export const cudaSettings = {
  /** tf.config.experimental.enableTensorFloat32Execution: TF32 tensor cores for float32 matmuls (default on). */
  tf32: true,
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
