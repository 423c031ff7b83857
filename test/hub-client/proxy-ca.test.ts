// Customer networks: every request to the hub (the CLI's and the agent's) goes through HTTPS_PROXY unless NO_PROXY
// names the hub, and trusts a private CA given with --hub-ca or SKIFF_HUB_CA. Real pieces: Debian's tinyproxy on
// 127.0.0.1, the real hub serving HTTPS with a certificate from a CA made here with openssl, the real CLI.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { noProxyMatches, proxyFor } from '../../src/hub-client/index.ts';
import { isSkiffError } from '../../src/util/errors.ts';
import { runCli, type CliResult } from '../helpers/agent.ts';
import { hubInit, startHubProcess, type HubProcess } from '../helpers/hub-process.ts';
import { freePort } from '../helpers/ports.ts';
import { makePrivateCa, type PrivateCa } from '../helpers/private-ca.ts';
import { startTinyproxy, type Tinyproxy } from '../helpers/tinyproxy.ts';

/** The variables a developer's shell may carry, cleared so that each test sets exactly what it means. */
const CLEAN = {
  HTTPS_PROXY: '',
  https_proxy: '',
  HTTP_PROXY: '',
  http_proxy: '',
  NO_PROXY: '',
  no_proxy: '',
  SKIFF_HUB_CA: '',
  SKIFF_HUB: '',
  SKIFF_TOKEN: '',
};

describe('proxy rules (the environment as undici and curl read it)', () => {
  it('picks HTTPS_PROXY for https (HTTP_PROXY otherwise), lowercase first, and honours NO_PROXY hosts, domains, ports and *', () => {
    assert.deepEqual(proxyFor('https://hub.example.com', { HTTPS_PROXY: 'http://p:3128' }), {
      url: 'http://p:3128',
      from: 'HTTPS_PROXY',
    });
    assert.deepEqual(proxyFor('https://hub.example.com', { HTTP_PROXY: 'http://p:3128' }), {
      url: 'http://p:3128',
      from: 'HTTP_PROXY',
    });
    assert.deepEqual(
      proxyFor('https://hub.example.com', { https_proxy: 'http://a:1', HTTPS_PROXY: 'http://b:2' }),
      { url: 'http://a:1', from: 'https_proxy' },
    );
    assert.equal(proxyFor('http://hub.example.com', { HTTPS_PROXY: 'http://p:3128' }), undefined);
    assert.equal(proxyFor('https://hub.example.com', {}), undefined);
    assert.equal(
      proxyFor('https://hub.example.com', {
        HTTPS_PROXY: 'http://p:3128',
        NO_PROXY: 'localhost,.example.com',
      }),
      undefined,
    );
    assert.ok(noProxyMatches('example.com', 'hub.example.com', 443));
    assert.ok(noProxyMatches('*.example.com', 'HUB.example.com', 443));
    assert.ok(!noProxyMatches('example.com', 'badexample.com', 443));
    assert.ok(noProxyMatches('127.0.0.1:8443', '127.0.0.1', 8443));
    assert.ok(!noProxyMatches('127.0.0.1:8443', '127.0.0.1', 443));
    assert.ok(noProxyMatches(' * ', 'anything', 1));
    assert.throws(
      () => proxyFor('https://hub.example.com', { HTTPS_PROXY: 'proxy.corp:3128' }),
      (e: unknown) =>
        isSkiffError(e, 'USAGE') &&
        /HTTPS_PROXY="proxy\.corp:3128" is not a proxy URL: set it to http:\/\/host:port/.test(e.message),
    );
  });
});

describe('the hub behind a proxy, with a private CA', () => {
  let work: string;
  let ca: PrivateCa;
  let hub: HubProcess;
  let proxy: Tinyproxy;
  let token: string;
  let hubHostPort: string;

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'skiff-proxy-ca-'));
    ca = await makePrivateCa(work);
    const data = path.join(work, 'hub');
    token = (await hubInit({ data })).token;
    hub = await startHubProcess({ data, tls: { cert: ca.cert, key: ca.key } });
    assert.match(hub.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    hubHostPort = hub.url.slice('https://'.length);
    proxy = await startTinyproxy(work);
  });

  after(async () => {
    await proxy?.stop();
    await hub?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const appList = (env: Record<string, string>, extra: string[] = []): Promise<CliResult> =>
    runCli(['app', 'list', '--hub', hub.url, '--token', token, ...extra], { ...CLEAN, ...env });

  /** The one line an error must be: `skiff: …`, nothing else on stderr. */
  function oneLine(r: CliResult): string {
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `one line on stderr, got: ${r.stderr}`);
    assert.match(lines[0] ?? '', /^skiff: /);
    return lines[0] ?? '';
  }

  it('a CLI request through the proxy with --hub-ca succeeds, and the proxy carried it', async () => {
    const before = proxy.connects(hubHostPort);
    const r = await appList({ HTTPS_PROXY: proxy.url }, ['--hub-ca', ca.caCert]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(
      proxy.connects(hubHostPort) > before,
      `tinyproxy logged a CONNECT to ${hubHostPort}:\n${proxy.log()}`,
    );
  });

  it('SKIFF_HUB_CA does the same for every hub-talking command (here bundle fetch reaches the hub and gets its 404)', async () => {
    const before = proxy.connects(hubHostPort);
    const out = path.join(work, 'x.skiff');
    const r = await runCli(['bundle', 'fetch', 'nope@1.0.0', '-o', out, '--hub', hub.url, '--token', token], {
      ...CLEAN,
      HTTPS_PROXY: proxy.url,
      SKIFF_HUB_CA: ca.caCert,
    });
    assert.equal(r.code, 1);
    assert.match(oneLine(r), /^skiff: hub: /, 'the hub answered: TLS and the proxy were passed');
    assert.ok(proxy.connects(hubHostPort) > before);
  });

  it('without the CA the request fails with one line naming the certificate problem and --hub-ca / SKIFF_HUB_CA', async () => {
    const r = await appList({ HTTPS_PROXY: proxy.url });
    assert.equal(r.code, 1);
    const line = oneLine(r);
    assert.match(
      line,
      new RegExp(
        `the hub at ${hub.url} presents a certificate this machine does not trust \\(UNABLE_TO_VERIFY_LEAF_SIGNATURE\\)`,
      ),
    );
    assert.match(line, /pass --hub-ca FILE or set SKIFF_HUB_CA to the PEM file of the CA that issued it$/);
  });

  it('NO_PROXY=127.0.0.1 goes direct: nothing reaches the proxy, and a proxy that is down does not matter', async () => {
    const before = proxy.connects(hubHostPort);
    const up = await appList({ HTTPS_PROXY: proxy.url, NO_PROXY: '127.0.0.1', SKIFF_HUB_CA: ca.caCert });
    assert.equal(up.code, 0, up.stderr);
    assert.equal(proxy.connects(hubHostPort), before, 'the proxy saw no CONNECT');

    const dead = `http://127.0.0.1:${await freePort()}`;
    const down = await appList({
      HTTPS_PROXY: dead,
      NO_PROXY: 'localhost,127.0.0.1',
      SKIFF_HUB_CA: ca.caCert,
    });
    assert.equal(down.code, 0, down.stderr);
    const through = await appList({ HTTPS_PROXY: dead, SKIFF_HUB_CA: ca.caCert });
    assert.equal(through.code, 1);
    assert.match(
      oneLine(through),
      new RegExp(
        `cannot reach the hub at ${hub.url} through the proxy ${dead} \\(HTTPS_PROXY\\): ECONNREFUSED; check the proxy, or list the hub's host in NO_PROXY`,
      ),
    );
  });

  it('a CA file that is missing or not a certificate is one usage line, exit 2', async () => {
    const missing = await appList({}, ['--hub-ca', path.join(work, 'nope.pem')]);
    assert.equal(missing.code, 2);
    assert.match(
      oneLine(missing),
      /^skiff: --hub-ca .*nope\.pem does not exist: give the PEM file of the CA/,
    );
    const notPem = path.join(work, 'not.pem');
    await writeFile(notPem, 'hello\n');
    const bad = await appList({ SKIFF_HUB_CA: notPem });
    assert.equal(bad.code, 2);
    assert.match(oneLine(bad), /the hub CA file .*not\.pem \(SKIFF_HUB_CA\) holds no PEM certificate/);
  });

  it('the connected agent goes through the proxy and trusts --hub-ca; without it, the certificate line', async () => {
    const enrollToken = `ske_${'A'.repeat(43)}.${'0'.repeat(64)}`;
    const args = (state: string): string[] => [
      'agent',
      'run',
      '--hub',
      hub.url,
      '--enroll-token',
      enrollToken,
      '--state',
      path.join(work, state),
      '--once',
    ];
    const before = proxy.connects(hubHostPort);
    const trusted = await runCli([...args('a1'), '--hub-ca', ca.caCert], {
      ...CLEAN,
      HTTPS_PROXY: proxy.url,
    });
    assert.equal(trusted.code, 1, 'the hub refuses a token it never issued');
    assert.match(
      oneLine(trusted),
      /^skiff: hub: /,
      'the hub itself answered, through the proxy and over verified TLS',
    );
    assert.ok(proxy.connects(hubHostPort) > before);
    const untrusted = await runCli(args('a2'), { ...CLEAN, HTTPS_PROXY: proxy.url });
    assert.equal(untrusted.code, 1);
    assert.match(
      oneLine(untrusted),
      /does not trust \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\): pass --hub-ca FILE or set SKIFF_HUB_CA/,
    );
  });
});
