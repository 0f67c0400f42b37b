import type { Backend } from "../backends/backend.js";
import { InvalidArgumentError } from "../core/errors.js";
import { defaultBackend } from "../eager/context.js";
import { DeviceSpec, fullDeviceName, parseDevice } from "./device_spec.js";

/** A device this process can run on: a full TensorFlow name and the backend behind it. */
export interface LocalDevice {
  readonly name: string;
  readonly type: string;
  readonly index: number;
  readonly backend: Backend;
}

/** The devices that exist here. Only the CPU for now; GPU backends register themselves when present. */
export function localDevices(): LocalDevice[] {
  const cpu = defaultBackend();
  return [{ name: fullDeviceName("CPU", 0), type: "CPU", index: 0, backend: cpu }];
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
  const devices = localDevices();
  const spec = parseDevice(requested);
  const canRun = (d: LocalDevice) => hasRuntimeKernel || d.backend.hasKernel(opType);
  const candidates = devices.filter((d) => matches(spec, d));
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
