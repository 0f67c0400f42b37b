import { InvalidArgumentError } from "./errors.js";

/** A parsed device name, any field of which may be unset ("/gpu:1" sets only type and index). */
export interface DeviceSpec {
  job?: string;
  replica?: number;
  task?: number;
  type?: string;
  index?: number;
}

/** Parses TensorFlow's device names: "/cpu:0", "/device:GPU:1", "GPU:0", "/job:localhost/replica:0/task:0/device:CPU:0". */
export function parseDevice(name: string): DeviceSpec {
  const spec: DeviceSpec = {};
  if (name === "") return spec;
  for (const part of name.split("/").filter((p) => p !== "")) {
    const bits = part.split(":");
    const key = bits[0].toLowerCase();
    if (key === "job" && bits.length === 2) spec.job = bits[1];
    else if (key === "replica" && bits.length === 2) spec.replica = Number(bits[1]);
    else if (key === "task" && bits.length === 2) spec.task = Number(bits[1]);
    else if (key === "device" && bits.length >= 2) setType(spec, bits[1], bits[2], name);
    else if (bits.length <= 2 && /^[a-z_]+$/i.test(bits[0])) setType(spec, bits[0], bits[1], name);
    else throw new InvalidArgumentError(`Malformed device specification '${name}'`);
  }
  return spec;
}

function setType(spec: DeviceSpec, type: string, index: string | undefined, whole: string): void {
  spec.type = type.toUpperCase();
  if (index !== undefined && index !== "*") {
    if (!/^\d+$/.test(index)) throw new InvalidArgumentError(`Malformed device specification '${whole}'`);
    spec.index = Number(index);
  }
}

export function deviceToString(s: DeviceSpec): string {
  let out = "";
  if (s.job !== undefined) out += `/job:${s.job}`;
  if (s.replica !== undefined) out += `/replica:${s.replica}`;
  if (s.task !== undefined) out += `/task:${s.task}`;
  if (s.type !== undefined) out += `/device:${s.type}:${s.index ?? "*"}`;
  return out;
}

/** Inner tf.device() scopes refine outer ones field by field, as TensorFlow merges DeviceSpecs. */
export function mergeDeviceSpecs(outer: string, inner: string): string {
  const a = parseDevice(outer);
  const b = parseDevice(inner);
  return deviceToString({ ...a, ...Object.fromEntries(Object.entries(b).filter(([, v]) => v !== undefined)) });
}

export function fullDeviceName(type: string, index: number): string {
  return `/job:localhost/replica:0/task:0/device:${type}:${index}`;
}
