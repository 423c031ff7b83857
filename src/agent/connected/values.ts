// The hub's values for this instance: fetched with its own credential only when the signed desired state names values
// other than those it runs, and believed only when they hash to the digest that answer names.
import * as z from 'zod';
import { valuesDigest } from '../../fleet/index.ts';
import { HubClient, type HubConnection } from '../../hub-client/index.ts';
import { SkiffError } from '../../util/index.ts';
import type { SiteValuesInput } from '../install.ts';
import type { Installed } from '../state.ts';
import type { Identity } from './identity.ts';

export const VALUES_PATH = '/instances/self/values';

const ValuesAnswer = z.object({
  values: z.record(z.string(), z.string()),
  secret: z.array(z.string()).max(1024),
});

/** Whether what runs already has the values the desired state names (null: the hub names none, keep what runs). */
export function hasValues(current: Installed | undefined, digest: string | null): boolean {
  return digest === null || (current !== undefined && valuesDigest(current.values) === digest);
}

export async function fetchValues(
  id: Identity,
  conn: HubConnection,
  version: string,
  digest: string,
): Promise<SiteValuesInput> {
  const answer = await new HubClient(conn).get<unknown>(
    `${VALUES_PATH}?version=${encodeURIComponent(version)}`,
  );
  const parsed = ValuesAnswer.safeParse(answer);
  if (!parsed.success)
    throw new SkiffError(
      'INVALID_INPUT',
      `the hub's values for ${id.app}@${version} are malformed: not applied`,
    );
  if (valuesDigest(parsed.data.values) !== digest)
    throw new SkiffError(
      'DIGEST_MISMATCH',
      `the hub's values for ${id.app}@${version} do not hash to the digest its signed desired state names: not applied (they may have changed since; the next poll tries again)`,
    );
  return { values: parsed.data.values, secret: parsed.data.secret };
}
