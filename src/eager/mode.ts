import { FailedPreconditionError, UnimplementedError } from "../core/errors.js";
import { ctx } from "../core/context.js";
import { defineFunction, kind, optional, signature } from "../core/signature.js";

/** tf.compat.v1.disable_eager_execution(): from now on ops build the default graph (TensorFlow 1). */
export const disableEagerExecution = defineFunction(
  signature("compat.v1.disable_eager_execution", "From now on ops build the default graph (TensorFlow 1).", [], {
    skip: "switches the whole process to graph mode",
  }),
  (): void => {
    ctx.eagerEnabled = false;
  },
);

const notYet = kind<unknown>("unknown");

/** tf.compat.v1.enable_eager_execution(). */
export const enableEagerExecution = defineFunction(
  signature(
    "compat.v1.enable_eager_execution",
    "Ops run eagerly again (the default, as in TensorFlow 2); must be called outside any graph's asDefault().",
    [
      optional("config", notYet, "Not implemented yet: must be null."),
      optional("devicePolicy", notYet, "Not implemented yet: must be null."),
      optional("executionMode", notYet, "Not implemented yet: must be null."),
    ],
    { args: () => [] },
  ),
  (config, devicePolicy, executionMode): void => {
    const given = config != null ? "config" : devicePolicy != null ? "devicePolicy" : executionMode != null ? "executionMode" : null;
    if (given) throw new UnimplementedError(`tf.enableEagerExecution: ${given} is not implemented yet in tsflow`);
    if (ctx.graphStack.length > 0) throw new FailedPreconditionError("tf.enableEagerExecution must be called outside any graph's asDefault()");
    ctx.eagerEnabled = true;
  },
);
