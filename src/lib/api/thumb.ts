/** The largest small picture of a scheduled photo or video the page hands the worker to keep (bytes; see $lib/chat/thumb.ts). */
export const THUMB_MAX = 32 * 1024;
