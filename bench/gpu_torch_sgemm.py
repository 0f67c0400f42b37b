"""PyTorch's sgemm on the same GPU, fp32 and TF32, for the side-by-side figure in bench/gpu_micro.ts's table."""
import torch

for size in (4096, 8192):
    a = torch.rand(size, size, device="cuda")
    b = torch.rand(size, size, device="cuda")
    for tf32 in (False, True):
        torch.backends.cuda.matmul.allow_tf32 = tf32
        for _ in range(3):
            torch.matmul(a, b)
        ts = []
        for _ in range(10):
            s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            s.record()
            torch.matmul(a, b)
            e.record()
            e.synchronize()
            ts.append(s.elapsed_time(e))
        ms = sorted(ts)[len(ts) // 2]
        print(f"torch sgemm {size} {'TF32' if tf32 else 'fp32'}: {ms:.2f} ms, {2 * size**3 / ms / 1e9:.1f} TFLOP/s")
