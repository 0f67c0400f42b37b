import { ctx, executingEagerly } from "../core/context.js";
import { mergeDeviceSpecs } from "../core/device_spec.js";
import { withEagerNameScope } from "../core/eager_name_scope.js";
import type { Tensor } from "../core/tensor.js";
import { isTensorConvertible, TensorConvertible } from "../core/tensor_like.js";
import { getDefaultGraph } from "./default_graph.js";
import { Operation } from "./operation.js";
import { SymbolicTensor } from "./tensor.js";
import { InvalidArgumentError } from "../core/errors.js";
import { body, defineFunction, K, kind, optional, param, signature } from "../core/signature.js";

const BODY = body("body", K.callback, "The `with` block: runs inside the scope; its result is returned.");

/** tf.name_scope(name, fn): prefixes the names of ops (and variables) created by fn with `name/`. */
export const nameScope = defineFunction(
  signature(
    "name_scope",
    "Prefixes the names of ops (and variables) created by the body with `name/`; the body receives the scope.",
    [
      param("name", K.string, "The scope's name (made unique in a graph)."),
      body("body", kind<(scope: string) => unknown>("(scope: string) => T"), "The `with` block: runs inside the scope; its result is returned."),
    ],
    { args: () => ["s", () => 1], graph: true },
  ),
  (name: string, fn: (scope: string) => unknown) => (executingEagerly() ? withEagerNameScope(name, fn) : getDefaultGraph().nameScope(name, fn)),
) as unknown as {
  <T>(name: string, fn: (scope: string) => T): T;
  <T>(options: { name: string; body?: (scope: string) => T }, fn?: (scope: string) => T): T;
};

type ControlInput = Operation | Tensor | TensorConvertible | null;

/** tf.control_dependencies(ops, fn): ops created by fn run only after `controlInputs`. */
export const controlDependencies = defineFunction(
  signature(
    "control_dependencies",
    "Ops created by the body run only after the control inputs (eagerly: the body just runs).",
    [
      param(
        "controlInputs",
        kind<readonly ControlInput[] | null>("(Operation | Tensor)[] | null"),
        "Ops or tensors to wait for; null clears the dependencies.",
      ),
      BODY,
    ],
    { args: (tf) => [[tf.noOp()], () => 1], graph: true },
  ),
  (controlInputs: readonly ControlInput[] | null, fn: () => unknown) => {
    if (executingEagerly()) return fn();
    const ops = controlInputs === null ? null : controlInputs.filter((x) => x !== null).map(asOperation);
    return getDefaultGraph().controlDependencies(ops, fn);
  },
) as unknown as {
  <T>(controlInputs: readonly ControlInput[] | null, fn: () => T): T;
  <T>(options: { controlInputs: readonly ControlInput[] | null; body?: () => T }, fn?: () => T): T;
};

/** The op behind a control input: a tensor's producer, a variable's VariableV2 node. */
export function asOperation(x: Operation | Tensor | TensorConvertible): Operation {
  if (x instanceof SymbolicTensor) return x.op;
  if (isTensorConvertible(x)) return x.op as Operation;
  if (x instanceof Operation) return x;
  throw new InvalidArgumentError(`Can not convert ${String(x)} to an Operation: an eager tensor has no op`);
}

/** tf.device(spec, fn): ops created by fn ask for that device ("/cpu:0", "/device:GPU:1", full names). */
export const device = defineFunction(
  signature(
    "device",
    'Ops created by the body ask for that device ("/cpu:0", "/device:GPU:1", full names).',
    [param("deviceName", kind<string | null>("string | null"), "The device spec; null clears it."), BODY],
    { args: () => ["/cpu:0", () => 1] },
  ),
  (spec: string | null, fn: () => unknown) => {
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
  },
) as unknown as {
  <T>(deviceName: string | null, fn: () => T): T;
  <T>(options: { deviceName: string | null; body?: () => T }, fn?: () => T): T;
};

const collectionExample = { args: () => ["my_collection", 1], graph: true };

export const addToCollection = defineFunction(
  signature(
    "add_to_collection",
    "Adds a value to the default graph's collection `name`.",
    [param("name", K.string, "The collection's key."), param("value", kind<unknown>("unknown"), "The value to add.")],
    collectionExample,
  ),
  (name: string, value: unknown): void => getDefaultGraph().addToCollection(name, value),
);
export const addToCollections = defineFunction(
  signature(
    "add_to_collections",
    "Adds a value to several of the default graph's collections.",
    [param("names", kind<readonly string[]>("string[]"), "The collections' keys."), param("value", kind<unknown>("unknown"), "The value to add.")],
    { args: () => [["a", "b"], 1], graph: true },
  ),
  (names: readonly string[], value: unknown): void => getDefaultGraph().addToCollections(names, value),
);
export const getCollection = defineFunction(
  signature(
    "get_collection",
    "A copy of the default graph's collection `key`, filtered by name scope.",
    [param("key", K.string, "The collection's key."), optional("scope", K.string, "Keeps only items whose name starts with this scope.")],
    { args: () => ["my_collection", "s"], graph: true },
  ),
  (key: string, scope: string | undefined) => getDefaultGraph().getCollection(key, scope),
) as unknown as <T = unknown>(key: string | { key: string; scope?: string }, scope?: string | { scope?: string }) => T[];
export const getCollectionRef = defineFunction(
  signature("get_collection_ref", "The default graph's collection `key` itself (mutable).", [param("key", K.string, "The collection's key.")], {
    args: () => ["my_collection"],
    graph: true,
  }),
  (key: string) => getDefaultGraph().getCollectionRef(key),
) as unknown as <T = unknown>(key: string | { key: string }) => T[];
