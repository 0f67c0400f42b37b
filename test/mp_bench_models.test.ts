/**
 * The mixed-precision benchmark's models (bench/mp_models.ts) on the CPU at small sizes: ResNet-18 and the
 * MLP build as graph-mode training steps and train in fp32, bf16 and fp16 (16-bit compute with float32
 * master weights; fp16 with dynamic loss scaling), and the analytic FLOP counts match hand computations.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type BatchNormOp, flopsPerStep, macsPerSample, MP_MODELS, type MpModelConfig, mpTrainStep, type Precision } from "../bench/mp_models.js";

const SMALL_MLP: MpModelConfig = { kind: "mlp", input: 64, width: 64, depth: 3, classes: 10 };

/** The batch's loss before each of `steps` training steps, and the model's parameter count. */
function train(config: MpModelConfig, precision: Precision, steps: number, batchNorm?: BatchNormOp): { losses: number[]; parameters: number } {
  const s = mpTrainStep(config, 2, precision, { batchNorm });
  try {
    return { losses: Array.from({ length: steps }, () => s.stepWithLoss()), parameters: s.parameters };
  } finally {
    s.close();
  }
}
const losses = (config: MpModelConfig, precision: Precision, steps: number, batchNorm?: BatchNormOp) => train(config, precision, steps, batchNorm).losses;
const SMALL_RESNET: MpModelConfig = { kind: "resnet18", width: 8, size: 16, classes: 10 };

describe("mixed-precision benchmark models", () => {
  it("count FLOPs as 6 x multiply-adds x batch, as computed by hand for small configurations", () => {
    // MLP 8 -> 4 -> 4 -> 3: 8*4 + 4*4 + 4*3 multiply-adds.
    assert.equal(macsPerSample({ kind: "mlp", input: 8, width: 4, depth: 2, classes: 3 }), 60);
    assert.equal(flopsPerStep({ kind: "mlp", input: 8, width: 4, depth: 2, classes: 3 }, 2), 720);
    // ResNet-18 of width 2 on 4x4 images: stem 16*27*2 = 864; stage 1 (2 ch, 4x4): 4 convs of 16*18*2 = 2304;
    // stage 2 (4 ch, 2x2): 4*18*4 + 4*36*4*3 + shortcut 4*2*4 = 2048; stage 3 (8 ch, 1x1): 36*8 + 72*8*3 + 4*8
    // = 2048; stage 4 (16 ch, 1x1): 72*16 + 144*16*3 + 8*16 = 8192; dense 16*10.
    assert.equal(macsPerSample({ kind: "resnet18", width: 2, size: 4, classes: 10 }), 864 + 2304 + 2048 + 2048 + 8192 + 160);
    // The full sizes: CIFAR ResNet-18's well-known 0.56 G multiply-adds, and 3 x 4096^2 + 4096*10.
    assert.equal(macsPerSample(MP_MODELS.resnet18), 555_422_720);
    assert.equal(macsPerSample(MP_MODELS.mlp4096), 3 * 4096 * 4096 + 40_960);
  });

  for (const [name, config, steps] of [
    ["a width-reduced MLP", SMALL_MLP, 6],
    ["ResNet-18 at width 8 on 16x16 images", SMALL_RESNET, 6],
  ] as const) {
    it(`${name} starts from the same weights and trains in fp32, bf16 and fp16 (batch 2)`, () => {
      const fp32 = losses(config, "fp32", steps);
      for (const p of ["bf16", "fp16"] as const) {
        const l = losses(config, p, steps);
        assert.ok(
          l.every((v) => Number.isFinite(v)),
          `${p} losses finite: ${l}`,
        );
        // Same initial weights and batch; the 16-bit forward pass moves the loss by rounding only.
        assert.ok(Math.abs(l[0] - fp32[0]) <= 0.01 * fp32[0], `${p} first loss ${l[0]} near fp32's ${fp32[0]}`);
        assert.ok(l.at(-1)! < 0.8 * l[0], `${p} trained: ${l}`);
      }
      assert.ok(fp32.at(-1)! < 0.8 * fp32[0], `fp32 trained: ${fp32}`);
    });
  }

  it("batch norm as FusedBatchNormV3 and as moments + batch_normalization in float32 train alike", () => {
    // fp32: the same function up to rounding (and FusedBatchNormV3's epsilon of at least 1.001e-5, not 1e-5),
    // step after step.
    const fused = losses(SMALL_RESNET, "fp32", 4, "fused");
    const moments = losses(SMALL_RESNET, "fp32", 4, "moments");
    fused.forEach((l, i) => assert.ok(Math.abs(l - moments[i]) <= 1e-3 * Math.max(1, l), `step ${i}: fused ${fused} moments ${moments}`));
    // 16-bit: the forward passes agree to the types' rounding; the trajectories then part (batch 2 normalizes
    // the last stage over 8 values, which magnifies rounding), so only their training is checked.
    for (const p of ["bf16", "fp16"] as const) {
      const m = losses(SMALL_RESNET, p, 4, "moments");
      assert.ok(Math.abs(m[0] - fused[0]) <= 0.02 * fused[0] && m[3] < 0.8 * m[0], `${p} moments: ${m}`);
    }
  });

  it("the full ResNet-18 (width 64, 32x32x3) trains at batch 2 in fp32, bf16 and fp16", () => {
    const full = train(MP_MODELS.resnet18, "fp32", 3);
    // CIFAR ResNet-18's parameter count (torchvision-style blocks with 1x1 projection shortcuts; PyTorch's
    // twin in bench/gpu_torch_mp.py counts the same).
    assert.equal(full.parameters, 11_173_962);
    const fp32 = full.losses;
    const bf16 = losses(MP_MODELS.resnet18, "bf16", 3);
    const fp16 = losses(MP_MODELS.resnet18, "fp16", 3);
    for (const l of [fp32, bf16, fp16]) assert.ok(l.every((v) => Number.isFinite(v)) && l[2] < l[0], `trained: ${l}`);
    assert.ok(Math.abs(bf16[0] - fp32[0]) <= 0.02 * fp32[0] && Math.abs(fp16[0] - fp32[0]) <= 0.01 * fp32[0], `first losses ${fp32[0]} ${bf16[0]} ${fp16[0]}`);
  });
});
