// Engine client logic that needs no engine: version negotiation, reference splitting, log demultiplexing, progress streams.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { compareApiVersions, demuxLogs, negotiateApiVersion, splitImageRef } from '../../src/engine/index.ts';
import { readJsonLines } from '../../src/engine/json-lines.ts';
import { isSkiffError } from '../../src/util/errors.ts';

describe('negotiateApiVersion', () => {
  it('uses the server version when it is within our range', () => {
    assert.equal(negotiateApiVersion('1.41'), '1.41');
    assert.equal(negotiateApiVersion('1.45'), '1.45');
  });

  it('caps at our maximum for newer engines', () => {
    assert.equal(negotiateApiVersion('1.50'), '1.47');
    assert.equal(negotiateApiVersion('2.0'), '1.47');
  });

  it('refuses engines older than Docker 20.10', () => {
    assert.throws(() => negotiateApiVersion('1.40'), (e) => isSkiffError(e, 'ENGINE_ERROR') && /too old.*1\.41/.test(e.message));
    assert.throws(() => negotiateApiVersion('banana'), (e) => isSkiffError(e, 'ENGINE_ERROR'));
  });

  it('compares versions numerically', () => {
    assert.ok(compareApiVersions('1.9', '1.41') < 0);
    assert.ok(compareApiVersions('1.47', '1.41') > 0);
    assert.equal(compareApiVersions('1.41', '1.41'), 0);
  });
});

describe('splitImageRef', () => {
  it('splits tags, digests and registry ports', () => {
    assert.deepEqual(splitImageRef('busybox'), { repo: 'busybox', tag: 'latest' });
    assert.deepEqual(splitImageRef('app:1.2.3'), { repo: 'app', tag: '1.2.3' });
    assert.deepEqual(splitImageRef('127.0.0.1:5000/acme/app'), { repo: '127.0.0.1:5000/acme/app', tag: 'latest' });
    assert.deepEqual(splitImageRef('127.0.0.1:5000/acme/app:2'), { repo: '127.0.0.1:5000/acme/app', tag: '2' });
    const digest = `sha256:${'a'.repeat(64)}`;
    assert.deepEqual(splitImageRef(`127.0.0.1:5000/app@${digest}`), { repo: '127.0.0.1:5000/app', tag: digest });
  });
});

function frame(kind: number, text: string): Buffer {
  const body = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = kind;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

describe('demuxLogs', () => {
  it('splits stdout and stderr frames and keeps their order', () => {
    const buf = Buffer.concat([frame(1, 'out 1\n'), frame(2, 'err 1\n'), frame(1, 'out 2\n')]);
    const logs = demuxLogs(buf);
    assert.equal(logs.stdout, 'out 1\nout 2\n');
    assert.equal(logs.stderr, 'err 1\n');
    assert.equal(logs.combined, 'out 1\nerr 1\nout 2\n');
  });

  it('passes a TTY (raw) stream through', () => {
    assert.equal(demuxLogs(Buffer.from('hello from a tty\n')).combined, 'hello from a tty\n');
  });

  it('tolerates a truncated last frame', () => {
    const buf = Buffer.concat([frame(1, 'whole\n'), frame(1, 'cut off').subarray(0, 11)]);
    assert.equal(demuxLogs(buf).stdout, 'whole\ncut');
  });
});

describe('readJsonLines', () => {
  it('hands every event over and returns them', async () => {
    const seen: unknown[] = [];
    const events = await readJsonLines(Readable.from(['{"status":"a"}\n{"sta', 'tus":"b"}\n']), 'pull of x', (ev) => seen.push(ev));
    assert.deepEqual(events, [{ status: 'a' }, { status: 'b' }]);
    assert.deepEqual(seen, events);
  });

  it('turns a stream cut in the middle into ENGINE_ERROR', async () => {
    const body = new Readable({ read() {} });
    body.push('{"status":"a"}\n');
    setImmediate(() => body.destroy(new Error('other side closed')));
    await assert.rejects(readJsonLines(body, 'pull of app:1'), (e) => {
      assert.ok(isSkiffError(e, 'ENGINE_ERROR'), String(e));
      assert.equal(e.message, 'Docker Engine: pull of app:1 was cut off: other side closed');
      return true;
    });
  });

  it('throws a one-line ENGINE_ERROR at an error line', async () => {
    const body = Readable.from(['{"status":"a"}\n', '{"errorDetail":{"message":"manifest unknown:\\nno such tag"},"error":"x"}\n']);
    await assert.rejects(readJsonLines(body, 'pull of app:1'), (e) => {
      assert.ok(isSkiffError(e, 'ENGINE_ERROR'));
      assert.equal(e.message, 'Docker Engine: pull of app:1 failed: manifest unknown: no such tag');
      return true;
    });
  });
});
