import { Tensor } from "../core/tensor.js";
import type { DType } from "../core/dtype.js";
import type { TensorLike } from "../core/tensor_like.js";
import * as ew from "./elementwise.js";
import * as red from "./reduce.js";
import { cast } from "./cast.js";
import { matmul } from "./matmul.js";
import { reshape } from "./movement.js";

/**
 * TypeScript has no operator overloading: `a + b` is `a.add(b)`. These methods exist on every tensor
 * (eager or symbolic) and on variables, and call the same ops as the tf.* functions.
 */
export interface TensorMethods {
  add(y: TensorLike): Tensor;
  sub(y: TensorLike): Tensor;
  mul(y: TensorLike): Tensor;
  div(y: TensorLike): Tensor;
  floorDiv(y: TensorLike): Tensor;
  mod(y: TensorLike): Tensor;
  pow(y: TensorLike): Tensor;
  maximum(y: TensorLike): Tensor;
  minimum(y: TensorLike): Tensor;
  equal(y: TensorLike): Tensor;
  notEqual(y: TensorLike): Tensor;
  less(y: TensorLike): Tensor;
  lessEqual(y: TensorLike): Tensor;
  greater(y: TensorLike): Tensor;
  greaterEqual(y: TensorLike): Tensor;
  logicalAnd(y: TensorLike): Tensor;
  logicalOr(y: TensorLike): Tensor;
  logicalNot(): Tensor;
  neg(): Tensor;
  abs(): Tensor;
  square(): Tensor;
  sqrt(): Tensor;
  exp(): Tensor;
  log(): Tensor;
  sigmoid(): Tensor;
  tanh(): Tensor;
  relu(): Tensor;
  matmul(y: TensorLike, opts?: { transposeA?: boolean; transposeB?: boolean }): Tensor;
  cast(dtype: DType): Tensor;
  reshape(shape: TensorLike): Tensor;
  sum(axis?: number | number[], keepdims?: boolean): Tensor;
  mean(axis?: number | number[], keepdims?: boolean): Tensor;
  max(axis?: number | number[], keepdims?: boolean): Tensor;
  min(axis?: number | number[], keepdims?: boolean): Tensor;
  prod(axis?: number | number[], keepdims?: boolean): Tensor;
}

const methods: TensorMethods & ThisType<Tensor> = {
  add(y) {
    return ew.add(this, y);
  },
  sub(y) {
    return ew.subtract(this, y);
  },
  mul(y) {
    return ew.multiply(this, y);
  },
  div(y) {
    return ew.divide(this, y);
  },
  floorDiv(y) {
    return ew.floordiv(this, y);
  },
  mod(y) {
    return ew.floormod(this, y);
  },
  pow(y) {
    return ew.pow(this, y);
  },
  maximum(y) {
    return ew.maximum(this, y);
  },
  minimum(y) {
    return ew.minimum(this, y);
  },
  equal(y) {
    return ew.equal(this, y);
  },
  notEqual(y) {
    return ew.notEqual(this, y);
  },
  less(y) {
    return ew.less(this, y);
  },
  lessEqual(y) {
    return ew.lessEqual(this, y);
  },
  greater(y) {
    return ew.greater(this, y);
  },
  greaterEqual(y) {
    return ew.greaterEqual(this, y);
  },
  logicalAnd(y) {
    return ew.logicalAnd(this, y);
  },
  logicalOr(y) {
    return ew.logicalOr(this, y);
  },
  logicalNot() {
    return ew.logicalNot(this);
  },
  neg() {
    return ew.negative(this);
  },
  abs() {
    return ew.abs(this);
  },
  square() {
    return ew.square(this);
  },
  sqrt() {
    return ew.sqrt(this);
  },
  exp() {
    return ew.exp(this);
  },
  log() {
    return ew.log(this);
  },
  sigmoid() {
    return ew.sigmoid(this);
  },
  tanh() {
    return ew.tanh(this);
  },
  relu() {
    return ew.relu(this);
  },
  matmul(y, opts) {
    return matmul(this, y, opts ?? {});
  },
  cast(dtype) {
    return cast(this, dtype);
  },
  reshape(shape) {
    return reshape(this, shape);
  },
  sum(axis, keepdims) {
    return red.reduceSum(this, axis ?? null, keepdims);
  },
  mean(axis, keepdims) {
    return red.reduceMean(this, axis ?? null, keepdims);
  },
  max(axis, keepdims) {
    return red.reduceMax(this, axis ?? null, keepdims);
  },
  min(axis, keepdims) {
    return red.reduceMin(this, axis ?? null, keepdims);
  },
  prod(axis, keepdims) {
    return red.reduceProd(this, axis ?? null, keepdims);
  },
};

/** Installs the methods on a class whose instances ops accept (Tensor here; Variable in variables/variable.ts). */
export function installTensorMethods(proto: object): void {
  for (const [k, f] of Object.entries(methods)) {
    Object.defineProperty(proto, k, { value: f, writable: true, configurable: true });
  }
}
installTensorMethods(Tensor.prototype);

declare module "../core/tensor.js" {
  interface Tensor extends TensorMethods {}
}
