import { gpuProvider, visibleGpuCount } from "./core/devices.js";
import { InvalidArgumentError } from "./core/errors.js";
import { declare, defineFunction, K, kind, optional, param, parseArgs, positionalOnly, signature } from "./core/signature.js";
import { allSettings, getSetting, SETTING_KEYS, SettingKey, setSetting, SettingValues } from "./core/settings.js";
import { parseDevice } from "./core/device_spec.js";
import { resetDevicePlacementCache } from "./backends/placement.js";
import { functionsRunEagerly, runFunctionsEagerly } from "./function/index.js";
import { logWarning } from "./core/logging.js";
import { type CpuKernelInfo, cpuKernelInfo } from "./backends/cpu/kernel_info.js";
import { applyBlasThreads } from "./backends/cpu/blas.js";

/**
 * tf.config: the devices this process has and how they are used, as TensorFlow's tf.config. GPUs come from
 * the cuda backend (backends/cuda/); on a machine without one, the lists simply hold the CPU. Every setting
 * lives in core/settings.ts: the functions here read and write it under TensorFlow's names, and
 * tf.config.experimental.getTsflowOptions / setTsflowOptions reach every setting by its key.
 */

const deviceParams = [param("name", K.string, "The device's full name."), param("deviceType", K.string, '"CPU" or "GPU".')] as const;
const physicalDeviceSignature = signature("config.PhysicalDevice", 'A physical device: name "/physical_device:GPU:0", deviceType "GPU".', deviceParams, {
  args: () => ["/physical_device:CPU:0", "CPU"],
});
const logicalDeviceSignature = signature("config.LogicalDevice", 'A logical device ops are placed on ("/device:GPU:0").', deviceParams, {
  args: () => ["/device:CPU:0", "CPU"],
});
const logicalConfigSignature = signature(
  "config.LogicalDeviceConfiguration",
  "How a logical device is made from a physical one.",
  [
    optional("memoryLimit", kind<number | null>("number | null"), "The memory limit in MiB (null: none)."),
    optional("experimentalPriority", kind<unknown>("unknown"), "Not implemented yet: must be null."),
    optional("experimentalDeviceOrdinal", kind<unknown>("unknown"), "Not implemented yet: must be null."),
  ],
  { args: () => [512] },
);

/** tf.config.PhysicalDevice: `name` is "/physical_device:GPU:0", `deviceType` "GPU". */
export class PhysicalDevice {
  readonly name: string;
  readonly deviceType: string;
  constructor(...args: [name: string, deviceType: string] | [options: { name: string; deviceType: string }]) {
    [this.name, this.deviceType] = parseArgs(physicalDeviceSignature, args);
  }
  toString(): string {
    return `PhysicalDevice(name='${this.name}', device_type='${this.deviceType}')`;
  }
}

/** tf.config.LogicalDevice: what ops are placed on ("/device:GPU:0"). */
export class LogicalDevice {
  readonly name: string;
  readonly deviceType: string;
  constructor(...args: [name: string, deviceType: string] | [options: { name: string; deviceType: string }]) {
    [this.name, this.deviceType] = parseArgs(logicalDeviceSignature, args);
  }
  toString(): string {
    return `LogicalDevice(name='${this.name}', device_type='${this.deviceType}')`;
  }
}

/** tf.config.LogicalDeviceConfiguration: `memoryLimit` in MiB, as in TensorFlow. */
export class LogicalDeviceConfiguration {
  readonly memoryLimit: number | null;
  constructor(...args: [memoryLimit?: number | null] | [options: { memoryLimit?: number | null }]) {
    const [memoryLimit, priority, ordinal] = parseArgs(logicalConfigSignature, args);
    if (priority != null || ordinal != null)
      throw new InvalidArgumentError(
        "tf.config.LogicalDeviceConfiguration: experimentalPriority and experimentalDeviceOrdinal are not implemented yet in tsflow",
      );
    this.memoryLimit = memoryLimit ?? null;
  }
}
declare(PhysicalDevice, physicalDeviceSignature);
declare(LogicalDevice, logicalDeviceSignature);
declare(LogicalDeviceConfiguration, logicalConfigSignature);

function physicalGpus(): PhysicalDevice[] {
  const devices = gpuProvider()?.physicalDevices() ?? [];
  return devices.map((_, i) => new PhysicalDevice(`/physical_device:GPU:${i}`, "GPU"));
}

function ofType<T extends { deviceType: string }>(list: T[], deviceType?: string | null): T[] {
  return deviceType == null ? list : list.filter((d) => d.deviceType === deviceType.toUpperCase());
}

/** tf.config.list_physical_devices(device_type=None). */
function listPhysicalDevicesImpl(deviceType?: string | null): PhysicalDevice[] {
  return ofType([new PhysicalDevice("/physical_device:CPU:0", "CPU"), ...physicalGpus()], deviceType);
}

/** tf.config.list_logical_devices(device_type=None). */
function listLogicalDevicesImpl(deviceType?: string | null): LogicalDevice[] {
  const gpus = Array.from({ length: visibleGpuCount() }, (_, i) => new LogicalDevice(`/device:GPU:${i}`, "GPU"));
  return ofType([new LogicalDevice("/device:CPU:0", "CPU"), ...gpus], deviceType);
}

function gpuOrdinal(d: PhysicalDevice | string, where: string): number {
  const name = typeof d === "string" ? d : d.name;
  const m = /GPU:(\d+)$/i.exec(name);
  if (!m || !physicalGpus()[Number(m[1])]) throw new InvalidArgumentError(`${where}: unrecognized device ${name}`);
  return Number(m[1]);
}

/** tf.config.set_visible_devices(devices, device_type=None): must come before the first GPU op. */
function setVisibleDevicesImpl(devices: PhysicalDevice | readonly PhysicalDevice[], deviceType?: string | null): void {
  const list = Array.isArray(devices) ? devices : [devices as PhysicalDevice];
  if (deviceType != null && deviceType.toUpperCase() === "CPU") return;
  const gpus = list.filter((d) => d.deviceType === "GPU").map((d) => gpuOrdinal(d, "setVisibleDevices"));
  const want = [...new Set(gpus)].sort((a, b) => a - b);
  const now = getSetting("visibleGpus") ?? physicalGpus().map((_, i) => i);
  if (want.join(",") === now.join(",")) return;
  setSetting("visibleGpus", want);
  resetDevicePlacementCache();
}

/** tf.config.get_visible_devices(device_type=None). */
function getVisibleDevicesImpl(deviceType?: string | null): PhysicalDevice[] {
  const gpus = physicalGpus();
  const visible = getSetting("visibleGpus");
  const vis = visible === null ? gpus : visible.map((i) => gpus[i]).filter((d) => d !== undefined);
  return ofType([new PhysicalDevice("/physical_device:CPU:0", "CPU"), ...vis], deviceType);
}

/** tf.config.set_soft_device_placement(enabled): eager ops on a missing device or kernel run elsewhere. */
function setSoftDevicePlacementImpl(enabled: boolean): void {
  setSetting("softPlacement", Boolean(enabled));
}
function getSoftDevicePlacementImpl(): boolean {
  return getSetting("softPlacement");
}

/** tf.config.set_logical_device_configuration(device, [LogicalDeviceConfiguration({ memoryLimit })]). */
function setLogicalDeviceConfigurationImpl(device: PhysicalDevice, configs: readonly LogicalDeviceConfiguration[] | null): void {
  if (device.deviceType !== "GPU") return;
  const i = gpuOrdinal(device, "setLogicalDeviceConfiguration");
  if (configs && configs.length > 1) throw new InvalidArgumentError("setLogicalDeviceConfiguration: tsflow makes one logical device per GPU");
  const mb = configs?.[0]?.memoryLimit ?? null;
  if (mb !== null && !(mb > 0)) throw new InvalidArgumentError(`setLogicalDeviceConfiguration: memoryLimit must be a positive number of MiB, got ${mb}`);
  const limits = [...getSetting("gpuMemoryLimitMb")];
  while (limits.length <= i) limits.push(0);
  limits[i] = mb === null ? 0 : Math.ceil(mb);
  setSetting("gpuMemoryLimitMb", limits);
}

function logicalGpu(device: string, where: string) {
  let spec;
  try {
    spec = parseDevice(device);
  } catch {
    throw new InvalidArgumentError(`${where}: No matching devices found for '${device}'`);
  }
  if (spec.type !== "GPU") throw new InvalidArgumentError(`${where}: only GPU devices are supported, got '${device}'`);
  const index = spec.index ?? 0;
  const provider = gpuProvider();
  if (!provider?.backend(index)) throw new InvalidArgumentError(`${where}: No matching devices found for '${device}'`);
  return { provider, index };
}

/** tf.config.experimental.get_memory_info("GPU:0"): bytes in use by tensors now and at the peak. */
function getMemoryInfoImpl(device: string): { current: number; peak: number } {
  const { provider, index } = logicalGpu(device, "getMemoryInfo");
  return provider.memoryStats(index) ?? { current: 0, peak: 0 };
}

/** tf.config.experimental.reset_memory_stats("GPU:0"): the peak restarts from what is in use now. */
function resetMemoryStatsImpl(device: string): void {
  const { provider, index } = logicalGpu(device, "resetMemoryStats");
  provider.resetPeakMemory(index);
}

/** tf.config.experimental.set_memory_growth(device, enable). tsflow always allocates as tensors need memory. */
function setMemoryGrowthImpl(device: PhysicalDevice, enable: boolean): void {
  const i = gpuOrdinal(device, "setMemoryGrowth");
  const others = getSetting("gpuMemoryGrowth").filter((g) => g !== i);
  setSetting("gpuMemoryGrowth", enable ? [...others, i].sort((a, b) => a - b) : others);
}
function getMemoryGrowthImpl(device: PhysicalDevice): boolean {
  return getSetting("gpuMemoryGrowth").includes(gpuOrdinal(device, "getMemoryGrowth"));
}

/** tf.config.experimental.enable_tensor_float_32_execution(enabled): TF32 matmuls on Ampere and newer. */
function enableTensorFloat32ExecutionImpl(enabled: boolean): void {
  setSetting("tf32", Boolean(enabled));
}
function tensorFloat32ExecutionEnabledImpl(): boolean {
  return getSetting("tf32");
}

/** tf.config.experimental.enable_op_determinism(): the same inputs give the same bits on every run. */
function enableOpDeterminismImpl(): void {
  setSetting("opDeterminism", true);
}

/** tf.config.experimental.get_device_details(device): { deviceName, computeCapability } for GPUs. */
function getDeviceDetailsImpl(device: PhysicalDevice): { deviceName?: string; computeCapability?: [number, number] } {
  if (device.deviceType !== "GPU") return {};
  const info = gpuProvider()!.physicalDevices()[gpuOrdinal(device, "getDeviceDetails")];
  return { deviceName: info.name, computeCapability: [info.computeCapability[0], info.computeCapability[1]] };
}

// ---------------------------------------------------------------- tsflow's own settings

/** Every tsflow setting by key (core/settings.ts; the README's settings table lists them). */
export type TsflowOptions = SettingValues;

/**
 * tf.config.experimental.get_tsflow_options(): every tsflow setting by key, as `setTsflowOptions` takes
 * them; values not set at run time come from their TSFLOW_* environment variable or default.
 */
function getTsflowOptionsImpl(): TsflowOptions {
  return allSettings();
}

/**
 * tf.config.experimental.set_tsflow_options(options): changes tsflow settings by key (the README's settings
 * table), as tf.config.optimizer.setExperimentalOptions does for grappler. A value is the setting's type or
 * a string written as in its environment variable. Raises InvalidArgumentError for an unknown key or a value
 * the setting does not take, and FailedPreconditionError for a setting read when a library loaded (the BLAS,
 * the CUDA libraries, the first GPU) once that has happened. Restoring a saved getTsflowOptions() is safe.
 */
function setTsflowOptionsImpl(options: { readonly [K in SettingKey]?: SettingValues[K] | string }): void {
  for (const key of Object.keys(options)) {
    if (!(SETTING_KEYS as string[]).includes(key)) {
      throw new InvalidArgumentError(`setTsflowOptions: unknown tsflow option '${key}'; known: ${SETTING_KEYS.join(", ")}`);
    }
  }
  for (const key of SETTING_KEYS) {
    const value = options[key];
    if (value !== undefined) setSetting(key, value as never);
  }
  if ("visibleGpus" in options) resetDevicePlacementCache();
  if ("threads" in options) applyBlasThreads();
}

// ---------------------------------------------------------------- tf.config.optimizer

/**
 * tf.config.optimizer.set_jit(enabled). TensorFlow's XLA auto-clustering compiles clusters of graph ops into
 * fused kernels; tsflow's nearest equivalent is the elementwise fusion of Session plans (the fusion setting).
 * As TensorFlow auto-clusters GPU graphs only (the CPU needs TF_XLA_FLAGS=--tf_xla_cpu_global_jit, which is
 * fusion "all" here), "autoclustering" (or the deprecated true) turns fusion "off" into "gpu" and leaves "gpu"
 * and "all" as they are; false or "" turns it off.
 */
function setJitImpl(enabled: boolean | string): void {
  if (enabled === true || enabled === "autoclustering") {
    if (getSetting("fusion") === "off") setSetting("fusion", "gpu");
  } else if (enabled === false || enabled === "") {
    setSetting("fusion", "off");
  } else {
    throw new InvalidArgumentError(`setJit: expected "autoclustering", true, false or "", got ${JSON.stringify(enabled)}`);
  }
}

/** tf.config.optimizer.get_jit(): "autoclustering" when Session plans fuse elementwise chains on some device, else "". */
function getJitImpl(): string {
  return getSetting("fusion") === "off" ? "" : "autoclustering";
}

/** Grappler options TensorFlow documents that tsflow has no pass for: accepted, recorded, and without effect. */
const GRAPPLER_OPTIONS = [
  "layout_optimizer",
  "shape_optimization",
  "arithmetic_optimization",
  "dependency_optimization",
  "loop_optimization",
  "function_optimization",
  "debug_stripper",
  "disable_model_pruning",
  "scoped_allocator_optimization",
  "pin_to_host_optimization",
  "implementation_selector",
  "auto_mixed_precision",
  "disable_meta_optimizer",
  "auto_parallel",
  "min_graph_nodes",
];
const recordedGrapplerOptions = new Map<string, boolean | number>();
let grapplerNoticeShown = false;

/**
 * tf.config.optimizer.set_experimental_options(options). `remapping` is grappler's remapper, whose fusion of
 * MatMul + BiasAdd (+ Relu) into one op is tsflow's matmul epilogues (the epilogues setting); `constant_folding`
 * is the constantFolding setting (runtime/constant_folding.ts). TensorFlow's
 * other grappler options are accepted and recorded (so code written for TensorFlow runs) but change nothing:
 * tsflow has no such passes; a notice says so once.
 */
function setExperimentalOptionsImpl(options: Readonly<Record<string, boolean | number>>): void {
  for (const [key, value] of Object.entries(options)) {
    if (key === "remapping") {
      setSetting("epilogues", Boolean(value));
    } else if (key === "constant_folding") {
      setSetting("constantFolding", Boolean(value));
    } else if (GRAPPLER_OPTIONS.includes(key)) {
      recordedGrapplerOptions.set(key, value);
      if (!grapplerNoticeShown) {
        grapplerNoticeShown = true;
        logWarning(
          `grappler option ${key} has no effect (tsflow's graph passes are remapping = matmul epilogues, constant_folding, and elementwise fusion through tf.config.optimizer.setJit)`,
        );
      }
    } else {
      throw new InvalidArgumentError(
        `setExperimentalOptions: unknown optimizer option '${key}'; known: remapping, constant_folding, ${GRAPPLER_OPTIONS.join(", ")}`,
      );
    }
  }
}

/** tf.config.optimizer.get_experimental_options(): `remapping` (the epilogues setting) and the options recorded. */
function getExperimentalOptionsImpl(): Record<string, boolean | number> {
  return { ...Object.fromEntries(recordedGrapplerOptions), remapping: getSetting("epilogues"), constant_folding: getSetting("constantFolding") };
}

const DT = optional("deviceType", kind<string | null>("string | null"), '"CPU" or "GPU" (null: all).');
const DEV = param("device", kind<PhysicalDevice>("PhysicalDevice"), "A physical device (tf.config.listPhysicalDevices).");

export const listPhysicalDevices = defineFunction(
  signature("config.list_physical_devices", "The physical devices (CPU, GPUs), optionally of one type.", [DT], { args: () => ["CPU"] }),
  listPhysicalDevicesImpl,
);
export const listLogicalDevices = defineFunction(
  signature("config.list_logical_devices", "The logical devices ops are placed on, optionally of one type.", [DT], { args: () => ["CPU"] }),
  listLogicalDevicesImpl,
);
export const setVisibleDevices = defineFunction(
  signature(
    "config.set_visible_devices",
    "Which physical devices tsflow may use (before the first GPU op).",
    [param("devices", kind<PhysicalDevice | readonly PhysicalDevice[]>("PhysicalDevice | PhysicalDevice[]"), "The devices to use."), DT],
    { args: (tf) => [tf.config.listPhysicalDevices("CPU"), "CPU"] },
  ),
  setVisibleDevicesImpl,
);
export const getVisibleDevices = defineFunction(
  signature("config.get_visible_devices", "The physical devices tsflow may use, optionally of one type.", [DT], { args: () => ["CPU"] }),
  getVisibleDevicesImpl,
);
export const setSoftDevicePlacement = defineFunction(
  signature(
    "config.set_soft_device_placement",
    "Eager ops on a missing device or kernel run elsewhere.",
    [param("enabled", K.boolean, "Whether to place softly.")],
    { args: (tf) => [tf.config.getSoftDevicePlacement()] },
  ),
  setSoftDevicePlacementImpl,
);
export const getSoftDevicePlacement = defineFunction(
  signature("config.get_soft_device_placement", "Whether soft device placement is on.", [], { args: () => [] }),
  getSoftDevicePlacementImpl,
);
export const setLogicalDeviceConfiguration = defineFunction(
  signature(
    "config.set_logical_device_configuration",
    "Limits a GPU's memory (one logical device per GPU).",
    [
      DEV,
      param(
        "logicalDevices",
        kind<readonly LogicalDeviceConfiguration[] | null>("LogicalDeviceConfiguration[] | null"),
        "One configuration (memoryLimit in MiB), or null.",
      ),
    ],
    { args: (tf) => [tf.config.listPhysicalDevices("CPU")[0], null] },
  ),
  setLogicalDeviceConfigurationImpl,
);
export const getMemoryInfo = defineFunction(
  signature("config.experimental.get_memory_info", "Bytes in use by tensors on a GPU now and at the peak.", [param("device", K.string, 'A GPU, as "GPU:0".')], {
    skip: "needs a GPU (test/gpu.test.ts)",
  }),
  getMemoryInfoImpl,
);
export const resetMemoryStats = defineFunction(
  signature("config.experimental.reset_memory_stats", "Restarts a GPU's peak from what is in use now.", [param("device", K.string, 'A GPU, as "GPU:0".')], {
    skip: "needs a GPU (test/gpu.test.ts)",
  }),
  resetMemoryStatsImpl,
);
export const setMemoryGrowth = defineFunction(
  signature(
    "config.experimental.set_memory_growth",
    "Records memory growth for a GPU (tsflow always allocates as tensors need memory).",
    [DEV, param("enable", K.boolean, "Whether to grow.")],
    { skip: "needs a GPU (test/gpu.test.ts)" },
  ),
  setMemoryGrowthImpl,
);
export const getMemoryGrowth = defineFunction(
  signature("config.experimental.get_memory_growth", "Whether memory growth is set for a GPU.", [DEV], { skip: "needs a GPU (test/gpu.test.ts)" }),
  getMemoryGrowthImpl,
);
export const enableTensorFloat32Execution = defineFunction(
  signature(
    "config.experimental.enable_tensor_float_32_execution",
    "TF32 matmuls on Ampere and newer GPUs.",
    [param("enabled", K.boolean, "Whether to allow TF32.")],
    { args: (tf) => [tf.config.experimental.tensorFloat32ExecutionEnabled()] },
  ),
  enableTensorFloat32ExecutionImpl,
);
export const tensorFloat32ExecutionEnabled = defineFunction(
  signature("config.experimental.tensor_float_32_execution_enabled", "Whether TF32 matmuls are allowed.", [], { args: () => [] }),
  tensorFloat32ExecutionEnabledImpl,
);
export const enableOpDeterminism = defineFunction(
  signature(
    "config.experimental.enable_op_determinism",
    "Deterministic ops from now on: GPU convolutions use only cuDNN algorithms that sum in a fixed order.",
    [],
    { skip: "a process-wide switch with no way back (test/op_determinism.test.ts calls it in its own process)" },
  ),
  enableOpDeterminismImpl,
);
export const getDeviceDetails = defineFunction(
  signature("config.experimental.get_device_details", "A GPU's name and compute capability ({} for the CPU).", [DEV], {
    args: (tf) => [tf.config.listPhysicalDevices("CPU")[0]],
  }),
  getDeviceDetailsImpl,
);
export const getTsflowOptions = defineFunction(
  signature("config.experimental.get_tsflow_options", "Every tsflow setting by key (tsflow).", [], { args: () => [] }),
  getTsflowOptionsImpl,
);
export const setTsflowOptions = defineFunction(
  signature(
    "config.experimental.set_tsflow_options",
    "Sets tsflow settings by key (tsflow; README's settings table).",
    [positionalOnly(param("options", kind<{ readonly [K in SettingKey]?: SettingValues[K] | string }>("{ [setting]: value }"), "The settings to change."))],
    { args: () => [{}] },
  ),
  setTsflowOptionsImpl,
);
export const setJit = defineFunction(
  signature(
    "config.optimizer.set_jit",
    "Elementwise fusion of Session plans (TensorFlow's XLA auto-clustering).",
    [param("enabled", kind<boolean | string>('boolean | "autoclustering" | ""'), '"autoclustering" (or true) to fuse, false or "" not to.')],
    { args: (tf) => [tf.config.optimizer.getJit()] },
  ),
  setJitImpl,
);
export const getJit = defineFunction(
  signature("config.optimizer.get_jit", '"autoclustering" when Session plans fuse elementwise chains, else "".', [], { args: () => [] }),
  getJitImpl,
);
export const setExperimentalOptions = defineFunction(
  signature(
    "config.optimizer.set_experimental_options",
    "Graph optimizer options: remapping (matmul epilogues) and constant_folding; grappler's others are recorded only.",
    [positionalOnly(param("options", kind<Readonly<Record<string, boolean | number>>>("Record<string, boolean | number>"), "The options."))],
    { args: () => [{}] },
  ),
  setExperimentalOptionsImpl,
);
export const getExperimentalOptions = defineFunction(
  signature("config.optimizer.get_experimental_options", "The optimizer options: remapping, constant_folding and those recorded.", [], { args: () => [] }),
  getExperimentalOptionsImpl,
);

export const getLogicalDeviceConfiguration = defineFunction(
  signature("config.get_logical_device_configuration", "The logical device configurations of a physical device.", [DEV], {
    args: (tf) => [tf.config.listPhysicalDevices("CPU")[0]],
  }),
  (device: PhysicalDevice): LogicalDeviceConfiguration[] => {
    if (device.deviceType !== "GPU") return [];
    const mb = getSetting("gpuMemoryLimitMb")[gpuOrdinal(device, "getLogicalDeviceConfiguration")] ?? 0;
    return mb > 0 ? [new LogicalDeviceConfiguration({ memoryLimit: mb })] : [];
  },
);

export const optimizer = { setJit, getJit, setExperimentalOptions, getExperimentalOptions };

// ---------------------------------------------------------------- CPU kernels and threads

/**
 * tf.config.experimental.get_blas_info() (tsflow): which kernels the CPU's matrix products run on (a native
 * BLAS, the built-in WebAssembly SIMD kernels, or TypeScript loops), the library file, threads and whether
 * relaxed SIMD is used. Loads the BLAS if nothing has yet.
 */
export const getBlasInfo = defineFunction(
  signature("config.experimental.get_blas_info", "The CPU matrix-product kernels: BLAS name, file, threads, relaxed SIMD (tsflow).", [], { args: () => [] }),
  (): CpuKernelInfo => cpuKernelInfo(),
);

/**
 * tf.config.threading.set_intra_op_parallelism_threads(n): threads inside one op: the WebAssembly matrix
 * products' and a loaded BLAS's; 0 lets tsflow use one per core and the BLAS its own count.
 */
export const setIntraOpParallelismThreads = defineFunction(
  signature(
    "config.threading.set_intra_op_parallelism_threads",
    "Threads inside one op (the built-in matrix products and a loaded BLAS; 0: one per core, the BLAS its own count).",
    [param("numThreads", K.number, "Threads, or 0 for the system's choice.")],
    { args: (tf) => [tf.config.threading.getIntraOpParallelismThreads()] },
  ),
  (numThreads: number): void => {
    setSetting("threads", numThreads);
    applyBlasThreads();
  },
);
export const getIntraOpParallelismThreads = defineFunction(
  signature("config.threading.get_intra_op_parallelism_threads", "Threads inside one op (0: the system's choice).", [], { args: () => [] }),
  (): number => getSetting("threads"),
);

export const threading = { setIntraOpParallelismThreads, getIntraOpParallelismThreads };

/** What tf.sysconfig.getBuildInfo() returns (TensorFlow's keys camelCased, plus the CPU kernels). */
export interface BuildInfo {
  /** tsflow's CUDA backend is part of every build, used when a driver is found at run time. */
  isCudaBuild: boolean;
  isRocmBuild: boolean;
  isTensorrtBuild: boolean;
  /** The CPU's matrix-product kernels (as tf.config.experimental.getBlasInfo). */
  cpuKernels: CpuKernelInfo;
  nodeVersion: string;
  platform: string;
  arch: string;
}

/** tf.sysconfig.get_build_info(). */
export const getBuildInfo = defineFunction(
  signature("sysconfig.get_build_info", "How this tsflow runs: CUDA support, CPU kernels (BLAS / WebAssembly SIMD), platform.", [], { args: () => [] }),
  (): BuildInfo => ({
    isCudaBuild: true,
    isRocmBuild: false,
    isTensorrtBuild: false,
    cpuKernels: cpuKernelInfo(),
    nodeVersion: process.versions.node,
    platform: process.platform,
    arch: process.arch,
  }),
);

/** The tf.sysconfig namespace. */
export const sysconfig = { getBuildInfo };

/** tf.debugging.set_log_device_placement(enabled): ops print the device they run on (the TSFLOW_DEBUG topic `placement`). */
export const setLogDevicePlacement = defineFunction(
  signature(
    "debugging.set_log_device_placement",
    'Logs the device each op is placed on (the "placement" debug topic).',
    [param("enabled", K.boolean, "Whether to log.")],
    { args: () => [false] },
  ),
  (enabled: boolean): void => {
    const topics = getSetting("debug").filter((t) => t !== "placement");
    setSetting("debug", enabled ? [...topics, "placement"] : topics);
  },
);

export const experimental = {
  listPhysicalDevices,
  listLogicalDevices,
  setVisibleDevices,
  getVisibleDevices,
  setMemoryGrowth,
  getMemoryGrowth,
  getMemoryInfo,
  resetMemoryStats,
  enableTensorFloat32Execution,
  tensorFloat32ExecutionEnabled,
  enableOpDeterminism,
  getDeviceDetails,
  setVirtualDeviceConfiguration: setLogicalDeviceConfiguration,
  getTsflowOptions,
  setTsflowOptions,
  getBlasInfo,
};

/** The tf.config namespace. */
export const config = {
  PhysicalDevice,
  LogicalDevice,
  LogicalDeviceConfiguration,
  listPhysicalDevices,
  listLogicalDevices,
  setVisibleDevices,
  getVisibleDevices,
  setSoftDevicePlacement,
  getSoftDevicePlacement,
  setLogicalDeviceConfiguration,
  getLogicalDeviceConfiguration,
  runFunctionsEagerly,
  functionsRunEagerly,
  optimizer,
  threading,
  experimental,
};
