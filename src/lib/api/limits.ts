/**
 * Limits that both sides agree on. The server enforces them; the client checks before sending.
 * Apart from wire.ts so pages can check input without bundling zod.
 */
export const LIMITS = {
  usernameMin: 3,
  usernameMax: 32,
  passwordMin: 8,
  passwordMax: 1024,
  displayNameMax: 64,
  deviceNameMax: 64,
  textMax: 4096,
  /** Largest JSON body the API accepts (bytes). */
  jsonBodyMax: 256 * 1024,
  /** Largest WebSocket frame the relay accepts (bytes). */
  wsFrameMax: 256 * 1024,
  /** Largest opaque envelope body (bytes, decoded). */
  envelopeMax: 128 * 1024,
  pageMax: 200,
  syncPageMax: 500
} as const;
