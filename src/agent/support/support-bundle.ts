// `skiff agent support-bundle`: collect, redact and write the bundle; optionally send it to the hub with the instance's
// credential (also what a connected agent does when the hub asks for one).
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AGENT_VERSION } from '../../release/index.ts';
import { uploadSupportBundle, type SupportBundleUpload } from '../../hub-client/index.ts';
import { SkiffError } from '../../util/index.ts';
import { ConnectedDir, hubConnection } from '../connected/identity.ts';
import { StateDir } from '../state.ts';
import { redactSupportBundle, writeSupportBundle, type SupportSpec } from './bundle-file.ts';
import { collectSupport } from './collect.ts';
import { siteSecrets } from './site-secrets.ts';

export async function createSupportBundle(stateDir: string, output: string, now = new Date()): Promise<SupportSpec> {
  const sd = new StateDir(stateDir);
  const [secrets, id, state] = await Promise.all([siteSecrets(sd), new ConnectedDir(stateDir).readIdentity().catch(() => undefined), sd.readState().catch(() => undefined)]);
  const { files, collectors } = await collectSupport(sd, secrets);
  const spec: SupportSpec = {
    schema: 'skiff-support-bundle/1',
    createdAt: now.toISOString(),
    app: state?.app ?? id?.app ?? null,
    instance: id?.instanceId ?? null,
    agentVersion: AGENT_VERSION,
    collectors,
    redaction: [{ at: now.toISOString(), secretValues: secrets.length }],
  };
  await writeSupportBundle(output, spec, files, secrets);
  return spec;
}

/** Sends a bundle to the hub as this enrolled instance. */
export async function uploadOwnSupportBundle(stateDir: string, file: string, hubCa?: string): Promise<SupportBundleUpload> {
  const id = await new ConnectedDir(stateDir).readIdentity();
  if (!id) throw new SkiffError('USAGE', `${stateDir} is not enrolled with a hub: carry the bundle to the vendor, who uploads it by hand (skiff support-bundle upload --instance ID)`);
  return uploadSupportBundle(hubConnection(id, hubCa), id.instanceId, file);
}

/** Redacts an existing bundle again: the common secret shapes, and the secret values of a state directory when given. */
export async function redactExistingBundle(input: string, output: string, opts: { stateDir?: string; secrets?: readonly string[] } = {}): Promise<SupportSpec> {
  const fromState = opts.stateDir ? await siteSecrets(new StateDir(opts.stateDir)) : [];
  return redactSupportBundle(input, output, [...fromState, ...(opts.secrets ?? [])]);
}

/** The connected agent's answer to the hub's request: collect, upload as this instance, remove the local copy. */
export async function answerSupportRequest(stateDir: string, hubCa?: string): Promise<SupportBundleUpload> {
  const file = join(new ConnectedDir(stateDir).dir, 'support-bundle.tar.gz');
  try {
    await createSupportBundle(stateDir, file);
    return await uploadOwnSupportBundle(stateDir, file, hubCa);
  } finally {
    await rm(file, { force: true });
  }
}
