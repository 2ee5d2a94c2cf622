/** Logistic sigmoid 1 / (1 + e^−x): how the generator turns latent scores into probabilities. */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}
