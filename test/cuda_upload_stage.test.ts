/**
 * The pinned staging of small host-to-device copies (src/backends/cuda/upload_stage.ts): its slot reuse
 * checked against a stand-in of the CUDA driver (no GPU needed), and feeds from host arrays into captured
 * Session steps on a real GPU (skipped without one).
 */
import assert from "node:assert/strict";
import { describe, it } from "./util/devices.js";
import * as tf from "../src/index.js";
import type { DeviceContext } from "../src/backends/cuda/driver.js";
import { SLOT_BYTES, STAGED_UPLOAD_BYTES, UploadStage } from "../src/backends/cuda/upload_stage.js";
import { gpuOnly } from "./util/gpu.js";

/** A driver stand-in: pinned memory is plain memory, a copy lands when its event is marked complete. */
function fakeContext() {
  const device = new Map<number, Uint8Array>();
  const events: { complete: boolean; pending: (() => void)[] }[] = [];
  let queued: (() => void)[] = [];
  let allocations = 0;
  let waits = 0;
  const ctx = {
    stream: "stream",
    api: {
      check(_name: string, r: number) {
        assert.equal(r, 0);
      },
      koffi: { view: (p: { mem: ArrayBuffer }) => p.mem },
      lib: {
        cuMemHostAlloc(out: unknown[], bytes: number) {
          allocations++;
          out[0] = { mem: new ArrayBuffer(bytes) };
          return 0;
        },
        cuMemcpyHtoDAsync(dst: number, src: { mem: ArrayBuffer }, bytes: number) {
          // The device reads the pinned slot when the copy runs, not when it is queued.
          queued.push(() => device.set(dst, new Uint8Array(src.mem, 0, bytes).slice()));
          return 0;
        },
        cuEventSynchronize(ev: number) {
          waits++;
          complete(ev);
          return 0;
        },
      },
    },
    createEvent: () => events.push({ complete: false, pending: [] }) - 1,
    record(ev: number) {
      events[ev] = { complete: false, pending: queued };
      queued = [];
    },
    eventDone: (ev: number) => events[ev].complete,
  };
  function complete(ev: number) {
    for (let i = 0; i <= ev; i++) {
      if (events[i].complete) continue;
      for (const run of events[i].pending) run();
      events[i].complete = true;
    }
  }
  return {
    stage: new UploadStage(ctx as unknown as DeviceContext),
    device,
    runAll: () => complete(events.length - 1),
    counts: () => ({ allocations, waits }),
  };
}

describe("cuda: pinned staging of small uploads (no GPU needed)", () => {
  it("a slot is reused only after its copy completed; the source may change right after copy returns", () => {
    const f = fakeContext();
    const src = new Float32Array([1, 2, 3]);
    f.stage.copy(100, src);
    src.fill(9);
    f.stage.copy(200, new Float32Array([4]));
    assert.equal(f.counts().allocations, 2, "a slot in flight is not reused");
    f.runAll();
    assert.deepEqual(Array.from(new Float32Array(f.device.get(100)!.buffer)), [1, 2, 3]);
    assert.deepEqual(Array.from(new Float32Array(f.device.get(200)!.buffer)), [4]);
    f.stage.copy(300, new Int32Array([7]));
    assert.equal(f.counts().allocations, 2, "a completed slot is reused");
    f.runAll();
    assert.deepEqual(Array.from(new Int32Array(f.device.get(300)!.buffer)), [7]);
  });

  it("with every slot in flight, a copy waits for the oldest instead of allocating without bound", () => {
    const f = fakeContext();
    for (let i = 0; i < 70; i++) f.stage.copy(i, new Int32Array([i]));
    const { allocations, waits } = f.counts();
    assert.equal(allocations, 64);
    assert.equal(waits, 6);
    f.runAll();
    for (let i = 0; i < 70; i++) assert.equal(new Int32Array(f.device.get(i)!.buffer)[0], i, `copy ${i}`);
    assert.ok(STAGED_UPLOAD_BYTES >= 4096, "a Keras batch's row indices fit a slot");
  });

  it("a copy larger than a slot goes in slot-sized pieces, each to its offset, all queued without waiting", () => {
    const f = fakeContext();
    // A Keras epoch's order table of 60,000 rows: 240,000 bytes, four slots.
    const src = Int32Array.from({ length: 60000 }, (_, i) => 59999 - i);
    f.stage.copy(1000, src);
    assert.deepEqual(f.counts(), { allocations: Math.ceil(src.byteLength / SLOT_BYTES), waits: 0 });
    f.runAll();
    const landed = new Uint8Array(src.byteLength);
    for (let off = 0; off < src.byteLength; off += SLOT_BYTES) landed.set(f.device.get(1000 + off)!, off);
    assert.deepEqual(new Int32Array(landed.buffer), src);
    assert.ok(STAGED_UPLOAD_BYTES >= src.byteLength, "the table is staged");
  });
});

describe("cuda: feeds from host arrays into captured steps", gpuOnly, () => {
  it("each of 200 replays sees its own fed values, with no synchronisation between them", () => {
    const g = new tf.Graph();
    g.asDefault(() => {
      const x = tf.placeholder("float32", [256]);
      const idx = tf.placeholder("int32", [64]);
      const y = tf.reduceSum(tf.gather(tf.mul(x, 2), idx));
      const sess = new tf.Session();
      const xs = new Float32Array(256).map((_, i) => i);
      const outs: tf.Tensor[] = [];
      const want: number[] = [];
      const rows = new Int32Array(64);
      for (let s = 0; s < 200; s++) {
        for (let i = 0; i < 64; i++) rows[i] = (s * 7 + i * 3) % 256;
        want.push(rows.reduce((a, r) => a + 2 * r, 0));
        outs.push(sess.run(y, { [x.name]: xs, [idx.name]: rows }) as tf.Tensor);
        // The fed array changes right after the call returns, as a loop reusing its buffer does.
        rows.fill(0);
      }
      assert.deepEqual(
        outs.map((o) => o.item()),
        want,
      );
      tf.dispose(outs);
      sess.close();
    });
  });
});
