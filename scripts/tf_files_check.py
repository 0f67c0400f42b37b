#!/usr/bin/env python3
"""Parses the files `node --import tsx scripts/tf_files_write.ts <dir>` wrote with the protocol-buffer schemas
TensorBoard ships (tensorboard.compat.proto: its copies of TensorFlow's meta_graph, graph, function,
saved_object_graph and trackable_object_graph .proto files), independently of tsflow's code, and checks that each
file parses completely (no bytes left as unknown fields) and holds what TensorFlow's loaders look for.
Prints a report; exits 1 on any failure.

Usage: python3 scripts/tf_files_check.py <dir>      (needs `pip install tensorboard`)
"""
import json
import os
import sys

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, text_format
from tensorboard.compat.proto import graph_pb2, meta_graph_pb2, saved_object_graph_pb2  # noqa: F401 (registers the types)

failures = []


def check(what, ok, detail=""):
    print(("PASS " if ok else "FAIL ") + what + (f"  ({detail})" if detail else ""))
    if not ok:
        failures.append(what)


def saved_model_class():
    """SavedModel {int64 saved_model_schema_version = 1; repeated MetaGraphDef meta_graphs = 2;} over TensorBoard's MetaGraphDef."""
    pool = descriptor_pool.Default()
    meta_file = meta_graph_pb2.DESCRIPTOR
    f = descriptor_pb2.FileDescriptorProto(name="tsflow_check/saved_model.proto", package=meta_file.package, syntax="proto3")
    f.dependency.append(meta_file.name)
    m = f.message_type.add(name="SavedModel")
    F = descriptor_pb2.FieldDescriptorProto
    m.field.add(name="saved_model_schema_version", number=1, type=F.TYPE_INT64, label=F.LABEL_OPTIONAL)
    m.field.add(name="meta_graphs", number=2, type=F.TYPE_MESSAGE, label=F.LABEL_REPEATED, type_name=f".{meta_file.package}.MetaGraphDef")
    pool.Add(f)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{meta_file.package}.SavedModel"))


def unknown_count(msg):
    """Fields present in the bytes but not in the schema, counted over the whole message tree."""
    try:
        from google.protobuf import unknown_fields

        n = len(unknown_fields.UnknownFieldSet(msg))
    except (ImportError, AttributeError):
        n = len(msg.UnknownFields()) if hasattr(msg, "UnknownFields") else 0
    for fd, value in msg.ListFields():
        if fd.type != fd.TYPE_MESSAGE:
            continue
        if fd.message_type.GetOptions().map_entry:
            for v in value.values():
                if hasattr(v, "ListFields"):
                    n += unknown_count(v)
        elif (fd.is_repeated if hasattr(fd, "is_repeated") else fd.label == fd.LABEL_REPEATED):
            for v in value:
                n += unknown_count(v)
        else:
            n += unknown_count(value)
    return n


def check_saved_model(path, label, expect_signature=None):
    sm = saved_model_class()()
    sm.ParseFromString(open(os.path.join(path, "saved_model.pb"), "rb").read())
    check(f"{label}: saved_model.pb parses with no unknown fields", unknown_count(sm) == 0, f"{unknown_count(sm)} unknown")
    check(f"{label}: schema version 1", sm.saved_model_schema_version == 1, str(sm.saved_model_schema_version))
    check(f"{label}: one meta graph tagged serve", len(sm.meta_graphs) == 1 and list(sm.meta_graphs[0].meta_info_def.tags) == ["serve"])
    mg = sm.meta_graphs[0]
    lib = {f.signature.name: f for f in mg.graph_def.library.function}
    check(f"{label}: a function library", len(lib) > 0, f"{len(lib)} functions")
    nodes = {n.name: n for n in mg.graph_def.node}
    for fname, fn in lib.items():
        for n in fn.node_def:
            for attr in n.attr.values():
                if attr.HasField("func"):
                    check(f"{label}: {fname}/{n.name} calls a function of the library", attr.func.name in lib, attr.func.name)
    if expect_signature:
        sig = mg.signature_def.get(expect_signature["name"])
        check(f"{label}: signature {expect_signature['name']}", sig is not None, str(list(mg.signature_def.keys())))
        if sig is not None:
            check(f"{label}: signature inputs {expect_signature['inputs']}", sorted(sig.inputs.keys()) == sorted(expect_signature["inputs"]), str(list(sig.inputs.keys())))
            for k, info in sig.inputs.items():
                node = info.name.split(":")[0]
                check(f"{label}: input {k} is a Placeholder of the graph", node in nodes and nodes[node].op == "Placeholder", info.name)
    og = mg.object_graph_def
    check(f"{label}: object graph with a root", len(og.nodes) > 0)
    for i, node in enumerate(og.nodes):
        for c in node.children:
            if not (0 <= c.node_id < len(og.nodes)):
                check(f"{label}: object {i} child {c.local_name} in range", False, str(c.node_id))
    for name, cf in og.concrete_functions.items():
        check(f"{label}: concrete function {name} in the library", name in lib)
    variables = [n.variable.name for n in og.nodes if n.WhichOneof("kind") == "variable"]
    check(f"{label}: saved variables", len(variables) > 0, ", ".join(variables))
    check(f"{label}: variables/ checkpoint files", os.path.exists(os.path.join(path, "variables", "variables.index")))
    check(f"{label}: SaverDef names save and restore ops", bool(mg.saver_def.save_tensor_name) and bool(mg.saver_def.restore_op_name), f"{mg.saver_def.save_tensor_name} {mg.saver_def.restore_op_name}")


def main(d):
    expected = json.load(open(os.path.join(d, "expected.json")))
    check_saved_model(os.path.join(d, "saved_model_module"), "module", {"name": expected["module"]["signature"], "inputs": expected["module"]["inputs"]})
    check_saved_model(os.path.join(d, "saved_model_keras"), "keras")

    meta = meta_graph_pb2.MetaGraphDef()
    meta.ParseFromString(open(os.path.join(d, expected["tf1"]["meta"]), "rb").read())
    check("tf1 .meta parses with no unknown fields", unknown_count(meta) == 0, f"{unknown_count(meta)} unknown")
    names = {n.name for n in meta.graph_def.node}
    for n in expected["tf1"]["nodes"]:
        check(f"tf1 .meta has node {n}", n in names)
    check("tf1 .meta: SaverDef", bool(meta.saver_def.filename_tensor_name) and bool(meta.saver_def.restore_op_name), str(meta.saver_def).replace("\n", " "))
    coll = meta.collection_def.get("variables") or meta.collection_def.get("trainable_variables")
    check("tf1 .meta: variables collection", coll is not None and len(coll.bytes_list.value) == len(expected["tf1"]["variables"]))

    g = graph_pb2.GraphDef()
    g.ParseFromString(open(os.path.join(d, "graph.pb"), "rb").read())
    check("graph.pb parses with no unknown fields", unknown_count(g) == 0)
    gt = graph_pb2.GraphDef()
    text_format.Parse(open(os.path.join(d, "graph.pbtxt")).read(), gt)
    check("graph.pbtxt parses with TensorFlow's text-format parser", len(gt.node) == len(g.node), f"{len(gt.node)} vs {len(g.node)} nodes")
    check("graph.pbtxt equals graph.pb", gt == g)
    ops = {n.op for n in g.node}
    check("graph: MatMul, VariableV2 and Placeholder ops", {"MatMul", "Placeholder"} <= ops and ("VariableV2" in ops or "VarHandleOp" in ops), str(sorted(ops)))
    print()
    print("RESULT:", "FAIL " + ", ".join(failures) if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
