// The one reading of the hub's error answers: `{ "error": { code, message } }` becomes a SkiffError with that code.
import { SkiffError, type SkiffErrorCode } from '../util/index.ts';
import type { HubRoute } from './dispatcher.ts';

const isCode = (c: unknown): c is SkiffErrorCode => typeof c === 'string' && /^[A-Z][A-Z_]*$/.test(c);

/** The error a non-2xx answer carries; a body that is not the hub's names the status and request instead. */
export function hubError(status: number, text: string, method: string, url: string): SkiffError {
  let err: { code?: unknown; message?: unknown } | undefined;
  try {
    err = (JSON.parse(text) as { error?: typeof err }).error;
  } catch {
    err = undefined;
  }
  const fallback: SkiffErrorCode = status === 401 ? 'UNAUTHORIZED' : status === 403 ? 'FORBIDDEN' : status === 404 ? 'NOT_FOUND' : status === 429 ? 'RATE_LIMITED' : 'INTERNAL';
  const code = isCode(err?.code) ? err.code : fallback;
  const message = typeof err?.message === 'string' ? err.message : `HTTP ${status} from ${method} ${url}`;
  return new SkiffError(code, `hub: ${message.split('\n')[0]}`);
}

const UNTRUSTED = new Set([
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);
const EXPIRED = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

interface ErrorLike {
  code?: string;
  message?: string;
  cause?: ErrorLike;
}

/** The innermost code of a network error (undici wraps some, e.g. a TLS failure through a proxy). */
function codeOf(e: unknown): string | undefined {
  const err = e as ErrorLike | undefined;
  return err?.cause?.code ?? err?.code;
}

/** Whether `e` is the hub's certificate failing verification: a configuration problem that retrying will not fix. */
export function isCertificateError(e: unknown): boolean {
  const code = codeOf(e) ?? '';
  return UNTRUSTED.has(code) || EXPIRED.has(code) || code === 'ERR_TLS_CERT_ALTNAME_INVALID';
}

/** A proxy URL as it may be shown: without its user name and password. */
const shown = (url: string): string => url.replace(/\/\/[^/@]*@/, '//');

/** A request that never got an answer (refused, reset, DNS, TLS, proxy): one line naming the cause and the fix. */
export function unreachable(hub: string, e: unknown, hint = 'check --hub', route: Pick<HubRoute, 'proxy' | 'ca'> = {}): SkiffError {
  const err = e as ErrorLike;
  const code = codeOf(e);
  const cause = code ?? err.cause?.message ?? err.message ?? String(e);
  const { proxy, ca } = route;
  let message: string;
  if (code && UNTRUSTED.has(code))
    message = ca
      ? `the hub at ${hub} presents a certificate that neither the usual roots nor ${ca.file} (${ca.from}) vouch for (${code}): give the CA that issued the hub's certificate`
      : `the hub at ${hub} presents a certificate this machine does not trust (${code}): pass --hub-ca FILE or set SKIFF_HUB_CA to the PEM file of the CA that issued it`;
  else if (code && EXPIRED.has(code)) message = `the hub at ${hub} presents a certificate outside its validity period (${code}): renew it at the hub, or set this machine's clock right`;
  else if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') message = `the hub's certificate does not name the host of ${hub} (${code}): use the host name it was issued for in --hub`;
  else if (proxy && /^Proxy response \(\d+\)/.test(err.message ?? ''))
    message = `the proxy ${shown(proxy.url)} (${proxy.from}) opened no tunnel to the hub at ${hub} (${err.message ?? ''}): check that the proxy can reach and allows the hub's host and port, or list the host in NO_PROXY`;
  else if (proxy) message = `cannot reach the hub at ${hub} through the proxy ${shown(proxy.url)} (${proxy.from}): ${cause}; check the proxy, or list the hub's host in NO_PROXY to go direct`;
  else message = `cannot reach the hub at ${hub}: ${cause}; ${hint}`;
  return new SkiffError('HUB_UNREACHABLE', message, { cause: e });
}
