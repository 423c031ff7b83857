// Per-site values, the pure part: what a site runs a release with, its digest, and a release held back when the site's
// values do not satisfy it (the site stays on what it runs).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkNewValues,
  checkSiteValues,
  decideDesired,
  valuesDigest,
  type ChannelRelease,
  type SiteInputs,
  type ValuesVerdict,
} from '../../src/fleet/index.ts';
import type { ConfigSetting } from '../../src/compose/index.ts';
import { isSkiffError } from '../../src/util/errors.ts';

const SETTINGS: ConfigSetting[] = [
  { name: 'GREETING', type: 'string', default: 'hello', required: false, secret: false },
  { name: 'REGION', type: 'string', required: true, secret: false },
  { name: 'PORT', type: 'port', required: false, secret: false },
];
const digest = (c: string) => `sha256:${c.repeat(64)}`;

describe('site values', () => {
  it('resolves defaults, ignores values of settings the release does not declare, and names what is missing', () => {
    const ok = checkSiteValues(SETTINGS, { REGION: 'eu', LEFTOVER: 'x', PORT: '8080' });
    assert.deepEqual(ok, {
      ok: true,
      values: { GREETING: 'hello', REGION: 'eu', PORT: '8080' },
      digest: valuesDigest({ GREETING: 'hello', REGION: 'eu', PORT: '8080' }),
    });
    assert.deepEqual(checkSiteValues(SETTINGS, { GREETING: 'hi' }), {
      ok: false,
      reason: 'invalid values: setting REGION is required: set it in the values',
    });
    const bad = checkSiteValues(SETTINGS, { REGION: 'eu', PORT: 'secret-looking-text' });
    assert.equal(bad.ok, false);
    assert.ok(!bad.ok && !bad.reason.includes('secret-looking-text'), 'a value never shows in a reason');
  });

  it('digests the values whatever their order, and any change of one changes it', () => {
    assert.equal(valuesDigest({ A: '1', B: '2' }), valuesDigest({ B: '2', A: '1' }));
    assert.notEqual(valuesDigest({ A: '1', B: '2' }), valuesDigest({ A: '1', B: '3' }));
    assert.match(valuesDigest({}), /^sha256:[a-f0-9]{64}$/);
  });

  it('checks new values by name and type only: a required setting still missing does not refuse them', () => {
    checkNewValues(SETTINGS, { GREETING: 'hi' });
    assert.throws(
      () => checkNewValues(SETTINGS, { PORT: '99999' }),
      (e) => isSkiffError(e, 'CONFIG_INVALID') && /setting PORT must be a port/.test(e.message),
    );
    assert.throws(
      () => checkNewValues(SETTINGS, { GREETNG: 'hi' }),
      (e) => isSkiffError(e, 'CONFIG_INVALID') && /GREETNG is not a setting/.test(e.message),
    );
  });
});

describe('desired state with values', () => {
  const channel: ChannelRelease[] = [
    { version: '1.0.0', digest: digest('a'), required: false },
    { version: '2.0.0', digest: digest('b'), required: false },
  ];
  const site = (values: SiteInputs['values'], current: string | null = '1.0.0'): SiteInputs => ({
    app: 'netmon',
    instance: 'i-1',
    channel,
    current,
    instancePin: null,
    sitePin: null,
    instanceWindows: [],
    siteWindows: [],
    installNow: false,
    pollSeconds: 30,
    values,
  });
  const verdicts = (byVersion: Record<string, ValuesVerdict>) => (r: ChannelRelease) =>
    byVersion[r.version] ?? { ok: false, reason: 'unknown' };

  it('offers the newest release with the digest of the values it runs with', () => {
    const d = decideDesired(site(verdicts({ '2.0.0': { ok: true, values: {}, digest: digest('c') } })));
    assert.deepEqual(
      [d.desired.release?.version, d.desired.valuesDigest, d.blockedReason],
      ['2.0.0', digest('c'), null],
    );
  });

  it('holds back a release the values do not satisfy: the site stays where it is, with its values if they still fit', () => {
    const d = decideDesired(
      site(
        verdicts({
          '1.0.0': { ok: true, values: {}, digest: digest('d') },
          '2.0.0': { ok: false, reason: 'setting REGION is required' },
        }),
      ),
    );
    assert.deepEqual([d.desired.release?.version, d.desired.valuesDigest], ['1.0.0', digest('d')]);
    assert.equal(
      d.blockedReason,
      'netmon@2.0.0 is held back: setting REGION is required (at the hub: skiff values set)',
    );
    const fresh = decideDesired(
      site(verdicts({ '2.0.0': { ok: false, reason: 'setting REGION is required' } }), null),
    );
    assert.deepEqual(
      [fresh.desired.release, fresh.desired.valuesDigest],
      [null, null],
      'a first install waits for its values',
    );
    const neither = decideDesired(site(verdicts({})));
    assert.deepEqual(
      [neither.desired.release?.version, neither.desired.valuesDigest],
      ['1.0.0', null],
      'values fitting no release: the site keeps what it runs',
    );
  });

  it('without values to check, names no digest', () => {
    const d = decideDesired(site(undefined));
    assert.deepEqual(
      [d.desired.release?.version, d.desired.valuesDigest, d.blockedReason],
      ['2.0.0', null, null],
    );
  });
});
