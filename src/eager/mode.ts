import { FailedPreconditionError } from "../core/errors.js";
import { ctx } from "../core/context.js";

/** tf.compat.v1.disable_eager_execution(): from now on ops build the default graph (TensorFlow 1). */
export function disableEagerExecution(): void {
  ctx.eagerEnabled = false;
}
/** tf.compat.v1.enable_eager_execution(). */
export function enableEagerExecution(): void {
  if (ctx.graphStack.length > 0) throw new FailedPreconditionError("tf.enableEagerExecution must be called outside any graph's asDefault()");
  ctx.eagerEnabled = true;
}
