import { ctx, executingEagerly } from "../core/context.js";
import { mergeDeviceSpecs } from "../core/device_spec.js";
import { withEagerNameScope } from "../core/eager_name_scope.js";
import type { Tensor } from "../core/tensor.js";
import { isTensorConvertible, TensorConvertible } from "../core/tensor_like.js";
import { getDefaultGraph } from "./default_graph.js";
import { Operation } from "./operation.js";
import { SymbolicTensor } from "./tensor.js";
import { InvalidArgumentError } from "../core/errors.js";

/** tf.name_scope(name, fn): prefixes the names of ops (and variables) created by fn with `name/`. */
export function nameScope<T>(name: string, fn: (scope: string) => T): T {
  if (executingEagerly()) return withEagerNameScope(name, fn);
  return getDefaultGraph().nameScope(name, fn);
}

/** tf.control_dependencies(ops, fn): ops created by fn run only after `controlInputs`. */
export function controlDependencies<T>(controlInputs: readonly (Operation | Tensor | TensorConvertible | null)[] | null, fn: () => T): T {
  if (executingEagerly()) return fn();
  const ops = controlInputs === null ? null : controlInputs.filter((x) => x !== null).map(asOperation);
  return getDefaultGraph().controlDependencies(ops, fn);
}

/** The op behind a control input: a tensor's producer, a variable's VariableV2 node. */
export function asOperation(x: Operation | Tensor | TensorConvertible): Operation {
  if (x instanceof SymbolicTensor) return x.op;
  if (isTensorConvertible(x)) return x.op as Operation;
  if (x instanceof Operation) return x;
  throw new InvalidArgumentError(`Can not convert ${String(x)} to an Operation: an eager tensor has no op`);
}

/** tf.device(spec, fn): ops created by fn ask for that device ("/cpu:0", "/device:GPU:1", full names). */
export function device<T>(spec: string | null, fn: () => T): T {
  if (executingEagerly()) {
    // Each entry is the merged request of all enclosing scopes, so eager placement reads only the top.
    const stack = ctx.eagerDeviceStack;
    const outer = stack.length === 0 ? "" : stack[stack.length - 1];
    stack.push(spec ? mergeDeviceSpecs(outer, spec) : outer);
    try {
      return fn();
    } finally {
      ctx.eagerDeviceStack.pop();
    }
  }
  return getDefaultGraph().device(spec, fn);
}

export function addToCollection(name: string, value: unknown): void {
  getDefaultGraph().addToCollection(name, value);
}
export function addToCollections(names: readonly string[], value: unknown): void {
  getDefaultGraph().addToCollections(names, value);
}
export function getCollection<T = unknown>(key: string, scope?: string): T[] {
  return getDefaultGraph().getCollection<T>(key, scope);
}
export function getCollectionRef<T = unknown>(key: string): T[] {
  return getDefaultGraph().getCollectionRef<T>(key);
}
