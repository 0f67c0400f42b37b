"""A stand-in for the parts of Python's `tensorboard` package that scripts/tensorboard_check.py uses, so that
the checker's own logic runs where TensorBoard is not installed (test/tensorboard_check.test.ts). It serves the
events of a JSON dump (path in $TSFLOW_TB_DUMP) that the test made from the event files with tsflow's reader:
no event parsing happens here, only the accumulator API (Reload, Tags, Scalars, Histograms, Images, Audio,
Tensors, SummaryMetadata, Graph) and tensor_util.make_ndarray, with TensorBoard's shapes and key errors.

Usage: python3 test/tensorboard_stub.py scripts/tensorboard_check.py <logdir>
"""
import base64
import json
import os
import runpy
import sys
import types

import numpy as np

with open(os.environ["TSFLOW_TB_DUMP"]) as fh:
    _DUMP = json.load(fh)


class _Obj:
    def __init__(self, **fields):
        self.__dict__.update(fields)


def _b64(s):
    return base64.b64decode(s)


def _proto(v):
    """A value's tensor as the stub's TensorProto: dtype, shape and decoded values."""
    if v["kind"] == "simple":
        return _Obj(dtype="float32", shape=[], values=[v["value"]])
    if v["dtype"] == "string":
        return _Obj(dtype="string", shape=v["shape"], values=[_b64(x) for x in v["values"]])
    return _Obj(dtype=v["dtype"], shape=v["shape"], values=[float(x) for x in v["values"]])


def make_ndarray(proto):
    if proto.dtype == "string":
        arr = np.empty(len(proto.values), dtype=object)
        arr[:] = proto.values
        return arr.reshape(proto.shape)
    return np.array(proto.values, dtype=np.dtype(proto.dtype)).reshape(proto.shape)


class _Accumulator:
    def __init__(self, path, size_guidance=None):
        self._path = os.path.realpath(path)
        self._run = None

    def Reload(self):
        self._run = _DUMP[self._path]
        return self

    def _values(self, tag=None, kinds=None):
        for ev in self._run["events"]:
            for v in ev["values"]:
                if (tag is None or v["tag"] == tag) and (kinds is None or v["kind"] in kinds):
                    yield ev["step"], v

    def _tags(self, kinds):
        return sorted({v["tag"] for _s, v in self._values(kinds=kinds)})

    def _series(self, tag, kinds, make):
        got = [make(step, v) for step, v in self._values(tag, kinds)]
        if not got:
            raise KeyError(f"Key {tag} was not found in Reservoir")
        return got

    def SummaryMetadata(self, tag):
        for _step, v in self._values(tag):
            return _Obj(plugin_data=_Obj(plugin_name=v["plugin"], content=_b64(v["content"])))
        raise KeyError(tag)

    def Graph(self):
        if self._run["graph"] is None:
            raise ValueError("There is no graph in this EventAccumulator")
        return _Obj(node=[_Obj(name=n["name"], op=n["op"]) for n in self._run["graph"]])


class LegacyEventAccumulator(_Accumulator):
    """event_accumulator.EventAccumulator: TF1's simple values, histograms, images and audio."""

    def Tags(self):
        return {
            "scalars": self._tags({"simple"}),
            "histograms": self._tags({"histo"}),
            "images": self._tags({"image"}),
            "audio": self._tags({"audio"}),
            "tensors": self._tags({"tensor"}),
            "graph": self._run["graph"] is not None,
        }

    def Scalars(self, tag):
        return self._series(tag, {"simple"}, lambda s, v: _Obj(step=s, value=v["value"]))

    def Histograms(self, tag):
        def make(s, v):
            h = _Obj(num=v["num"], min=v["min"], max=v["max"], sum=v["sum"], bucket=v["bucket"])
            return _Obj(step=s, histogram_value=h)

        return self._series(tag, {"histo"}, make)

    def Images(self, tag):
        return self._series(tag, {"image"}, lambda s, v: _Obj(step=s, width=v["width"], height=v["height"], encoded_image_string=_b64(v["data"])))

    def Audio(self, tag):
        def make(s, v):
            return _Obj(step=s, sample_rate=v["sampleRate"], length_frames=v["lengthFrames"], content_type=v["contentType"], encoded_audio_string=_b64(v["data"]))

        return self._series(tag, {"audio"}, make)


class PluginEventAccumulator(_Accumulator):
    """plugin_event_accumulator.EventAccumulator: every value as a tensor (simple values migrated to scalars)."""

    def Tags(self):
        return {"tensors": self._tags({"tensor", "simple"}), "graph": self._run["graph"] is not None}

    def Tensors(self, tag):
        return self._series(tag, {"tensor", "simple"}, lambda s, v: _Obj(step=s, tensor_proto=_proto(v)))


def _parse_audio_plugin_data(content):
    """AudioPluginData: field 1 version, field 2 encoding, both varints."""
    fields, i = {}, 0
    while i < len(content):
        key, i = _varint(content, i)
        value, i = _varint(content, i)
        fields[key >> 3] = value
    return _Obj(version=fields.get(1, 0), encoding=fields.get(2, 0))


def _varint(buf, i):
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return result, i


def _module(name, **attrs):
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    sys.modules[name] = m
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, m)
    return m


_module("tensorboard")
_module("tensorboard.backend")
_module("tensorboard.backend.event_processing")
_module("tensorboard.backend.event_processing.event_accumulator", EventAccumulator=LegacyEventAccumulator)
_module("tensorboard.backend.event_processing.plugin_event_accumulator", EventAccumulator=PluginEventAccumulator)
_module("tensorboard.util")
_module("tensorboard.util.tensor_util", make_ndarray=make_ndarray)
_module("tensorboard.plugins")
_module("tensorboard.plugins.audio")
_module(
    "tensorboard.plugins.audio.metadata",
    parse_plugin_metadata=_parse_audio_plugin_data,
    Encoding=_Obj(Value=lambda name: {"UNKNOWN": 0, "WAV": 11}[name]),
)

if __name__ == "__main__":
    script = sys.argv[1]
    sys.argv = sys.argv[1:]
    runpy.run_path(script, run_name="__main__")
