/**
 * Operation codes of the elementwise and reduce kernels, shared by both addons: the native backend's
 * (native/backend/kernels.h) and the cuda backend's (native/cuda/kernels/params.h, which continues the
 * binary numbering with its comparisons: COMPARE_OPS in cuda/addon.ts). Keys are tfjs kernel names.
 */
export const BINARY_OPS = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3, Maximum: 4, Minimum: 5, SquaredDifference: 6, Pow: 7 } as const;
export const UNARY_OPS = {
  Exp: 0, Log: 1, Sqrt: 2, Rsqrt: 3, Tanh: 4, Erf: 5, Neg: 6, Square: 7, Abs: 8, Relu: 9, Sigmoid: 10, Reciprocal: 11,
  Log1p: 12, Expm1: 13, Sign: 14, Step: 15,
} as const;
export const REDUCE_OPS = { Sum: 0, Mean: 1, Max: 2, Min: 3, Prod: 4 } as const;
