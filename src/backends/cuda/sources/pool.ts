import { windowPrelude } from "./common.js";

/** CUDA C++ of the pool family: max and average pooling over channels-last windows, with their gradients. */
export function poolSource(t: string): string {
  return `${windowPrelude(t)}// Max pooling over channels-last windows; the gradient goes to the first maximum in scan order (TensorFlow's rule).
extern "C" __global__ void maxpool(const T* __restrict__ x, T* __restrict__ y, int total, int H, int W, int C,
    int OH, int OW, int kH, int kW, int sH, int sW, int padT, int padL) {
  GRID(i, total) {
    const Pix q = pixel(i, OH, OW, C);
    const int n = q.n, c = q.c;
    const Span sh = span(q.h, sH, padT, kH, H), sw = span(q.w, sW, padL, kW, W);
    T best = 0;
    bool any = false;
    for (int h = sh.lo; h < sh.hi; h++)
      for (int w = sw.lo; w < sw.hi; w++) {
        const T v = x[((n * H + h) * W + w) * C + c];
        if (!any || v > best) { best = v; any = true; }
      }
    y[i] = best;
  }
}
extern "C" __global__ void maxpool_grad(const T* __restrict__ x, const T* __restrict__ dy, T* __restrict__ dx, int total, int H, int W, int C,
    int OH, int OW, int kH, int kW, int sH, int sW, int padT, int padL) {
  GRID(i, total) {
    const Pix q = pixel(i, OH, OW, C);
    const int n = q.n, c = q.c;
    const Span sh = span(q.h, sH, padT, kH, H), sw = span(q.w, sW, padL, kW, W);
    T best = 0;
    int arg = -1;
    for (int h = sh.lo; h < sh.hi; h++)
      for (int w = sw.lo; w < sw.hi; w++) {
        const int j = ((n * H + h) * W + w) * C + c;
        const T v = x[j];
        if (arg < 0 || v > best) { best = v; arg = j; }
      }
    if (arg >= 0) atomicAdd(dx + arg, dy[i]);
  }
}
// Average pooling as TensorFlow's AvgPool: the mean of the window's elements inside the image (padding is
// not counted), summed in double. The gradient gathers, for each input element, dy / count of every window
// covering it (no atomics, so the result does not depend on scheduling).
extern "C" __global__ void avgpool(const T* __restrict__ x, T* __restrict__ y, int total, int H, int W, int C,
    int OH, int OW, int kH, int kW, int sH, int sW, int padT, int padL) {
  GRID(i, total) {
    const Pix q = pixel(i, OH, OW, C);
    const Span sh = span(q.h, sH, padT, kH, H), sw = span(q.w, sW, padL, kW, W);
    double acc = 0;
    for (int h = sh.lo; h < sh.hi; h++)
      for (int w = sw.lo; w < sw.hi; w++) acc += (double)x[((q.n * H + h) * W + w) * C + q.c];
    y[i] = (T)(acc / (double)((sh.hi - sh.lo) * (sw.hi - sw.lo)));
  }
}
extern "C" __global__ void avgpool_grad(const T* __restrict__ dy, T* __restrict__ dx, int total, int H, int W, int C,
    int OH, int OW, int kH, int kW, int sH, int sW, int padT, int padL) {
  GRID(j, total) {
    const Pix q = pixel(j, H, W, C);
    const int n = q.n, h = q.h, w = q.w, c = q.c;
    // Windows covering h: oh * sH - padT <= h < oh * sH - padT + kH.
    const int hl = h + padT - kH + 1, wl = w + padL - kW + 1;
    const int oh0 = hl <= 0 ? 0 : (hl + sH - 1) / sH, ow0 = wl <= 0 ? 0 : (wl + sW - 1) / sW;
    const int oh1 = min((h + padT) / sH, OH - 1), ow1 = min((w + padL) / sW, OW - 1);
    double acc = 0;
    for (int oh = oh0; oh <= oh1; oh++) {
      const Span sh = span(oh, sH, padT, kH, H);
      for (int ow = ow0; ow <= ow1; ow++) {
        const Span sw = span(ow, sW, padL, kW, W);
        acc += (double)dy[((n * OH + oh) * OW + ow) * C + c] / (double)((sh.hi - sh.lo) * (sw.hi - sw.lo));
      }
    }
    dx[j] = (T)acc;
  }
}
`;
}
