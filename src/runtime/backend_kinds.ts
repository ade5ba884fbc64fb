/** The tfjs backends a user can ask for (`--backend`, `backend:` in a run config, `useBackend`), best first after `auto`. No tfjs here, so the CLI can list them without loading it. */
export const BACKEND_KINDS = ["auto", "tensorflow", "webgpu", "wasm", "cpu"] as const;
export type BackendKind = (typeof BACKEND_KINDS)[number];
