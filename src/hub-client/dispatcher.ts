// How requests reach the hub from a customer's network: through the proxy HTTPS_PROXY / HTTP_PROXY names unless
// NO_PROXY lists the hub (undici's EnvHttpProxyAgent rules), trusting a private CA for the hub's TLS on top of the
// usual roots (--hub-ca FILE, or SKIFF_HUB_CA). One dispatcher per route, kept so that connections are reused.
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import type { Dispatcher } from 'undici';
import { SkiffError, errorMessage, fsErrorMessage, loadUndici } from '../util/index.ts';

export interface HubRoute {
  readonly dispatcher: Dispatcher;
  /** The proxy requests go through, and the variable that named it. */
  readonly proxy?: { readonly url: string; readonly from: string };
  /** The extra CA file trusted for the hub's certificate, and where it was given. */
  readonly ca?: { readonly file: string; readonly from: string };
}

type Env = Readonly<Record<string, string | undefined>>;

const pick = (env: Env, ...names: string[]): { value: string; from: string } | undefined => {
  for (const name of names) {
    const value = env[name];
    if (value) return { value, from: name };
  }
  return undefined;
};

/** Whether NO_PROXY exempts `host:port`: `*`, a host, a domain (`.example.com`, `*.example.com` or `example.com`), each with an optional port. */
export function noProxyMatches(noProxy: string, hostname: string, port: number): boolean {
  const host = hostname.toLowerCase();
  if (noProxy.trim() === '*') return true;
  for (const entry of noProxy.split(/[,\s]/)) {
    if (!entry) continue;
    const parsed = /^(.+):(\d+)$/.exec(entry);
    const name = (parsed?.[1] ?? entry).replace(/^\*?\./, '').toLowerCase();
    if (parsed?.[2] && Number(parsed[2]) !== port) continue;
    if (host === name || host.endsWith(`.${name}`)) return true;
  }
  return false;
}

/** The proxy for `url` from the environment, or none (no variable set, or NO_PROXY names the host). */
export function proxyFor(url: string, env: Env = process.env): { url: string; from: string } | undefined {
  const target = new URL(url);
  const port = Number(target.port) || (target.protocol === 'https:' ? 443 : 80);
  const http = pick(env, 'http_proxy', 'HTTP_PROXY');
  const chosen = target.protocol === 'https:' ? (pick(env, 'https_proxy', 'HTTPS_PROXY') ?? http) : http;
  if (!chosen) return undefined;
  // URL.host keeps an IPv6 address's brackets, as NO_PROXY entries write them.
  if (noProxyMatches(pick(env, 'no_proxy', 'NO_PROXY')?.value ?? '', target.host.replace(/:\d*$/, ''), port))
    return undefined;
  if (!/^(https?|socks5?):\/\/[^/]+/.test(chosen.value))
    throw new SkiffError(
      'USAGE',
      `${chosen.from}="${chosen.value}" is not a proxy URL: set it to http://host:port (or unset it)`,
    );
  return { url: chosen.value, from: chosen.from };
}

/** The PEM certificates of `file`, checked to be certificates, with the usual roots: the hub's CA is added, not substituted. */
function trustedWith(file: string, from: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const fix = "give the PEM file of the CA that issued the hub's certificate";
    throw new SkiffError('USAGE', fsErrorMessage(e, from, { path: file, fix }) ?? `cannot read the hub CA file ${file} (${from}): ${errorMessage(e)}; ${fix}`, { cause: e });
  }
  const pems = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (pems.length === 0)
    throw new SkiffError(
      'USAGE',
      `the hub CA file ${file} (${from}) holds no PEM certificate: give the CA's certificate, -----BEGIN CERTIFICATE----- …`,
    );
  for (const pem of pems) {
    try {
      new X509Certificate(pem);
    } catch (e) {
      throw new SkiffError(
        'USAGE',
        `the hub CA file ${file} (${from}) has a certificate that does not parse (${(e as Error).message}): give the CA's certificate in PEM form`,
        { cause: e },
      );
    }
  }
  return [...rootCertificates, ...pems];
}

const routes = new Map<string, Promise<HubRoute>>();

/**
 * The dispatcher for requests to `hubUrl`: `caFile` (else SKIFF_HUB_CA) is trusted besides the usual roots. The CA
 * file is read and checked before undici (a 700 KB module) loads: a bad --hub-ca fails at once.
 */
export async function hubRoute(hubUrl: string, caFile?: string, env: Env = process.env): Promise<HubRoute> {
  const ca = caFile
    ? { file: caFile, from: '--hub-ca' }
    : env.SKIFF_HUB_CA
      ? { file: env.SKIFF_HUB_CA, from: 'SKIFF_HUB_CA' }
      : undefined;
  const proxy = proxyFor(hubUrl, env);
  const key = JSON.stringify([proxy?.url, ca?.file]);
  let route = routes.get(key);
  if (!route) {
    const tls = ca ? { ca: trustedWith(ca.file, ca.from) } : {};
    route = loadUndici().then(({ Agent, ProxyAgent }) => ({
      dispatcher: proxy ? new ProxyAgent({ uri: proxy.url, requestTls: tls, proxyTls: tls }) : new Agent({ connect: tls }),
      ...(proxy ? { proxy } : {}),
      ...(ca ? { ca } : {}),
    }));
    routes.set(key, route);
  }
  return route;
}
