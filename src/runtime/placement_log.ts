import type { Backend } from "../core/backend.js";
import { debugOn } from "../core/settings.js";
import { fullDeviceName } from "./device_spec.js";

/** tf.debugging.setLogDevicePlacement(true) or TSFLOW_DEBUG=placement: eager ops print where they run, as TensorFlow does. */
export function logEagerPlacement(type: string, backend: Backend): void {
  if (debugOn("placement")) {
    console.log(`Executing op ${type} in device ${fullDeviceName(backend.deviceType, backend.deviceIndex)}`);
  }
}
