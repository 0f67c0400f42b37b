import { liftOutOfFunctionGraphs } from "../core/context.js";
import { withoutRecording } from "../eager/tape.js";

/**
 * tf.function (TensorFlow 2's graph functions): tfFunction traces a JavaScript function into a graph per
 * input signature and replays it through the Session machinery (runtime/). See docs/ARCHITECTURE.md.
 */
export { functionsRunEagerly, runFunctionsEagerly, tfFunction } from "./tf_function.js";
export { TensorSpec } from "./tensor_spec.js";

/**
 * TensorFlow's init_scope: runs fn outside any tf.function being traced, with no tape recording, so that
 * what it creates (a Keras layer's weights, an optimizer's slots) is eager state that outlives the trace.
 * Outside a trace it just runs fn (still without tape recording).
 */
/** @public used by the Keras layers and optimizers (issue 9) to make weights and slots outside a trace */
export function initScope<T>(fn: () => T): T {
  return liftOutOfFunctionGraphs(() => withoutRecording(fn));
}
