// Reading a release's Compose file: its one-line error when the file cannot be read.
import { readFile } from 'node:fs/promises';
import { SkiffError, errorMessage, fsErrorMessage } from '../util/index.ts';

export async function readComposeFile(file: string): Promise<string> {
  return readFile(file, 'utf8').catch((e: unknown) => {
    throw new SkiffError('NOT_FOUND', fsErrorMessage(e, 'the Compose file') ?? `cannot read the Compose file ${file}: ${errorMessage(e)}`);
  });
}
