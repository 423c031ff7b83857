// Maintenance windows in IANA time zones: open/closed, across midnight and DST, the next opening, bad input.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextOpening, parseWindows, windowOpen } from '../../src/fleet/windows.ts';
import { isSkiffError } from '../../src/util/errors.ts';

const at = (iso: string) => new Date(iso);

describe('maintenance windows', () => {
  const berlin = parseWindows([{ days: ['sat', 'sun'], start: '02:00', end: '04:00', timeZone: 'Europe/Berlin' }], 'windows');

  it('is open only inside the local span of the named days', () => {
    assert.equal(windowOpen(berlin, at('2026-11-28T01:30:00Z')), true, 'Sat 02:30 in Berlin (UTC+1)');
    assert.equal(windowOpen(berlin, at('2026-11-28T00:59:00Z')), false, 'Sat 01:59 local');
    assert.equal(windowOpen(berlin, at('2026-11-28T03:00:00Z')), false, 'Sat 04:00 local: the end is exclusive');
    assert.equal(windowOpen(berlin, at('2026-11-30T01:30:00Z')), false, 'Monday');
  });

  it('follows daylight saving time', () => {
    assert.equal(windowOpen(berlin, at('2026-07-04T00:30:00Z')), true, 'Sat 02:30 in Berlin (UTC+2)');
    assert.equal(windowOpen(berlin, at('2026-07-04T01:30:00Z')), true);
    assert.equal(windowOpen(berlin, at('2026-07-04T02:30:00Z')), false, '04:30 local');
  });

  it('a window past midnight belongs to the day it starts', () => {
    const night = parseWindows([{ days: ['fri'], start: '23:00', end: '01:00', timeZone: 'UTC' }], 'windows');
    assert.equal(windowOpen(night, at('2026-11-27T23:30:00Z')), true, 'Fri 23:30');
    assert.equal(windowOpen(night, at('2026-11-28T00:30:00Z')), true, 'Sat 00:30');
    assert.equal(windowOpen(night, at('2026-11-28T23:30:00Z')), false, 'Sat 23:30');
  });

  it('no windows means always open; the next opening is found', () => {
    assert.equal(windowOpen([], at('2026-11-30T12:00:00Z')), true);
    assert.equal(nextOpening(berlin, at('2026-11-30T12:00:00Z'))?.toISOString(), '2026-12-05T01:00:00.000Z');
    const now = at('2026-11-28T01:30:00Z');
    assert.equal(nextOpening(berlin, now), now);
  });

  it('bad input names the field', () => {
    const bad = (input: unknown, re: RegExp) => assert.throws(() => parseWindows(input, 'windows'), (e) => isSkiffError(e, 'INVALID_INPUT') && re.test(e.message));
    bad([{ days: ['sat'], start: '2:00', end: '04:00', timeZone: 'UTC' }], /^windows\.0\.start: must be HH:MM/);
    bad([{ days: ['someday'], start: '02:00', end: '04:00', timeZone: 'UTC' }], /^windows\.0\.days\.0/);
    bad([{ days: ['sat'], start: '02:00', end: '04:00', timeZone: 'Mars/Olympus' }], /time zone "Mars\/Olympus" is not an IANA time zone/);
    bad([{ days: ['sat'], start: '02:00', end: '04:00', timeZone: 'UTC', extra: 1 }], /^windows\.0/);
  });
});
