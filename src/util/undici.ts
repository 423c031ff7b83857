// undici, loaded when a client makes its first request: a 700 KB module (~50 ms to evaluate) that a command failing
// at its input, or one that never reaches the engine or the hub, should not pay for.
import type Undici from 'undici';

export async function loadUndici(): Promise<typeof Undici> {
  // undici parses HTTP with llhttp compiled to WebAssembly. V8 recompiles it with its optimizing tier in the
  // background, and a process waits for that before it exits: 120-300 ms after a command's last request (measured on
  // release create). The baseline tier's code is no slower here: a 194 MiB docker export took 275-407 ms of CPU
  // through it against 405-480 ms with the tier-up. undici is the only WebAssembly skiff runs.
  (await import('node:v8')).setFlagsFromString('--liftoff-only');
  // CommonJS: its module object is the default export, both through Node's interop and in the esbuild chunk.
  return (await import('undici')).default;
}
