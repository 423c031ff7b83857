// Small shared pieces with no better home: the one error class, crash-safe file writes, a byte-range stream, undici
// loaded on first use.
export { SkiffError, isSkiffError, errorMessage, type SkiffErrorCode } from './errors.ts';
export { fsyncDir, writeFileAtomic, writeJsonAtomic } from './fs-atomic.ts';
export { byteWindow } from './byte-window.ts';
export { fsErrorMessage } from './fs-errors.ts';
export { loadUndici } from './undici.ts';
