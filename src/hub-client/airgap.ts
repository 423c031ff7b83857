// The vendor's side of the air gap: answers an offline enrollment request through the hub's enrollment (which consumes
// the token as an online enrollment does), and imports an air-gapped site's signed report file.
import { readFile, stat } from 'node:fs/promises';
import { EnrollRequestFileSchema, MAX_REPORT_BYTES, parseEnrollFile, type EnrollAnswerFile } from '../fleet/index.ts';
import { SkiffError, errorMessage, fsErrorMessage } from '../util/index.ts';
import { HubClient } from './client.ts';
import type { HubConnection } from './connection.ts';

export async function answerEnrollRequest(conn: Omit<HubConnection, 'token'> & { token?: string }, requestFile: string): Promise<EnrollAnswerFile> {
  const text = await readText(requestFile, 64 * 1024, 'the enrollment request');
  const { skiffEnrollRequest: _marker, ...body } = parseEnrollFile(text, EnrollRequestFileSchema, requestFile, 'pass the request file skiff agent enroll --offline wrote');
  // The enrollment secret in the body is the credential: this route needs no token.
  const answer = await new HubClient({ ...conn, token: conn.token ?? '' }).post<Omit<EnrollAnswerFile, 'skiffEnrollAnswer' | 'hub' | 'publicKey'>>('/enroll', body);
  return { skiffEnrollAnswer: 1, hub: conn.hub, publicKey: body.publicKey, instance: answer.instance, credential: answer.credential, roots: answer.roots };
}

export interface ImportReportAnswer {
  readonly instance: string;
  readonly seq: number;
  readonly imported: boolean;
  readonly message: string;
}

/** Sends a .skiffr file to the hub; a refusal (replay, altered, foreign) comes back as the hub's one-line error. */
export async function importReport(conn: HubConnection, file: string): Promise<ImportReportAnswer> {
  const text = await readText(file, MAX_REPORT_BYTES, 'the report');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new SkiffError('USAGE', `${file} is not a Skiff report (not JSON): pass the .skiffr file skiff agent report wrote`);
  }
  return new HubClient(conn).post<ImportReportAnswer>('/reports', body);
}

async function readText(file: string, limit: number, what: string): Promise<string> {
  const fail = (e: unknown): never => {
    throw new SkiffError('USAGE', fsErrorMessage(e, what, { path: file }) ?? `cannot read ${what} ${file}: ${errorMessage(e)}`, { cause: e });
  };
  const size = (await stat(file).catch(fail)).size;
  if (size > limit) throw new SkiffError('USAGE', `${file} is ${size} bytes, more than the ${limit} a ${limit > 65536 ? 'report' : 'request'} may be: pass the file skiff agent wrote`);
  return readFile(file, 'utf8').catch(fail);
}
