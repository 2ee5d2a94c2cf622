export { initBackend, currentBackend, BACKEND_NAMES } from "./select.js";
export type { BackendInfo, BackendName } from "./select.js";
