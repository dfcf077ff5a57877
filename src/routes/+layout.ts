// The UI is a client app: its data lives in the device's worker, never on a rendering server,
// and one static shell serves every route offline (see src/service-worker.ts).
export const ssr = false;
export const prerender = false;
