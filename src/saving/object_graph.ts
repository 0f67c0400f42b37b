/**
 * The object graph of a checkpoint as TensorFlow builds it (tensorflow/python/checkpoint/graph_view.py,
 * save_util): nodes in breadth-first order from the root (node 0), each object once, named by its first
 * (shortest) path; slot variables appended after them (for each of an optimizer's slot names, for each
 * variable in node order); every value under "<escaped path>/.ATTRIBUTES/VARIABLE_VALUE", a slot variable's
 * under "<variable's path>/.OPTIMIZER_SLOT/<optimizer's path>/<slot name>/.ATTRIBUTES/VARIABLE_VALUE".
 */
import { create } from "@bufbuild/protobuf";
import {
  type TrackableObjectGraph,
  type TrackableObjectGraph_TrackableObject,
  TrackableObjectGraph_TrackableObject_ObjectReferenceSchema,
  TrackableObjectGraph_TrackableObject_SerializedTensorSchema,
  TrackableObjectGraph_TrackableObject_SlotVariableReferenceSchema,
  TrackableObjectGraph_TrackableObjectSchema,
  TrackableObjectGraphSchema,
} from "../proto/tensorflow/core/protobuf/trackable_object_graph_pb.js";
import { Variable } from "../variables/variable.js";
import { hasSlots, isValueLeaf, trackableChildren, type ValueLeaf } from "./trackable.js";

/** The bundle key of the serialized TrackableObjectGraph (TensorFlow's OBJECT_GRAPH_PROTO_KEY). */
export const OBJECT_GRAPH_PROTO_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH";
/** The attribute name of a variable's value. */
export const VARIABLE_VALUE_KEY = "VARIABLE_VALUE";

/** TensorFlow's _escape_local_name: "." doubles, "/" becomes ".S", so "/" only separates path elements. */
export function escapeLocalName(name: string): string {
  return name.replaceAll(".", "..").replaceAll("/", ".S");
}

/** Breadth-first order of the objects reachable from `root`, with each one's shortest path of local names. */
export function breadthFirst(root: object): { objects: object[]; paths: Map<object, string[]> } {
  const objects: object[] = [];
  const paths = new Map<object, string[]>([[root, []]]);
  const queue: object[] = [root];
  for (let i = 0; i < queue.length; i++) {
    const obj = queue[i];
    objects.push(obj);
    for (const [name, child] of trackableChildren(obj)) {
      if (paths.has(child)) continue;
      paths.set(child, [...paths.get(obj)!, name]);
      queue.push(child);
    }
  }
  return { objects, paths };
}

/** The display name of a path, as TensorFlow prints it in errors: (root).model.layer_with_weights-0.kernel */
export function prettyPath(path: readonly string[]): string {
  return ["(root)", ...path].join(".");
}

/** A value to save: its bundle key and the object holding it. */
export interface SavedValue {
  key: string;
  leaf: ValueLeaf;
  /** The object's path, for messages. */
  path: string;
}

/** The variable's name without the ":0" output suffix (what TensorFlow records as full_name). */
function fullNameOf(leaf: ValueLeaf): string {
  return leaf instanceof Variable ? leaf.name.replace(/:\d+$/, "") : leaf.fullName;
}

/** The TrackableObjectGraph of everything reachable from `root`, and the values to save in node order. */
export function serializeObjectGraph(root: object): { graph: TrackableObjectGraph; values: SavedValue[] } {
  const { objects, paths } = breadthFirst(root);
  const ids = new Map<object, number>(objects.map((o, i) => [o, i]));
  const names = new Map<object, string>();
  for (const [o, p] of paths) names.set(o, p.map(escapeLocalName).join("/"));
  const displayNames = new Map<object, string>();
  for (const [o, p] of paths) displayNames.set(o, prettyPath(p));

  const nodes: TrackableObjectGraph_TrackableObject[] = objects.map((o) =>
    create(TrackableObjectGraph_TrackableObjectSchema, {
      children: trackableChildren(o).map(([localName, child]) =>
        create(TrackableObjectGraph_TrackableObject_ObjectReferenceSchema, { nodeId: ids.get(child)!, localName }),
      ),
    }),
  );
  // Slot variables: new nodes after the others, referenced from their optimizer's node.
  const nonSlot = objects.length;
  for (let optId = 0; optId < nonSlot; optId++) {
    const opt = objects[optId];
    if (!hasSlots(opt)) continue;
    const slots = opt._trackableSlots();
    const slotNames = [...new Set(slots.map(([, n]) => n))];
    for (const slotName of slotNames) {
      for (let varId = 0; varId < nonSlot; varId++) {
        const entry = slots.find(([primary, n]) => n === slotName && primary === objects[varId]);
        if (!entry || ids.has(entry[2])) continue;
        const slot = entry[2];
        const slotId = objects.length;
        objects.push(slot);
        ids.set(slot, slotId);
        names.set(slot, `${names.get(objects[varId])}/.OPTIMIZER_SLOT/${names.get(opt)}/${escapeLocalName(slotName)}`);
        displayNames.set(slot, `${displayNames.get(objects[varId])}'s slot ${slotName} of ${displayNames.get(opt)}`);
        nodes.push(create(TrackableObjectGraph_TrackableObjectSchema, {}));
        nodes[optId].slotVariables.push(
          create(TrackableObjectGraph_TrackableObject_SlotVariableReferenceSchema, { originalVariableNodeId: varId, slotName, slotVariableNodeId: slotId }),
        );
      }
    }
  }
  const values: SavedValue[] = [];
  objects.forEach((o, i) => {
    if (!isValueLeaf(o)) return;
    const key = `${names.get(o)}/.ATTRIBUTES/${VARIABLE_VALUE_KEY}`;
    nodes[i].attributes.push(
      create(TrackableObjectGraph_TrackableObject_SerializedTensorSchema, { name: VARIABLE_VALUE_KEY, fullName: fullNameOf(o), checkpointKey: key }),
    );
    values.push({ key, leaf: o, path: displayNames.get(o)! });
  });
  const graph = create(TrackableObjectGraphSchema, { nodes });
  markCheckpointValues(graph);
  return { graph, values };
}

/** has_checkpoint_values: the node, a descendant or one of its slot variables has a saved value. */
function markCheckpointValues(graph: TrackableObjectGraph): void {
  const memo = new Map<number, boolean>();
  const visit = (id: number, active: Set<number>): boolean => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    if (active.has(id)) return false;
    active.add(id);
    const n = graph.nodes[id];
    let has = n.attributes.length > 0;
    for (const c of n.children) has = visit(c.nodeId, active) || has;
    for (const s of n.slotVariables) has = visit(s.slotVariableNodeId, active) || has;
    active.delete(id);
    memo.set(id, has);
    return has;
  };
  graph.nodes.forEach((n, i) => {
    n.hasCheckpointValues = visit(i, new Set());
  });
}
