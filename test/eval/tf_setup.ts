/**
 * tfjs set-up for the evaluation tests: the cpu backend plus every gradient. tfjs-core's
 * dist/register_all_gradients is not loadable as Node ESM (directory imports), so, like src/backend/select.ts,
 * the union package's CommonJS bundle is required: it registers all gradients in the shared registry.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { createRequire } from "node:module";

createRequire(import.meta.url)("@tensorflow/tfjs");
await tf.setBackend("cpu");
