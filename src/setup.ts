/**
 * Wires the layers together once: the op library registers, the CPU backend becomes the default
 * device, and the tape gets the ops it needs. Imported first by index.ts.
 */
import "./ops/state.js";
import "./ops/elementwise.js";
import "./ops/cast.js";
import "./ops/array.js";
import "./ops/reduce.js";
import "./ops/linalg.js";
import "./ops/random.js";
import "./ops/conv.js";
import "./ops/debug.js";
import "./ops/training.js";
import "./ops/methods.js";
import "./runtime/session.js";
import { CpuBackend } from "./backends/cpu/backend.js";
import { setBackendProvider } from "./eager/context.js";
import { EagerTensor } from "./eager/tensor.js";
import { setTapeOps } from "./eager/tape.js";
import * as ew from "./ops/elementwise.js";
import { onesLike, zerosLike } from "./ops/array.js";
import { addN } from "./ops/reduce.js";

let cpu: CpuBackend | null = null;
setBackendProvider(() => (cpu ??= new CpuBackend()));

setTapeOps({
  onesLike: (t) => onesLike(t) as EagerTensor,
  zerosLike: (t) => zerosLike(t) as EagerTensor,
  add: (a, b) => ew.add(a, b) as EagerTensor,
  addN: (ts) => addN(ts) as EagerTensor,
});
