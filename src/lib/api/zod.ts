/**
 * The app's one zod entry: `zod/mini` (plain functions, so the worker's bundle carries only what the
 * schemas use; full zod's method-rich classes cost ~20 KB brotli at start), with the English messages
 * that full zod would install by itself, so every error reads as before.
 */
import * as z from 'zod/mini';
import { en } from 'zod/locales';

z.config(en());

export { z };
