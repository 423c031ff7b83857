// The small Compose syntaxes: durations, port mappings, volume mounts, command strings.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDuration } from '../../src/compose/duration.ts';
import { SyntaxIssue } from '../../src/compose/issues.ts';
import { parsePortLong, parsePortShort } from '../../src/compose/ports.ts';
import { splitShellWords } from '../../src/compose/shell-words.ts';
import { parseVolumeLong, parseVolumeShort } from '../../src/compose/volumes.ts';

test('durations convert to nanoseconds', () => {
  const cases: [string, number][] = [
    ['0', 0],
    ['30s', 30e9],
    ['1m30s', 90e9],
    ['1h', 3600e9],
    ['2h45m', (2 * 3600 + 45 * 60) * 1e9],
    ['500ms', 500e6],
    ['1.5s', 1.5e9],
    ['.5m', 30e9],
    ['10us', 10e3],
    ['10µs', 10e3],
    ['250ns', 250],
    ['1m0.5s', 60.5e9],
  ];
  for (const [text, ns] of cases) assert.equal(parseDuration(text), ns, text);
});

test('bad durations are rejected', () => {
  for (const text of ['', '10', '1d', '-5s', '5 s', 's', '1m30', 'm5', '1.2.3s', '10sx']) {
    assert.throws(() => parseDuration(text), SyntaxIssue, text);
  }
  assert.throws(() => parseDuration('99999999h'), /too long/);
});

test('short port syntax', () => {
  assert.deepEqual(parsePortShort(80), [{ hostIp: '', containerPort: 80, protocol: 'tcp' }]);
  assert.deepEqual(parsePortShort('8080:80'), [{ hostIp: '', hostPort: 8080, containerPort: 80, protocol: 'tcp' }]);
  assert.deepEqual(parsePortShort('127.0.0.1:53:53/udp'), [{ hostIp: '127.0.0.1', hostPort: 53, containerPort: 53, protocol: 'udp' }]);
  assert.deepEqual(parsePortShort('127.0.0.1::80'), [{ hostIp: '127.0.0.1', containerPort: 80, protocol: 'tcp' }]);
  assert.deepEqual(parsePortShort('[::1]:8080:80'), [{ hostIp: '::1', hostPort: 8080, containerPort: 80, protocol: 'tcp' }]);
  assert.deepEqual(parsePortShort('8000-8001:80-81'), [
    { hostIp: '', hostPort: 8000, containerPort: 80, protocol: 'tcp' },
    { hostIp: '', hostPort: 8001, containerPort: 81, protocol: 'tcp' },
  ]);
  assert.deepEqual(parsePortShort('3000-3001'), [
    { hostIp: '', containerPort: 3000, protocol: 'tcp' },
    { hostIp: '', containerPort: 3001, protocol: 'tcp' },
  ]);
  for (const bad of ['', 'http', '80:http', '0:80', '80:65536', '81-80', '1:2:3:4', 'host:80:80', '80/tcp/udp', '80/sctp', '8000-8002:80', '[::1]80']) {
    assert.throws(() => parsePortShort(bad), SyntaxIssue, bad);
  }
});

test('long port syntax', () => {
  assert.deepEqual(parsePortLong({ target: 80 }), [{ hostIp: '', containerPort: 80, protocol: 'tcp' }]);
  assert.deepEqual(parsePortLong({ target: '53', published: 5353, host_ip: '10.0.0.1', protocol: 'udp' }), [
    { hostIp: '10.0.0.1', hostPort: 5353, containerPort: 53, protocol: 'udp' },
  ]);
  assert.throws(() => parsePortLong({ target: 80, protocol: 'sctp' }), SyntaxIssue);
  assert.throws(() => parsePortLong({ target: 80, host_ip: 'localhost' }), /host IP address/);
});

test('short volume syntax: named volume, bind paths, anonymous, modes', () => {
  assert.deepEqual(parseVolumeShort('data:/var/lib/app'), { type: 'volume', source: 'data', target: '/var/lib/app', readOnly: false });
  assert.deepEqual(parseVolumeShort('data:/var/lib/app:ro'), { type: 'volume', source: 'data', target: '/var/lib/app', readOnly: true });
  assert.deepEqual(parseVolumeShort('./conf:/etc/app:rw'), { type: 'bind', source: './conf', target: '/etc/app', readOnly: false });
  assert.deepEqual(parseVolumeShort('/etc/localtime:/etc/localtime:ro'), { type: 'bind', source: '/etc/localtime', target: '/etc/localtime', readOnly: true });
  assert.deepEqual(parseVolumeShort('~/cache:/cache'), { type: 'bind', source: '~/cache', target: '/cache', readOnly: false });
  assert.deepEqual(parseVolumeShort('/scratch'), { type: 'volume', target: '/scratch', readOnly: false });
  for (const bad of ['', 'relative', 'data:relative', 'data:/x:z', 'data:/x:ro:extra', 'bad name:/x', ':/x']) {
    assert.throws(() => parseVolumeShort(bad), SyntaxIssue, bad);
  }
});

test('long volume syntax', () => {
  assert.deepEqual(parseVolumeLong({ type: 'volume', source: 'data', target: '/d', read_only: true }), { type: 'volume', source: 'data', target: '/d', readOnly: true });
  assert.deepEqual(parseVolumeLong({ type: 'volume', target: '/d' }), { type: 'volume', target: '/d', readOnly: false });
  assert.deepEqual(parseVolumeLong({ type: 'tmpfs', target: '/run' }), { type: 'tmpfs', target: '/run', readOnly: false });
  assert.throws(() => parseVolumeLong({ type: 'tmpfs', source: 'x', target: '/run' }), /takes no source/);
  assert.throws(() => parseVolumeLong({ type: 'bind', target: '/x' }), /without a source/);
  assert.throws(() => parseVolumeLong({ type: 'volume', source: 'd', target: 'x' }), /absolute path/);
});

test('command strings split like a shell, without expansion', () => {
  assert.deepEqual(splitShellWords('nginx -g "daemon off;"'), ['nginx', '-g', 'daemon off;']);
  assert.deepEqual(splitShellWords(`sh -c 'echo "$HOME" && exit 1'`), ['sh', '-c', 'echo "$HOME" && exit 1']);
  assert.deepEqual(splitShellWords('  a\tb\nc  '), ['a', 'b', 'c']);
  assert.deepEqual(splitShellWords('a\\ b "c\\"d" e""f \'\''), ['a b', 'c"d', 'ef', '']);
  assert.deepEqual(splitShellWords('"a\\nb"'), ['a\\nb']);
  assert.deepEqual(splitShellWords(''), []);
  assert.throws(() => splitShellWords('echo "unterminated'), /unterminated " quote/);
  assert.throws(() => splitShellWords("echo 'unterminated"), /unterminated ' quote/);
  assert.throws(() => splitShellWords('echo \\'), /lone backslash/);
});
