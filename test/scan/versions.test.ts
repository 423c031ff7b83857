// Version orderings: Debian's checked against the real `dpkg --compare-versions`, PEP 440's and CVSS v3 scores by hand.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { compareDebian, comparePep440, compareGeneric, cvss3BaseScore } from '../../src/scan/index.ts';

const DEBIAN = [
  '0', '1.0~~', '1.0~', '1.0~rc1', '1.0', '1.0-0', '1.0-1', '1.0-1+b1', '1.0-1+deb12u1', '1.0-1.1', '1.0-2', '1.0a', '1.0+dfsg-1',
  '1.0.1', '1.2.3', '1.2.10', '2.36-9+deb12u4', '2.36-9+deb12u7', '2.36-10', '1:0.9', '1:1.2.13.dfsg-1', '1:1.2.13.dfsg-1+deb12u1', '2:0',
];

test('Debian versions order exactly as dpkg --compare-versions orders them', () => {
  for (const a of DEBIAN)
    for (const b of DEBIAN) {
      const ours = Math.sign(compareDebian(a, b));
      const lt = (() => {
        try {
          execFileSync('dpkg', ['--compare-versions', a, 'lt', b]);
          return true;
        } catch {
          return false;
        }
      })();
      const eq = (() => {
        try {
          execFileSync('dpkg', ['--compare-versions', a, 'eq', b]);
          return true;
        } catch {
          return false;
        }
      })();
      assert.equal(ours, lt ? -1 : eq ? 0 : 1, `${a} vs ${b}`);
    }
});

test('PEP 440: dev < alpha < beta < rc < final < post; trailing zeros and case do not matter', () => {
  const order = ['1.0.dev1', '1.0a1', '1.0b2', '1.0rc1', '1.0', '1.0.post1', '1.1', '2.31.0', '2.32.0', '10.0'];
  for (let i = 0; i + 1 < order.length; i++) assert.ok(comparePep440(order[i]!, order[i + 1]!) < 0, `${order[i]} < ${order[i + 1]}`);
  assert.equal(comparePep440('1.0', '1.0.0'), 0);
  assert.equal(comparePep440('1.0RC1', '1.0rc1'), 0);
  assert.ok(compareGeneric('1.2.4-r2', '1.2.4-r10') < 0);
});

test('CVSS v3 base scores', () => {
  assert.equal(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'), 9.8);
  assert.equal(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N'), 6.1);
  assert.equal(cvss3BaseScore('CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N'), 5.5);
  assert.equal(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H'), 7.5);
  assert.equal(cvss3BaseScore('CVSS:2.0/AV:N'), undefined);
});
