import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as tf from "../src/index.js";
import { ATTR, DESC, NOTE } from "../src/backends/cuda/cudnn_backend_enums.js";
import { words } from "../src/backends/cuda/cudnn_backend.js";
import {
  BYTE_ALIGNMENT,
  CONV_OPS,
  channelsLast,
  convTensors,
  convWindow,
  engineLabel,
  exclusion,
  operandUids,
  tensorDataType,
  UID,
} from "../src/backends/cuda/cudnn_graph_conv.js";
import type { ConvShape } from "../src/backends/cuda/cudnn.js";
import { SETTINGS } from "../src/core/settings.js";
import { withOptions } from "./util/settings.js";

/**
 * The plain numbers behind convolutions through cuDNN's graph API (no GPU needed): channels-last tensors
 * described in NCHW order, the window, each direction's operation attributes, which engines the numerical
 * notes leave out, the labels of the report, and the cudnnGraph setting (TSFLOW_CUDNN_GRAPH).
 */

/** ResNet's 3x3 stride-2 SAME downsampling of a 32x32x64 batch as cudnn.ts hands it over (input padded to 33x33 after). */
const down: ConvShape = { n: 4, H: 33, W: 33, C: 64, OH: 16, OW: 16, OC: 128, kH: 3, kW: 3, sH: 2, sW: 2, dH: 1, dW: 1, padT: 0, padL: 0 };

describe("cuDNN graph API: a convolution's numbers", () => {
  it("a channels-last tensor's NCHW-ordered dims and strides address the NHWC layout", () => {
    const [n, h, w, c] = [2, 5, 7, 3];
    const t = channelsLast(9, n, h, w, c);
    assert.equal(t.uid, 9);
    assert.deepEqual(t.dims, [n, c, h, w]);
    // Every element: the strides put (i, ch, y, x) where NHWC memory has it, and nothing overlaps.
    const seen = new Set<number>();
    for (let i = 0; i < n; i++)
      for (let ch = 0; ch < c; ch++)
        for (let y = 0; y < h; y++)
          for (let x = 0; x < w; x++) {
            const at = i * t.strides[0] + ch * t.strides[1] + y * t.strides[2] + x * t.strides[3];
            assert.equal(at, ((i * h + y) * w + x) * c + ch);
            seen.add(at);
          }
    assert.equal(seen.size, n * h * w * c);
  });

  it("x, the KRSC filter and y of a stride-2 convolution, with distinct ids", () => {
    const [x, w, y] = convTensors(down);
    assert.deepEqual([x.uid, w.uid, y.uid], [UID.x, UID.w, UID.y]);
    assert.equal(new Set([x.uid, w.uid, y.uid]).size, 3);
    assert.deepEqual(x.dims, [4, 64, 33, 33]);
    assert.deepEqual(x.strides, [33 * 33 * 64, 1, 33 * 64, 64]);
    // KRSC: [out, kH, kW, in] in memory, described as K, C, R, S.
    assert.deepEqual(w.dims, [128, 64, 3, 3]);
    assert.deepEqual(w.strides, [3 * 3 * 64, 1, 3 * 64, 64]);
    assert.deepEqual(y.dims, [4, 128, 16, 16]);
    assert.deepEqual(y.strides, [16 * 16 * 128, 1, 16 * 128, 128]);
    // The output count that cuDNN's formula gives from this window is TensorFlow's.
    const win = convWindow(down);
    const out = (i: number, k: number, d: number, s: number, pre: number, post: number) => Math.floor((i + pre + post - ((k - 1) * d + 1)) / s) + 1;
    assert.equal(out(down.H, down.kH, win.dilations[0], win.strides[0], win.pre[0], win.post[0]), down.OH);
    assert.equal(out(down.W, down.kW, win.dilations[1], win.strides[1], win.pre[1], win.post[1]), down.OW);
  });

  it("the window: symmetric padding, strides and dilations, rows first", () => {
    const g: ConvShape = { ...down, H: 12, W: 10, OH: 12, OW: 10, sH: 1, sW: 1, dH: 2, dW: 3, padT: 2, padL: 3 };
    assert.deepEqual(convWindow(g), { pre: [2, 3], post: [2, 3], strides: [1, 1], dilations: [2, 3] });
  });

  it("SAME with one more padding after: the window's post padding", () => {
    // A 3x3 stride-2 SAME convolution of 32x32: TensorFlow pads 0 before and 1 after.
    const g: ConvShape = { ...down, H: 32, W: 32, OH: 16, OW: 16, padT: 0, padL: 0, padB: 1, padR: 1 };
    const win = convWindow(g);
    assert.deepEqual(
      [win.pre, win.post],
      [
        [0, 0],
        [1, 1],
      ],
    );
    assert.equal(Math.floor((32 + win.pre[0] + win.post[0] - 3) / 2) + 1, 16);
  });

  it("each direction's operation: its descriptor type and attributes (cudnn_graph.h), and the pointers' ids in the legacy call order", () => {
    assert.deepEqual(
      CONV_OPS.map((o) => o.type),
      [DESC.OPERATION_CONVOLUTION_FORWARD, DESC.OPERATION_CONVOLUTION_BACKWARD_DATA, DESC.OPERATION_CONVOLUTION_BACKWARD_FILTER],
    );
    assert.deepEqual([DESC.OPERATION_CONVOLUTION_FORWARD, DESC.OPERATION_CONVOLUTION_BACKWARD_FILTER, DESC.OPERATION_CONVOLUTION_BACKWARD_DATA], [10, 11, 12]);
    // cudnn_graph.h numbers each operation's six attributes in a block: forward 700-705, data 706-711, filter 712-717.
    CONV_OPS.forEach((o, dir) => {
      const attrs = [o.alpha, o.beta, o.conv, o.x, o.w, o.y];
      assert.deepEqual(
        [...attrs].sort((a, b) => a - b),
        Array.from({ length: 6 }, (_, i) => 700 + 6 * dir + i),
        o.name,
      );
    });
    assert.equal(CONV_OPS[1].x, ATTR.OPERATION_CONVOLUTION_BWD_DATA_DX);
    assert.equal(CONV_OPS[1].y, ATTR.OPERATION_CONVOLUTION_BWD_DATA_DY);
    assert.equal(CONV_OPS[2].w, ATTR.OPERATION_CONVOLUTION_BWD_FILTER_DW);
    // Forward (x, w) -> y; input gradient (w, dy) -> dx; filter gradient (x, dy) -> dw: the written tensor last.
    assert.deepEqual(operandUids(0), [UID.x, UID.w, UID.y]);
    assert.deepEqual(operandUids(1), [UID.w, UID.y, UID.x]);
    assert.deepEqual(operandUids(2), [UID.x, UID.y, UID.w]);
  });

  it("pointers and descriptors become 64-bit words; tensors are declared aligned as the allocator's blocks are", () => {
    assert.deepEqual(Array.from(words([null, 0x7f00_0000_1000n, 2 ** 40 + 512])), [0n, 0x7f00_0000_1000n, 2n ** 40n + 512n]);
    assert.equal(256 % BYTE_ALIGNMENT, 0);
  });

  it("the dtypes the graph path takes: float32, float16, bfloat16 (float64 stays on the legacy API)", () => {
    assert.deepEqual((["float32", "float16", "bfloat16", "float64", "int32"] as const).map(tensorDataType), [0, 2, 9, null, null]);
  });
});

describe("cuDNN graph API: engines the numerical notes leave out", () => {
  const { TENSOR_CORE, DOWN_CONVERT_INPUTS, REDUCED_PRECISION_REDUCTION, NONDETERMINISTIC, WINOGRAD } = NOTE;
  it("float32 with TF32 off: no tensor cores; with TF32 on they are allowed", () => {
    assert.equal(exclusion([TENSOR_CORE], "float32", false, false), "tensor cores with TF32 off");
    assert.equal(exclusion([TENSOR_CORE], "float32", true, false), null);
    assert.equal(exclusion([], "float32", false, false), null);
    assert.equal(exclusion([WINOGRAD], "float32", false, false), null);
  });

  it("16-bit types keep tensor cores; no dtype keeps narrowed inputs or narrow sums", () => {
    for (const dtype of ["float16", "bfloat16"] as const) {
      assert.equal(exclusion([TENSOR_CORE], dtype, false, false), null, dtype);
      assert.equal(exclusion([TENSOR_CORE, REDUCED_PRECISION_REDUCTION], dtype, true, false), "reduced-precision sums", dtype);
    }
    for (const dtype of ["float32", "float16", "bfloat16"] as const) {
      assert.equal(exclusion([DOWN_CONVERT_INPUTS], dtype, true, false), "down-converts inputs", dtype);
    }
  });

  it("op determinism leaves out nondeterministic engines, and only then", () => {
    assert.equal(exclusion([NONDETERMINISTIC], "bfloat16", true, true), "nondeterministic");
    assert.equal(exclusion([NONDETERMINISTIC], "bfloat16", true, false), null);
    assert.equal(exclusion([TENSOR_CORE, NONDETERMINISTIC], "float32", true, true), "nondeterministic");
  });

  it("labels an engine configuration by index, knobs, notes and run-time compilation", () => {
    assert.equal(engineLabel(12, [], [], false), "eng12");
    assert.equal(
      engineLabel(
        5,
        [
          [2, 3],
          [14, 1],
        ],
        [TENSOR_CORE, NONDETERMINISTIC],
        true,
      ),
      "eng5 k2=3,14=1 [tc nd rtc]",
    );
  });
});

describe("the cudnnGraph setting (TSFLOW_CUDNN_GRAPH)", () => {
  it("is auto by default; takes on, off, auto and the switch words", () => {
    assert.equal(tf.config.experimental.getTsflowOptions().cudnnGraph, "auto");
    const parse = (s: string) => SETTINGS.cudnnGraph.parser.fromEnv(s);
    assert.deepEqual(["on", "OFF", "auto", "1", "true", "0", "no", "sometimes"].map(parse), ["on", "off", "auto", "on", "on", "off", "off", undefined]);
    withOptions({ cudnnGraph: "off" }, () => assert.equal(tf.config.experimental.getTsflowOptions().cudnnGraph, "off"));
    assert.throws(() => tf.config.experimental.setTsflowOptions({ cudnnGraph: "always" as never }), /cudnnGraph/);
  });
});
