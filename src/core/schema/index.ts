import { CAST_OPS } from "./cast.js";
import { CONTROL_FLOW_OPS } from "./control_flow.js";
import { CONV_OPS } from "./conv.js";
import { CREATION_OPS } from "./creation.js";
import { DATA_OPS } from "./data.js";
import { DEBUG_OPS } from "./debug.js";
import { ELEMENTWISE_OPS } from "./elementwise.js";
import { IMAGE_OPS } from "./image.js";
import { MATMUL_OPS } from "./matmul.js";
import { MOVEMENT_OPS } from "./movement.js";
import { SOFTMAX_OPS } from "./softmax.js";
import { NORM_OPS } from "./norm.js";
import { POOL_OPS } from "./pool.js";
import { RANDOM_OPS } from "./random.js";
import { REDUCE_OPS } from "./reduce.js";
import { SHAPE_OPS } from "./shape.js";
import { STATE_OPS } from "./state.js";
import { TRAINING_OPS } from "./training.js";
import { RECURRENT_OPS } from "./recurrent.js";
import { SUMMARY_OPS } from "./summary.js";
import type { OpSchema } from "./types.js";

/**
 * THE op table: every family's rows, one registry that every layer reads (dispatch, graph building,
 * backends, the Session, a future GraphDef reader and writer). Built once when core loads.
 */
const ROWS = [
  ...ELEMENTWISE_OPS,
  ...CAST_OPS,
  ...CREATION_OPS,
  ...SHAPE_OPS,
  ...MOVEMENT_OPS,
  ...REDUCE_OPS,
  ...MATMUL_OPS,
  ...SOFTMAX_OPS,
  ...CONV_OPS,
  ...POOL_OPS,
  ...NORM_OPS,
  ...IMAGE_OPS,
  ...RANDOM_OPS,
  ...STATE_OPS,
  ...TRAINING_OPS,
  ...RECURRENT_OPS,
  ...DEBUG_OPS,
  ...CONTROL_FLOW_OPS,
  ...DATA_OPS,
  ...SUMMARY_OPS,
] as const;

/** The op types of the table: a misspelled op type is a compile error wherever this type is used. */
export type OpType = (typeof ROWS)[number]["type"];

const REGISTRY = new Map<string, OpSchema<OpType>>();
for (const row of ROWS) {
  if (REGISTRY.has(row.type)) throw new Error(`op ${row.type} is defined twice`);
  REGISTRY.set(row.type, row);
}
const ALL: readonly OpSchema<OpType>[] = [...REGISTRY.values()];

export function getOpSchema(type: string): OpSchema<OpType> | undefined {
  return REGISTRY.get(type);
}

export function allOpSchemas(): readonly OpSchema<OpType>[] {
  return ALL;
}

/**
 * Whether a name from outside the program (a GraphDef, a user's string) is an op of the table.
 * @public (knip: kept for the schema's readers, though nothing calls it yet)
 */
export function isOpType(type: string): type is OpType {
  return REGISTRY.has(type);
}
