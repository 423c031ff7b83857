// A private CA and a server certificate it issues for 127.0.0.1 and localhost, made with openssl, as a customer's
// hub behind its own PKI would have.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PrivateCa {
  /** The CA's certificate (what --hub-ca takes). */
  readonly caCert: string;
  /** The server's certificate and key (what hub serve --tls-cert/--tls-key take). */
  readonly cert: string;
  readonly key: string;
}

export async function makePrivateCa(dir: string): Promise<PrivateCa> {
  const f = (name: string): string => path.join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await run('openssl', [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=Skiff test private CA',
  ]);
  await run('openssl', [
    'req',
    ...ec,
    '-keyout',
    f('hub.key'),
    '-out',
    f('hub.csr'),
    '-subj',
    '/CN=127.0.0.1',
  ]);
  await writeFile(
    f('ext.cnf'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n',
  );
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    f('hub.csr'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-out',
    f('hub.pem'),
    '-days',
    '2',
    '-extfile',
    f('ext.cnf'),
  ]);
  return { caCert: f('ca.pem'), cert: f('hub.pem'), key: f('hub.key') };
}
