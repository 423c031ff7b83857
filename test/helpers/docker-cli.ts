// The real docker and skopeo CLIs as a registry client sees them: its own docker config dir (logins never leak), pulls remembered and removed.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program without a shell; never throws on a non-zero exit. */
export function runCli(cmd: string, args: readonly string[], env: Record<string, string> = {}, input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { env: { ...process.env, ...env }, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(new Error(`${cmd} cannot run (${error.message}): install it`, { cause: error }));
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

export interface DockerCli {
  /** DOCKER_CONFIG of this client. */
  readonly configDir: string;
  docker(...args: string[]): Promise<CliResult>;
  /** `docker login host -u <user> --password-stdin`. */
  login(host: string, token: string, user?: string): Promise<CliResult>;
  /** `docker pull ref`; a successful pull is removed again by cleanup(). */
  pull(ref: string): Promise<CliResult>;
  /** The image ID (`sha256:<config digest>`) the engine holds for ref. */
  imageId(ref: string): Promise<string>;
  /** Removes the images it pulled and its config dir. */
  cleanup(): Promise<void>;
}

export async function dockerCli(): Promise<DockerCli> {
  const configDir = await mkdtemp(path.join(os.tmpdir(), 'skiff-docker-config-'));
  const env = { DOCKER_CONFIG: configDir };
  const pulled = new Set<string>();
  const docker = (...args: string[]): Promise<CliResult> => runCli('docker', args, env);
  return {
    configDir,
    docker,
    login: (host, token, user = 'customer') => runCli('docker', ['login', host, '-u', user, '--password-stdin'], env, token),
    async pull(ref) {
      const r = await docker('pull', ref);
      if (r.code === 0) pulled.add(ref);
      return r;
    },
    async imageId(ref) {
      const r = await docker('image', 'inspect', '--format', '{{.Id}}', ref);
      if (r.code !== 0) throw new Error(`docker image inspect ${ref}: ${r.stderr}`);
      return r.stdout.trim();
    },
    async cleanup() {
      for (const ref of pulled) await docker('rmi', ref);
      await rm(configDir, { recursive: true, force: true });
    },
  };
}

/** `skopeo copy` from the hub (plain HTTP) into an OCI layout dir; `token` undefined sends no credentials. */
export function skopeoCopy(source: string, dest: string, token: string | undefined): Promise<CliResult> {
  const creds = token === undefined ? ['--src-no-creds'] : ['--src-creds', `x:${token}`];
  return runCli('skopeo', ['copy', ...creds, '--src-tls-verify=false', `docker://${source}`, `oci:${dest}`]);
}
