import type { Backend } from "../core/backend.js";
import { ctx } from "../eager/context.js";
import { fullDeviceName } from "./device_spec.js";

/** tf.debugging.setLogDevicePlacement(true): eager ops print where they run, as TensorFlow does. */
export function logEagerPlacement(type: string, backend: Backend): void {
  if (ctx.logDevicePlacement) {
    console.log(`Executing op ${type} in device ${fullDeviceName(backend.deviceType, backend.deviceIndex)}`);
  }
}
