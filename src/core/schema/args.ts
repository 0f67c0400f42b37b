import type { ArgDef, OpSchema } from "./types.js";

/**
 * An op's inputs and outputs as TensorFlow's ArgDefs, for a GraphDef writer (set each type attr from the
 * dtype of the first input naming it, and a number attr from the length of its list) and a reader (the
 * dtypes of the node's inputs and outputs from those attrs). Rows that declare `inputs`/`outputs` give them;
 * otherwise they follow from the dispatch fields, as for most ops:
 * - input i is named inputNames[i] (or input_i);
 * - inputs of the first dtype group (or input 0 when there is none) bind `T`, those of a later group bind
 *   `T1`, `T2`, ...; an input in no group with an inputDTypes entry binds `T<name>` (TensorFlow's `Tidx`,
 *   `Tshape`: an index type attr), any other input binds `T`;
 * - one output "output" typed by `T`, or by the fixed dtype of the elementwise row's outDType.
 */
export function inputArgs(schema: OpSchema): readonly ArgDef[] {
  if (schema.inputs) return schema.inputs;
  const names = schema.inputNames ?? [];
  const groups = schema.dtypeGroups ?? [[0]];
  return names.map((name, i) => {
    const g = groups.findIndex((grp) => grp.includes(i));
    if (g >= 0) return { name, typeAttr: g === 0 ? "T" : `T${g}` };
    if (schema.inputDTypes?.[i] !== undefined) return { name, typeAttr: `T${name}` };
    return { name, typeAttr: "T" };
  });
}

export function outputArgs(schema: OpSchema): readonly ArgDef[] {
  if (schema.outputs) return schema.outputs;
  const fixed = schema.elementwise?.outDType;
  return [fixed ? { name: "output", type: fixed } : { name: "output", typeAttr: "T" }];
}
