// A bandwidth limit for downloads: call it after each chunk; it waits until the average rate is within the limit.
import { setTimeout as sleep } from 'node:timers/promises';

export function throttle(bytesPerSecond: number): (bytes: number) => Promise<void> {
  const started = Date.now();
  let passed = 0;
  return async (bytes) => {
    passed += bytes;
    const wait = started + (passed / bytesPerSecond) * 1000 - Date.now();
    if (wait > 0) await sleep(wait);
  };
}
