// Compose port syntax, short ('127.0.0.1:8080:80/udp', '8000-8001:80-81') and long, to port bindings.
import { isIP } from 'node:net';
import { SyntaxIssue } from './issues.ts';
import type { PortBinding } from './types.ts';

const SHORT_FORM = `write [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/tcp|udp], e.g. "8080:80" or "127.0.0.1:8443:443"`;

interface PortRange {
  readonly start: number;
  readonly end: number;
}

function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text)) throw new SyntaxIssue(`has "${text}" where a port number is expected: ${SHORT_FORM}`);
  const port = Number(text);
  if (port < 1 || port > 65535) throw new SyntaxIssue(`has port ${port}, outside 1-65535`);
  return port;
}

function parseRange(text: string): PortRange {
  const [first = '', last, ...extra] = text.split('-');
  if (extra.length > 0) throw new SyntaxIssue(`has "${text}" where a port or a range like 8000-8010 is expected`);
  const start = parsePort(first);
  const end = last === undefined ? start : parsePort(last);
  if (end < start) throw new SyntaxIssue(`has the backwards port range "${text}"`);
  return { start, end };
}

function parseProtocol(text: string): 'tcp' | 'udp' {
  if (text === 'tcp' || text === 'udp') return text;
  throw new SyntaxIssue(`has protocol "${text}": Skiff supports tcp and udp`);
}

function checkHostIp(hostIp: string): string {
  if (hostIp !== '' && isIP(hostIp) === 0) throw new SyntaxIssue(`has "${hostIp}" where a host IP address is expected`);
  return hostIp;
}

function expand(hostIp: string, hostText: string, containerText: string, protocol: 'tcp' | 'udp'): PortBinding[] {
  const container = parseRange(containerText);
  const host = hostText === '' ? undefined : parseRange(hostText);
  const size = container.end - container.start;
  if (host !== undefined && host.end - host.start !== size) {
    throw new SyntaxIssue('maps a host port range onto a container range of another size: give both the same size');
  }
  const bindings: PortBinding[] = [];
  for (let offset = 0; offset <= size; offset++) {
    const containerPort = container.start + offset;
    bindings.push(host === undefined ? { hostIp, containerPort, protocol } : { hostIp, hostPort: host.start + offset, containerPort, protocol });
  }
  return bindings;
}

/** Short syntax: a bare number, or [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL] with IPv6 addresses in brackets. */
export function parsePortShort(spec: string | number): PortBinding[] {
  if (typeof spec === 'number') return expand('', '', String(spec), 'tcp');
  const [main = '', protocolText, ...extra] = spec.split('/');
  if (extra.length > 0) throw new SyntaxIssue(`is not a port mapping: ${SHORT_FORM}`);
  const protocol = protocolText === undefined ? 'tcp' : parseProtocol(protocolText);
  let parts: string[];
  if (main.startsWith('[')) {
    const close = main.indexOf(']:');
    if (close < 0) throw new SyntaxIssue(`is not a port mapping: ${SHORT_FORM}`);
    parts = [main.slice(1, close), ...main.slice(close + 2).split(':')];
    if (parts.length !== 3) throw new SyntaxIssue(`is not a port mapping: ${SHORT_FORM}`);
  } else {
    parts = main.split(':');
  }
  if (parts.length === 1) return expand('', '', parts[0] ?? '', protocol);
  if (parts.length === 2) return expand('', parts[0] ?? '', parts[1] ?? '', protocol);
  if (parts.length === 3) return expand(checkHostIp(parts[0] ?? ''), parts[1] ?? '', parts[2] ?? '', protocol);
  throw new SyntaxIssue(`is not a port mapping (put an IPv6 host address in brackets): ${SHORT_FORM}`);
}

export interface LongPort {
  readonly target: string | number;
  readonly published?: string | number | undefined;
  readonly host_ip?: string | undefined;
  readonly protocol?: string | undefined;
}

/** Long syntax: { target, published, host_ip, protocol }. */
export function parsePortLong(spec: LongPort): PortBinding[] {
  const protocol = spec.protocol === undefined ? 'tcp' : parseProtocol(spec.protocol);
  const published = spec.published === undefined ? '' : String(spec.published);
  return expand(checkHostIp(spec.host_ip ?? ''), published, String(spec.target), protocol);
}
