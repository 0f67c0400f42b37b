/**
 * The composition root: wires the layers together once. Imported first by index.ts. The op library
 * registers its rows, the CPU backend registers itself, the GPU provider is loaded only where a CUDA
 * driver may exist, and the executors of the two modes are handed to dispatch.
 */
import "./ops/state.js";
import "./ops/elementwise.js";
import "./ops/cast.js";
import "./ops/creation.js";
import "./ops/shape.js";
import "./ops/movement.js";
import "./ops/movement_grads.js";
import "./ops/reduce.js";
import "./ops/matmul.js";
import "./ops/random.js";
import "./ops/conv.js";
import "./ops/pool.js";
import "./ops/norm.js";
import "./ops/image.js";
import "./ops/debug.js";
import "./ops/training.js";
import "./ops/recurrent.js";
import "./ops/methods.js";
import "./variables/methods.js";
import "./runtime/session.js";
import "./backends/cpu/backend.js";
import { gpuProvider, registerGpuProvider } from "./core/devices.js";
import { cudaAbsence, noGpuProvider } from "./backends/cuda/presence.js";
import { registerExecutors } from "./ops/executor.js";
import { eagerExecutor } from "./eager/executor.js";
import { tidy } from "./eager/memory.js";
import { graphExecutor } from "./graph/build.js";
import { registerGraphControlFlow } from "./ops/control_flow.js";
import { registerFunctionNodeImporter } from "./graph/import_graph_def.js";
import { replayGraphDefNode } from "./saving/saved_model/function_import.js";
import { graphControlFlow } from "./graph/control_flow.js";

registerExecutors(eagerExecutor, graphExecutor, tidy);
registerGraphControlFlow(graphControlFlow);
registerFunctionNodeImporter(replayGraphDefNode);

// The cuda backend's modules (and, on first use, its native libraries) load only where a driver may be.
const absence = cudaAbsence();
if (absence === null) await import("./backends/cuda/index.js");
else if (gpuProvider() === null) registerGpuProvider(noGpuProvider(absence)); // unless a caller loaded the cuda backend itself
