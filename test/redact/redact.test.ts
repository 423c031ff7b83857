// Redaction with planted secrets: setting values, common secret shapes, private key blocks over lines, and a secret
// split across two chunks of a stream.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChunkRedactor, LineRedactor, REDACTED, redactLine, secretSettingValues } from '../../src/redact/index.ts';

const DB_PASSWORD = 'hunter2-Very-Secret';
const API_KEY = 'k3y-0123456789abcdef';

test('the values of secret settings are replaced, the longest first, and others are kept', () => {
  const secrets = secretSettingValues(['DB_PASSWORD', 'API_KEY', 'MISSING'], {
    DB_PASSWORD,
    API_KEY,
    HOSTNAME: 'app.example.com',
  });
  assert.deepEqual(secrets.sort(), [API_KEY, DB_PASSWORD].sort());
  const out = redactLine([...secrets, 'hunter2'], `connecting to app.example.com as admin with ${DB_PASSWORD} and key ${API_KEY}`);
  assert.equal(out, `connecting to app.example.com as admin with ${REDACTED} and key ${REDACTED}`);
  assert.ok(!out.includes('hunter2') && !out.includes('Very-Secret'));
});

test('common secret shapes are replaced and the text around them stays readable', () => {
  const cases: [string, string][] = [
    ['GET /api Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-_x', `GET /api Authorization: Bearer ${REDACTED}`],
    ['authorization: Basic dXNlcjpwYXNz', `authorization: Basic ${REDACTED}`],
    ['curl -H "Authorization: token ghp_abcdefghijklmnop1234"', `curl -H "Authorization: token ${REDACTED}"`],
    ['sent bearer abcdefghijklmnopqrstuvwxyz012345 upstream', `sent bearer ${REDACTED} upstream`],
    ['db url postgres://app:s3cr3tPass@db:5432/app ready', `db url postgres://app:${REDACTED}@db:5432/app ready`],
    ['amqp://guest:guest@rabbit/', `amqp://guest:${REDACTED}@rabbit/`],
    ['using key AKIAIOSFODNN7EXAMPLE for s3', `using key ${REDACTED} for s3`],
    ['aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', `aws_secret_access_key=${REDACTED}`],
    ['secret is wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY ok', `secret is ${REDACTED} ok`],
    ['login user=bob password=pa55word&next=1', `login user=bob password=${REDACTED}&next=1`],
    ['{"user":"bob","password":"p a s s","api_key":"xyz"}', `{"user":"bob","password":"${REDACTED}","api_key":"${REDACTED}"}`],
    ['PASSWD: swordfish', `PASSWD: ${REDACTED}`],
    ['client_secret=abc123; next', `client_secret=${REDACTED}; next`],
  ];
  for (const [line, expected] of cases) assert.equal(redactLine([], line), expected, line);
});

test('ordinary log lines pass unchanged', () => {
  const lines = [
    '2026-11-30T10:00:00Z INFO listening on http://0.0.0.0:8080/health',
    'GET /api/v1/items?page=2 200 12ms',
    'sha256:3f1c0a9b8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c6b5a4938271605f4e3d',
    'password reset requested for bob@example.com',
    'token expired, refreshing',
  ];
  for (const line of lines) assert.equal(redactLine([], line), line);
});

const KEY_LINES = [
  '-----BEGIN RSA PRIVATE KEY-----',
  'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun',
  'VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK',
  '-----END RSA PRIVATE KEY-----',
];

test('a private key block over several lines is hidden whole, and the lines after it are kept', () => {
  const r = new LineRedactor([]);
  const out = ['loading key:', ...KEY_LINES, 'key loaded'].map((l) => r.line(l));
  assert.deepEqual(out, ['loading key:', KEY_LINES[0], REDACTED, REDACTED, `${REDACTED}${KEY_LINES[3]}`, 'key loaded']);
  const oneLine = r.line(`{"key":"${KEY_LINES.join('\\n')}"}`);
  assert.equal(oneLine, `{"key":"${KEY_LINES[0]}${REDACTED}${KEY_LINES[3]}"}`);
  assert.ok(!r.text(KEY_LINES.join('\n')).includes('MIIE'));
});

test('a secret split across two chunks of a stream is still replaced', () => {
  const r = new ChunkRedactor([DB_PASSWORD]);
  const text = `first line\nconnect with ${DB_PASSWORD} now\nthen Authorization: Bearer abcdefghijklmnop1234\n${KEY_LINES.join('\n')}\ntail`;
  for (let cut = 1; cut < text.length; cut += 7) {
    const chunked = new ChunkRedactor([DB_PASSWORD]);
    const lines = [...chunked.push(text.slice(0, cut)), ...chunked.push(text.slice(cut)), ...chunked.flush()];
    const joined = lines.join('\n');
    assert.ok(!joined.includes('hunter2') && !joined.includes('abcdefghijklmnop') && !joined.includes('MIIE'), `cut at ${cut}: ${joined}`);
    assert.equal(lines[0], 'first line');
    assert.equal(lines.at(-1), 'tail');
  }
  assert.deepEqual(r.push(`a ${DB_PASSWORD.slice(0, 5)}`), []);
  assert.deepEqual(r.push(`${DB_PASSWORD.slice(5)} b\r\n`), [`a ${REDACTED} b`]);
});

test('a line longer than the limit is cut, and a stray BEGIN does not hide a log forever', () => {
  const r = new ChunkRedactor([], 100);
  const lines = r.push(`${'word '.repeat(50)}`);
  assert.ok(lines.length >= 2 && lines.every((l) => l.length <= 100));
  const lr = new LineRedactor([]);
  lr.line('-----BEGIN PRIVATE KEY-----');
  let hidden = 0;
  for (let i = 0; i < 1000; i += 1) if (lr.line(`line ${i}`) === REDACTED) hidden += 1;
  assert.ok(hidden < 1000 && hidden >= 300, String(hidden));
});
