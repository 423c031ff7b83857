// Offline enrollment for an air-gapped site: the agent makes its key and writes a request file (the body an online
// enrollment sends); the vendor gets the hub's answer for it (skiff hub answer-enroll); the agent completes with that
// answer through the online enrollment's own check and record (completeEnrollment).
import { readFile } from 'node:fs/promises';
import { EnrollAnswerFileSchema, parseEnrollFile, type EnrollRequestFile } from '../../fleet/index.ts';
import { SkiffError, errorMessage, fsErrorMessage, writeJsonAtomic } from '../../util/index.ts';
import { StateDir } from '../state.ts';
import { completeEnrollment, enrollRequest } from './enroll.ts';
import { ConnectedDir, type Identity } from './identity.ts';

async function notEnrolled(cd: ConnectedDir, stateDir: string): Promise<void> {
  const id = await cd.readIdentity();
  if (id) throw new SkiffError('CONFLICT', `${stateDir} is already enrolled as instance ${id.instanceId} (${id.name}): use another --state, or revoke it at the hub and start afresh`);
}

/** Writes the request file; the key stays in the state directory, waiting for the answer. */
export async function requestOfflineEnrollment(stateDir: string, token: string, output: string, name?: string): Promise<EnrollRequestFile> {
  const cd = new ConnectedDir(stateDir);
  await notEnrolled(cd, stateDir);
  const { body, keyPem } = enrollRequest(token, name, { agent: 'skiff', enrollment: 'offline' });
  const request: EnrollRequestFile = { skiffEnrollRequest: 1, ...body, facts: { ...body.facts } };
  await cd.writePending({ rootSha256: body.rootSha256, publicKey: body.publicKey, keyPem, requestedAt: new Date().toISOString() });
  await writeJsonAtomic(output, request, 0o600);
  return request;
}

/** Completes with the hub's answer file: the same root-chain check and records as an online enrollment. */
export async function completeOfflineEnrollment(stateDir: string, answerFile: string): Promise<Identity> {
  const cd = new ConnectedDir(stateDir);
  await notEnrolled(cd, stateDir);
  const pending = await cd.readPending();
  if (!pending) throw new SkiffError('USAGE', `${stateDir} has no offline enrollment waiting: run skiff agent enroll --offline --enroll-token T --state ${stateDir} -o request.json first`);
  const text = await readFile(answerFile, 'utf8').catch((e: unknown) => {
    throw new SkiffError('USAGE', fsErrorMessage(e, 'the enrollment answer', { path: answerFile }) ?? `cannot read the enrollment answer ${answerFile}: ${errorMessage(e)}`, { cause: e });
  });
  const answer = parseEnrollFile(text, EnrollAnswerFileSchema, answerFile, 'pass the answer file skiff hub answer-enroll wrote');
  if (answer.publicKey !== pending.publicKey)
    throw new SkiffError('INVALID_INPUT', `${answerFile} answers another enrollment request (another instance key): use the answer to the request this state directory wrote`);
  const id = await completeEnrollment(new StateDir(stateDir), cd, answer.hub, pending.rootSha256, answer, pending.keyPem);
  await cd.writePending(undefined);
  return id;
}
