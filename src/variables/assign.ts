import { UnimplementedError } from "../core/errors.js";
import { defineFunction, K, kind, optional, param, signature } from "../core/signature.js";
import { NAME, T } from "../ops/params.js";
import type { Variable } from "./variable.js";

/** tf.compat.v1.assign and friends: the public functions for the Assign* rows of ops/state.ts. */

const REF = param("ref", kind<Variable>("Variable"), "The variable to update.");
const USE_LOCKING = optional("useLocking", K.boolean, "Use a lock for the update (no effect here: updates never race).");
const assignExample = { graph: true, args: (tf: { Variable: new (v: unknown) => unknown }) => [new tf.Variable([1, 2]), [3, 4]] };

/** tf.compat.v1.assign(ref, value, validate_shape, use_locking, name): ref.assign(value). */
export const assign = defineFunction(
  signature(
    "compat.v1.assign",
    "Assigns a value to a variable: the Assign op's output in a graph, the variable eagerly.",
    [
      REF,
      param("value", T.tensor, "The new value."),
      optional("validateShape", K.boolean, "Require value's shape to be compatible with the variable's (the default)."),
      USE_LOCKING,
      NAME,
    ],
    assignExample,
  ),
  (ref, value, validateShape, useLocking, name) => {
    if (validateShape === false)
      throw new UnimplementedError("tf.assign with validate_shape=False (changing a variable's shape) is not implemented yet in tsflow");
    return ref.assign(value, useLocking, name);
  },
);
/** tf.compat.v1.assign_add(ref, value, use_locking, name): ref.assignAdd(value). */
export const assignAdd = defineFunction(
  signature("compat.v1.assign_add", "Adds a value to a variable.", [REF, param("value", T.tensor, "The value to add."), USE_LOCKING, NAME], assignExample),
  (ref, value, useLocking, name) => ref.assignAdd(value, useLocking, name),
);
/** tf.compat.v1.assign_sub(ref, value, use_locking, name): ref.assignSub(value). */
export const assignSub = defineFunction(
  signature(
    "compat.v1.assign_sub",
    "Subtracts a value from a variable.",
    [REF, param("value", T.tensor, "The value to subtract."), USE_LOCKING, NAME],
    assignExample,
  ),
  (ref, value, useLocking, name) => ref.assignSub(value, useLocking, name),
);
