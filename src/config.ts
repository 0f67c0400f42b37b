import { cudaSettings } from "./backends/cuda/config.js";
import { cudaRuntime, gpuBackend, visibleGpus } from "./backends/cuda/index.js";
import { FailedPreconditionError, InvalidArgumentError } from "./core/errors.js";
import { parseDevice } from "./runtime/device_spec.js";
import { placementSettings, resetDevicePlacementCache } from "./runtime/devices.js";

/**
 * tf.config: the devices this process has and how they are used, as TensorFlow's tf.config. GPUs come from
 * the cuda backend (backends/cuda/); on a machine without one, the lists simply hold the CPU.
 */

/** tf.config.PhysicalDevice: `name` is "/physical_device:GPU:0", `deviceType` "GPU". */
export class PhysicalDevice {
  constructor(readonly name: string, readonly deviceType: string) {}
  toString(): string {
    return `PhysicalDevice(name='${this.name}', device_type='${this.deviceType}')`;
  }
}

/** tf.config.LogicalDevice: what ops are placed on ("/device:GPU:0"). */
export class LogicalDevice {
  constructor(readonly name: string, readonly deviceType: string) {}
  toString(): string {
    return `LogicalDevice(name='${this.name}', device_type='${this.deviceType}')`;
  }
}

/** tf.config.LogicalDeviceConfiguration: `memoryLimit` in MiB, as in TensorFlow. */
export class LogicalDeviceConfiguration {
  readonly memoryLimit: number | null;
  constructor(opts: { memoryLimit?: number | null } = {}) {
    this.memoryLimit = opts.memoryLimit ?? null;
  }
}

function physicalGpus(): PhysicalDevice[] {
  const rt = cudaRuntime();
  return rt ? rt.devices.map((_, i) => new PhysicalDevice(`/physical_device:GPU:${i}`, "GPU")) : [];
}

function ofType<T extends { deviceType: string }>(list: T[], deviceType?: string | null): T[] {
  return deviceType == null ? list : list.filter((d) => d.deviceType === deviceType.toUpperCase());
}

/** tf.config.list_physical_devices(device_type=None). */
export function listPhysicalDevices(deviceType?: string | null): PhysicalDevice[] {
  return ofType([new PhysicalDevice("/physical_device:CPU:0", "CPU"), ...physicalGpus()], deviceType);
}

/** tf.config.list_logical_devices(device_type=None). */
export function listLogicalDevices(deviceType?: string | null): LogicalDevice[] {
  const gpus = visibleGpus().map((_, i) => new LogicalDevice(`/device:GPU:${i}`, "GPU"));
  return ofType([new LogicalDevice("/device:CPU:0", "CPU"), ...gpus], deviceType);
}

function gpuOrdinal(d: PhysicalDevice | string, where: string): number {
  const name = typeof d === "string" ? d : d.name;
  const m = /GPU:(\d+)$/i.exec(name);
  if (!m || !physicalGpus()[Number(m[1])]) throw new InvalidArgumentError(`${where}: unrecognized device ${name}`);
  return Number(m[1]);
}

function frozen(what: string): never {
  throw new FailedPreconditionError(`${what} cannot be modified after being initialized`);
}

/** tf.config.set_visible_devices(devices, device_type=None): must come before the first GPU op. */
export function setVisibleDevices(devices: PhysicalDevice | readonly PhysicalDevice[], deviceType?: string | null): void {
  const list = Array.isArray(devices) ? devices : [devices as PhysicalDevice];
  if (deviceType != null && deviceType.toUpperCase() === "CPU") return;
  const gpus = list.filter((d) => d.deviceType === "GPU").map((d) => gpuOrdinal(d, "setVisibleDevices"));
  const want = [...new Set(gpus)].sort((a, b) => a - b);
  const now = cudaSettings.visible ?? physicalGpus().map((_, i) => i);
  if (want.join(",") === now.join(",")) return;
  if (cudaSettings.initialized) frozen("Visible devices");
  cudaSettings.visible = want;
  resetDevicePlacementCache();
}

/** tf.config.get_visible_devices(device_type=None). */
export function getVisibleDevices(deviceType?: string | null): PhysicalDevice[] {
  const gpus = physicalGpus();
  const vis = cudaSettings.visible === null ? gpus : cudaSettings.visible.map((i) => gpus[i]).filter((d) => d !== undefined);
  return ofType([new PhysicalDevice("/physical_device:CPU:0", "CPU"), ...vis], deviceType);
}

/** tf.config.set_soft_device_placement(enabled): eager ops on a missing device or kernel run elsewhere. */
export function setSoftDevicePlacement(enabled: boolean): void {
  placementSettings.eagerSoftPlacement = Boolean(enabled);
}
export function getSoftDevicePlacement(): boolean {
  return placementSettings.eagerSoftPlacement;
}

/** tf.config.set_logical_device_configuration(device, [LogicalDeviceConfiguration({ memoryLimit })]). */
export function setLogicalDeviceConfiguration(device: PhysicalDevice, configs: readonly LogicalDeviceConfiguration[] | null): void {
  if (device.deviceType !== "GPU") return;
  const i = gpuOrdinal(device, "setLogicalDeviceConfiguration");
  if (cudaSettings.initialized) frozen("Virtual devices");
  if (configs && configs.length > 1) throw new InvalidArgumentError("setLogicalDeviceConfiguration: tsflow makes one logical device per GPU");
  const mb = configs?.[0]?.memoryLimit ?? null;
  if (mb === null) cudaSettings.memoryLimit.delete(i);
  else cudaSettings.memoryLimit.set(i, mb * 2 ** 20);
}

function logicalGpu(device: string, where: string) {
  let spec;
  try {
    spec = parseDevice(device);
  } catch {
    throw new InvalidArgumentError(`${where}: No matching devices found for '${device}'`);
  }
  if (spec.type !== "GPU") throw new InvalidArgumentError(`${where}: only GPU devices are supported, got '${device}'`);
  const b = gpuBackend(spec.index ?? 0);
  if (!b) throw new InvalidArgumentError(`${where}: No matching devices found for '${device}'`);
  return b;
}

/** tf.config.experimental.get_memory_info("GPU:0"): bytes in use by tensors now and at the peak. */
export function getMemoryInfo(device: string): { current: number; peak: number } {
  const a = logicalGpu(device, "getMemoryInfo").allocator;
  return { current: a.inUseBytes, peak: a.peakBytes };
}

/** tf.config.experimental.reset_memory_stats("GPU:0"): the peak restarts from what is in use now. */
export function resetMemoryStats(device: string): void {
  logicalGpu(device, "resetMemoryStats").allocator.resetPeak();
}

/** tf.config.experimental.set_memory_growth(device, enable). tsflow always allocates as tensors need memory. */
export function setMemoryGrowth(device: PhysicalDevice, enable: boolean): void {
  const i = gpuOrdinal(device, "setMemoryGrowth");
  if (cudaSettings.initialized && (cudaSettings.memoryGrowth.get(i) ?? false) !== Boolean(enable)) frozen("Physical devices");
  cudaSettings.memoryGrowth.set(i, Boolean(enable));
}
export function getMemoryGrowth(device: PhysicalDevice): boolean {
  return cudaSettings.memoryGrowth.get(gpuOrdinal(device, "getMemoryGrowth")) ?? false;
}

/** tf.config.experimental.enable_tensor_float_32_execution(enabled): TF32 matmuls on Ampere and newer. */
export function enableTensorFloat32Execution(enabled: boolean): void {
  cudaSettings.tf32 = Boolean(enabled);
}
export function tensorFloat32ExecutionEnabled(): boolean {
  return cudaSettings.tf32;
}

/** tf.config.experimental.get_device_details(device): { deviceName, computeCapability } for GPUs. */
export function getDeviceDetails(device: PhysicalDevice): { deviceName?: string; computeCapability?: [number, number] } {
  if (device.deviceType !== "GPU") return {};
  const info = cudaRuntime()!.devices[gpuOrdinal(device, "getDeviceDetails")];
  return { deviceName: info.name, computeCapability: [info.computeCapability[0], info.computeCapability[1]] };
}

export const experimental = {
  listPhysicalDevices, listLogicalDevices, setVisibleDevices, getVisibleDevices,
  setMemoryGrowth, getMemoryGrowth, getMemoryInfo, resetMemoryStats,
  enableTensorFloat32Execution, tensorFloat32ExecutionEnabled, getDeviceDetails,
  setVirtualDeviceConfiguration: setLogicalDeviceConfiguration,
};

/** The tf.config namespace. */
export const config = {
  PhysicalDevice, LogicalDevice, LogicalDeviceConfiguration,
  listPhysicalDevices, listLogicalDevices, setVisibleDevices, getVisibleDevices,
  setSoftDevicePlacement, getSoftDevicePlacement, setLogicalDeviceConfiguration,
  getLogicalDeviceConfiguration: (device: PhysicalDevice): LogicalDeviceConfiguration[] => {
    if (device.deviceType !== "GPU") return [];
    const lim = cudaSettings.memoryLimit.get(gpuOrdinal(device, "getLogicalDeviceConfiguration"));
    return lim === undefined ? [] : [new LogicalDeviceConfiguration({ memoryLimit: lim / 2 ** 20 })];
  },
  experimental,
};
