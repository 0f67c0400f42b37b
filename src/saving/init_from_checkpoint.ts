/**
 * tf.train.initFromCheckpoint (tf.compat.v1.train.init_from_checkpoint): makes variables start from a
 * checkpoint's values. In a graph each variable's initializer is replaced by an Assign of a constant
 * holding the checkpoint's tensor (so globalVariablesInitializer() loads them); eager variables are
 * assigned at once. The assignment map follows TensorFlow:
 *   { "old_scope/": "new_scope/" }  every graph variable under new_scope/ from old_scope/<same rest>
 *   { "/": "new_scope/" }           every graph variable under new_scope/ from the checkpoint's root
 *   { "old/name": "new/name" }      one variable (by op name, or a Variable object as the value)
 * Everything is checked (presence, dtype, shape) before any initializer changes.
 */
import { InvalidArgumentError, NotFoundError } from "../core/errors.js";
import { constant } from "../ops/creation.js";
import { getDefaultGraph } from "../graph/default_graph.js";
import { GraphKeys } from "../graph/graph.js";
import type { SymbolicTensor } from "../graph/tensor.js";
import { BundleReader, hostValues } from "../io/tensor_bundle.js";
import { Variable } from "../variables/variable.js";
import { resolveCheckpoint } from "./checkpoint_reader.js";

export type AssignmentMap = { readonly [ckptName: string]: string | Variable };

const opName = (v: Variable) => (v.graph !== null ? v.op.name : v.name.replace(/:\d+$/, ""));

export function initFromCheckpointImpl(ckptDirOrFile: string, assignmentMap: AssignmentMap): void {
  const prefix = resolveCheckpoint(ckptDirOrFile);
  const reader = BundleReader.open(prefix);
  const graphVars = (): Variable[] => getDefaultGraph().getCollection<Variable>(GraphKeys.GLOBAL_VARIABLES);
  const pairs: [string, Variable][] = [];
  for (const [ckptName, target] of Object.entries(assignmentMap)) {
    if (target instanceof Variable) {
      pairs.push([ckptName, target]);
      continue;
    }
    if (ckptName.endsWith("/") || ckptName === "/") {
      if (!target.endsWith("/"))
        throw new InvalidArgumentError(
          `Assignment map with scope only name ${ckptName} should map to scope only ${target}. Should be 'scope/': 'other_scope/'.`,
        );
      const scope = target === "/" ? "" : target;
      const from = ckptName === "/" ? "" : ckptName;
      for (const v of graphVars()) {
        const name = opName(v);
        if (!name.startsWith(scope)) continue;
        pairs.push([from + name.slice(scope.length), v]);
      }
      continue;
    }
    const v = graphVars().find((x) => opName(x) === target);
    if (v === undefined) throw new InvalidArgumentError(`Variable ${target} (mapped from ${ckptName}) is not a global variable of the default graph`);
    pairs.push([ckptName, v]);
  }
  for (const [name, v] of pairs) {
    if (!reader.has(name)) throw new NotFoundError(`Tensor ${name} is not found in ${prefix} checkpoint (wanted for variable ${opName(v)})`);
    const { dtype, shape } = reader.entry(name);
    const vs = v.shape;
    if (vs === null || vs.length !== shape.length || vs.some((d, i) => d !== null && d !== shape[i])) {
      throw new InvalidArgumentError(
        `Shape of variable ${opName(v)} ([${vs?.join(",") ?? "?"}]) doesn't match with shape of tensor ${name} ([${shape.join(",")}]) from checkpoint reader.`,
      );
    }
    if (dtype !== v.dtype)
      throw new InvalidArgumentError(
        `dtype of variable ${opName(v)} (${v.dtype}) doesn't match with dtype of tensor ${name} (${dtype}) from checkpoint reader.`,
      );
  }
  for (const [name, v] of pairs) {
    const read = reader.read(name);
    const { shape } = read;
    const values = hostValues(read);
    const g = v.graph;
    if (g === null) {
      v.assign(constant(values, v.dtype, shape));
      continue;
    }
    const assign = g.asDefault(() =>
      g.nameScope(`${v.op.name}/`, () => v.assign(constant(values, v.dtype, shape, "checkpoint_value"), undefined, "checkpoint_initializer") as SymbolicTensor),
    );
    Variable.replaceInitializer(v, assign.op);
  }
}
