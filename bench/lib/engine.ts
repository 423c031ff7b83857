// Engine housekeeping for the install figures: remove an app's containers and images so the engine really
// loads or pulls, and keep the corpus safe meanwhile (saved once, loaded back at the end by bench/run.sh).
import { rm } from 'node:fs/promises';
import { quiet, run } from './run.ts';

const lines = (s: string): string[] => s.split('\n').map((l) => l.trim()).filter(Boolean);

/** Removes the containers Skiff labelled for `app` and the given peer container names. */
export async function removeContainers(app: string, names: readonly string[] = []): Promise<void> {
  const ids = lines((await run('docker', ['ps', '-aq', '--filter', `label=skiff.app=${app}`])).stdout);
  if (ids.length > 0) await quiet('docker', ['rm', '-f', ...ids]);
  for (const n of names) await quiet('docker', ['rm', '-f', n]);
}

/** Image ids of every tag matching `reference` (a docker filter such as `skiff-bench/*`). */
export async function imageIds(reference: string): Promise<string[]> {
  return [...new Set(lines((await run('docker', ['images', '-q', '--no-trunc', '--filter', `reference=${reference}`])).stdout))];
}

/**
 * Leaves the engine without any of the app's images or their layers: the skiff/<app>/* tags, the corpus
 * images (which share the layers), and their ids. bench/run.sh loads the corpus back afterwards.
 */
export async function removeImages(app: string): Promise<void> {
  const ids = new Set([...(await imageIds(`skiff/${app}/*`)), ...(await imageIds('skiff-bench/*')), ...(await imageIds('skiff-bench/*/*'))]);
  if (ids.size > 0) await quiet('docker', ['rmi', '-f', ...ids]);
  const left = [...(await imageIds(`skiff/${app}/*`)), ...(await imageIds('skiff-bench/*'))];
  if (left.length > 0) throw new Error(`images still present after docker rmi: ${left.join(', ')}`);
}

/** A fresh agent: its containers gone, its state dir removed. */
export async function resetAgent(app: string, stateDir: string, peerNames: readonly string[] = []): Promise<void> {
  await removeContainers(app, peerNames);
  await rm(stateDir, { recursive: true, force: true });
}
