import type { Backend, Handle, KernelEnv } from "../core/backend.js";
import type { Attrs } from "../core/schema/types.js";
import { eagerDeviceRequest } from "../core/context.js";
import type { DType } from "../core/dtype.js";
import { InvalidArgumentError } from "../core/errors.js";
import { getSetting, debugOn } from "../core/settings.js";
import { DeviceSpec, fullDeviceName, parseDevice } from "../core/device_spec.js";
import { defaultBackend, gpuBackend, visibleGpuCount } from "../core/devices.js";

/**
 * Placement: which backend runs an op, as TensorFlow's placer decides, over the devices of the registry
 * (core/devices.ts). Eager dispatch, variables and the Session's plan all ask here.
 */

/** A device this process can run on: a full TensorFlow name and the backend behind it. */
export interface LocalDevice {
  readonly name: string;
  readonly type: string;
  readonly index: number;
  readonly backend: Backend;
}

/**
 * The devices that exist here: the CPU, then GPU:0, GPU:1, ... when the cuda backend found GPUs (visible
 * ones, after tf.config.setVisibleDevices); their backends are created on first listing.
 */
export function localDevices(): LocalDevice[] {
  const cpu = defaultBackend();
  const out: LocalDevice[] = [{ name: fullDeviceName("CPU", 0), type: "CPU", index: 0, backend: cpu }];
  for (let i = 0, n = visibleGpuCount(); i < n; i++) {
    const b = gpuBackend(i);
    if (b) out.push({ name: fullDeviceName("GPU", i), type: "GPU", index: i, backend: b });
  }
  return out;
}

/** Backends that can tell whether they run an op on given dtypes (the cuda backend can). */
interface DTypeAware {
  canRun(type: string, dtypes: readonly DType[], attrs?: Attrs): boolean;
}
function canRunOn(b: Backend, type: string, dtypes: readonly DType[], attrs: Attrs): boolean {
  const d = b as Backend & Partial<DTypeAware>;
  return d.canRun ? d.canRun(type, dtypes, attrs) : b.hasKernel(type);
}

/**
 * Where an op's outputs are allocated when it runs on `b`: a GPU backend runs on the CPU, and keeps there, what
 * it has no kernel for on these dtypes (soft placement inside the backend), so those are held to host limits.
 */
export function allocationDevice(b: Backend, type: string, dtypes: readonly DType[], attrs: Attrs): "CPU" | "GPU" {
  return b.deviceType === "GPU" && canRunOn(b, type, dtypes, attrs) ? "GPU" : "CPU";
}

let gpu0: Backend | null | undefined;
/** Devices matching a request, GPUs first, per request string: eager ops inside tf.device ask on every op. */
const candidatesByRequest = new Map<string, { devices: LocalDevice[]; candidates: LocalDevice[] }>();
/** Forgets the cached default GPU and device lists (tf.config.setVisibleDevices before initialisation). */
export function resetDevicePlacementCache(): void {
  gpu0 = undefined;
  candidatesByRequest.clear();
}

function candidatesFor(requested: string): { devices: LocalDevice[]; candidates: LocalDevice[] } {
  let c = candidatesByRequest.get(requested);
  if (c === undefined) {
    const devices = localDevices();
    const spec = parseDevice(requested);
    // TensorFlow prefers a GPU to the CPU when the request leaves the device type open.
    const candidates = devices.filter((d) => matches(spec, d)).sort((a, b) => (a.type === "GPU" ? 0 : 1) - (b.type === "GPU" ? 0 : 1));
    c = { devices, candidates };
    candidatesByRequest.set(requested, c);
  }
  return c;
}

/**
 * The backend an eager op runs on, as TensorFlow places eager ops: inside tf.device(...) the requested
 * device (soft placement moves the op to the CPU when that device is missing or has no kernel for it);
 * otherwise GPU:0 when there is one with a kernel for the op and its dtypes, else the CPU.
 */
export function placeEager(opType: string, dtypes: readonly DType[], attrs: Attrs): Backend {
  const requested = eagerDeviceRequest();
  if (requested === "") {
    if (gpu0 === undefined) gpu0 = visibleGpuCount() > 0 ? gpuBackend(0) : null;
    return gpu0 !== null && canRunOn(gpu0, opType, dtypes, attrs) ? gpu0 : defaultBackend();
  }
  const soft = getSetting("softPlacement");
  const { device } = placeOp(opType, opType, requested, soft, false);
  if (canRunOn(device.backend, opType, dtypes, attrs)) return device.backend;
  if (soft) return defaultBackend();
  throw new InvalidArgumentError(
    `Could not satisfy device specification '${requested}': no supported kernel for ${device.type} devices is available for op ${opType} with dtypes [${dtypes.join(", ")}]`,
  );
}

/**
 * Where an eager constant is created (tf.constant, tf.zeros/ones from a JS shape, a variable's initial
 * value), as TensorFlow 2 places them: on the device of the enclosing tf.device scope, else on GPU:0 when
 * there is one, so that variables, their optimizer updates and everything computed from constants stay on
 * the GPU. Strings stay on the CPU (a GPU holds them on the host anyway).
 */
export function placeConstant(dtype: DType): Backend {
  if (dtype === "string") return defaultBackend();
  const requested = eagerDeviceRequest();
  if (requested === "") {
    if (gpu0 === undefined) gpu0 = visibleGpuCount() > 0 ? gpuBackend(0) : null;
    return gpu0 ?? defaultBackend();
  }
  return placeOp("Const", "Const", requested, getSetting("softPlacement"), true).device.backend;
}

export interface PlacementResult {
  device: LocalDevice;
  /** Set when soft placement moved the op away from what it asked for. */
  softPlaced: boolean;
}

function matches(spec: DeviceSpec, d: LocalDevice): boolean {
  if (spec.job !== undefined && spec.job !== "localhost") return false;
  if (spec.replica !== undefined && spec.replica !== 0) return false;
  if (spec.task !== undefined && spec.task !== 0) return false;
  if (spec.type !== undefined && spec.type !== d.type) return false;
  if (spec.index !== undefined && spec.index !== d.index) return false;
  return true;
}

/**
 * Chooses a device for an op as TensorFlow's placer does: the requested device if it exists and has a
 * kernel for the op; otherwise, with soft placement, the CPU; otherwise an InvalidArgumentError.
 */
export function placeOp(opName: string, opType: string, requested: string, allowSoftPlacement: boolean, hasRuntimeKernel: boolean): PlacementResult {
  const { devices, candidates } = candidatesFor(requested);
  const canRun = (d: LocalDevice) => hasRuntimeKernel || d.backend.hasKernel(opType);
  const ok = candidates.find(canRun);
  if (ok) return { device: ok, softPlaced: false };
  if (allowSoftPlacement) {
    const cpu = devices.find((d) => d.type === "CPU" && canRun(d)) ?? devices[0];
    return { device: cpu, softPlaced: requested !== "" };
  }
  if (candidates.length === 0) {
    throw new InvalidArgumentError(
      `Cannot assign a device for operation ${opName}: {{node ${opName}}} was explicitly assigned to ${requested} but available devices are [ ${devices.map((d) => d.name).join(", ")} ]. Make sure the device specification refers to a valid device.`,
    );
  }
  throw new InvalidArgumentError(
    `Cannot assign a device for operation ${opName}: Could not satisfy explicit device specification '${requested}' because no supported kernel for ${candidates[0].type} devices is available (op type ${opType}).`,
  );
}

/** tf.debugging.setLogDevicePlacement(true) or TSFLOW_DEBUG=placement: eager ops print where they run, as TensorFlow does. */
export function logEagerPlacement(type: string, backend: Backend): void {
  if (debugOn("placement")) {
    console.log(`Executing op ${type} in device ${fullDeviceName(backend.deviceType, backend.deviceIndex)}`);
  }
}

/**
 * Runs a kernel on `backend` with inputs from any device. Copies happen only where a value crosses
 * devices: the CPU's kernels read host memory, so values on a GPU are brought over first; a GPU backend
 * takes host-resident inputs itself (uploading what it computes on, leaving shapes and axes on the host).
 */
export function runKernelOn(backend: Backend, type: string, handles: readonly Handle[], attrs: Attrs, env: KernelEnv): Handle[] {
  if (backend.deviceType !== "CPU" || handles.every((h) => h.backend === backend)) return backend.runKernel(type, handles, attrs, env);
  const copies: Handle[] = [];
  const ins = handles.map((h) => {
    if (h.backend === backend) return h;
    const c = backend.write(h.backend.readSync(h), h.dtype, h.shape);
    copies.push(c);
    return c;
  });
  try {
    return backend.runKernel(type, ins, attrs, env);
  } finally {
    for (const c of copies) backend.dispose(c);
  }
}
