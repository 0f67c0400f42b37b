/**
 * TensorFlow's error classes (tf.errors.*), with TensorFlow's canonical error codes so that code which
 * switches on `error.code` behaves as it would against TensorFlow.
 */
export class OpError extends Error {
  readonly code: number = 2;
  constructor(
    message: string,
    readonly opName: string | null = null,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

function errorClass(name: string, code: number) {
  const cls = class extends OpError {
    override readonly code = code;
  };
  Object.defineProperty(cls, "name", { value: name });
  return cls;
}

export const CancelledError = errorClass("CancelledError", 1);
export const UnknownError = errorClass("UnknownError", 2);
export const InvalidArgumentError = errorClass("InvalidArgumentError", 3);
export const DeadlineExceededError = errorClass("DeadlineExceededError", 4);
export const NotFoundError = errorClass("NotFoundError", 5);
export const AlreadyExistsError = errorClass("AlreadyExistsError", 6);
export const PermissionDeniedError = errorClass("PermissionDeniedError", 7);
export const ResourceExhaustedError = errorClass("ResourceExhaustedError", 8);
export const FailedPreconditionError = errorClass("FailedPreconditionError", 9);
export const AbortedError = errorClass("AbortedError", 10);
export const OutOfRangeError = errorClass("OutOfRangeError", 11);
export const UnimplementedError = errorClass("UnimplementedError", 12);
export const InternalError = errorClass("InternalError", 13);
export const UnavailableError = errorClass("UnavailableError", 14);
export const DataLossError = errorClass("DataLossError", 15);
export const UnauthenticatedError = errorClass("UnauthenticatedError", 16);

export const OK = 0;
export const CANCELLED = 1;
export const UNKNOWN = 2;
export const INVALID_ARGUMENT = 3;
export const NOT_FOUND = 5;
export const FAILED_PRECONDITION = 9;
export const OUT_OF_RANGE = 11;
export const UNIMPLEMENTED = 12;
export const INTERNAL = 13;
