// The pure rollout scheduler and plan: group order and sizes, thresholds at their exact counts, soak, gates, window,
// retries with back-off, and what a rollout tells an instance.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  RolloutPlanSchema,
  assignGroups,
  chooseRelease,
  groupSizes,
  orderInstances,
  scheduleRollout,
  type GroupProgress,
  type RolloutPlan,
  type SchedulerInput,
} from '../../src/fleet/index.ts';

const NOW = new Date('2026-03-02T12:00:00Z');
const plan = (p: Partial<RolloutPlan> = {}): RolloutPlan => RolloutPlanSchema.parse({ groups: [{ percent: 25 }, { percent: 25 }, { percent: 25 }, { percent: 25 }], ...p });
const group = (n: number, g: Partial<GroupProgress> = {}): GroupProgress => ({ group: n, size: 50, committed: 0, failed: 0, startedAt: null, succeededAt: null, approved: false, ...g });
const started = { startedAt: '2026-03-02T11:00:00Z' };
const input = (i: Partial<SchedulerInput>): SchedulerInput => ({ state: 'running', plan: plan(), groups: [group(1), group(2), group(3), group(4)], retryCandidates: [], now: NOW, ...i });

describe('rollout plan', () => {
  it('orders instances stably by a hash of rollout and instance, canary first, and spreads them', () => {
    const ids = Array.from({ length: 100 }, (_, i) => `inst-${i}`);
    const a = orderInstances('r1', ids, ['inst-7', 'inst-3']);
    assert.deepEqual(a.slice(0, 2), ['inst-7', 'inst-3']);
    assert.deepEqual(orderInstances('r1', [...ids].reverse(), ['inst-7', 'inst-3']), a, 'the input order does not matter');
    assert.notDeepEqual(orderInstances('r2', ids), orderInstances('r1', ids), 'another rollout orders anew');
    assert.equal(new Set(a).size, 100);
  });

  it('sizes groups by count and percentage, the last taking the rest', () => {
    assert.deepEqual(groupSizes(200, plan().groups), [50, 50, 50, 50]);
    assert.deepEqual(groupSizes(10, [{ percent: 33 }, { percent: 33 }, { percent: 34 }]), [3, 3, 4]);
    assert.deepEqual(groupSizes(100, [{ count: 5 }, { percent: 50 }, { count: 1 }], 2), [2, 5, 49, 44]);
    assert.deepEqual(groupSizes(3, [{ count: 5 }, { count: 5 }]), [3, 0]);
    const groups = assignGroups(['a', 'b', 'c', 'd'], [1, 3]);
    assert.deepEqual(groups, [{ group: 1, ids: ['a'] }, { group: 2, ids: ['b', 'c', 'd'] }]);
  });

  it('refuses a bad plan naming the field', () => {
    const r = RolloutPlanSchema.safeParse({ groups: [{ percent: 0 }] });
    assert.equal(r.success, false);
    assert.deepEqual(r.error?.issues[0]?.path.slice(0, 2), ['groups', 0]);
  });
});

describe('rollout scheduler', () => {
  it('starts the first group of a new rollout, nothing when paused, cancelled or finished', () => {
    assert.deepEqual(scheduleRollout(input({})), [{ kind: 'start-group', group: 1 }]);
    for (const state of ['paused', 'cancelled', 'finished'] as const) assert.deepEqual(scheduleRollout(input({ state })), []);
  });

  it('starts the next group exactly when the success threshold is met', () => {
    const p = plan({ successThreshold: 0.5 });
    const at = (committed: number) => scheduleRollout(input({ plan: p, groups: [group(1, { ...started, committed }), group(2), group(3), group(4)] }));
    assert.deepEqual(at(24), []);
    assert.deepEqual(at(25), [{ kind: 'group-succeeded', group: 1 }, { kind: 'start-group', group: 2 }]);
  });

  it('pauses exactly one failure past the error threshold, naming the group and counts', () => {
    const p = plan({ errorThreshold: 0.1 });
    const at = (failed: number) => scheduleRollout(input({ plan: p, groups: [group(1, { ...started, failed }), group(2), group(3), group(4)] }));
    assert.deepEqual(at(5), []);
    const [pause] = at(6);
    assert.equal(pause?.kind, 'pause');
    assert.match(pause?.kind === 'pause' ? pause.reason : '', /^group 1: 6 of 50 instances failed, over the error threshold of 10% \(5 tolerated\)/);
    assert.equal(scheduleRollout(input({ groups: [group(1, { ...started, failed: 1 }), group(2), group(3), group(4)] }))[0]?.kind, 'pause', 'threshold 0: the first failure');
  });

  it('waits out the soak after a group met its threshold', () => {
    const p = plan({ soakSeconds: 600 });
    const g1 = (succeededAt: string) => group(1, { ...started, committed: 50, succeededAt });
    assert.deepEqual(scheduleRollout(input({ plan: p, groups: [g1('2026-03-02T11:50:01Z'), group(2), group(3), group(4)] })), []);
    assert.deepEqual(scheduleRollout(input({ plan: p, groups: [g1('2026-03-02T11:50:00Z'), group(2), group(3), group(4)] })), [{ kind: 'start-group', group: 2 }]);
  });

  it('pauses at a gate until a person approves it', () => {
    const p = plan({ gates: [1] });
    const done = { ...started, committed: 50, succeededAt: '2026-03-02T11:30:00Z' };
    assert.equal(scheduleRollout(input({ plan: p, groups: [group(1, done), group(2), group(3), group(4)] }))[0]?.kind, 'pause');
    assert.deepEqual(scheduleRollout(input({ plan: p, groups: [group(1, { ...done, approved: true }), group(2), group(3), group(4)] })), [{ kind: 'start-group', group: 2 }]);
  });

  it('starts nothing outside the rollout window', () => {
    const p = plan({ windows: [{ days: ['mon'], start: '02:00', end: '04:00', timeZone: 'UTC' }] });
    assert.deepEqual(scheduleRollout(input({ plan: p })), []);
    assert.deepEqual(scheduleRollout(input({ plan: p, now: new Date('2026-03-02T03:00:00Z') })), [{ kind: 'start-group', group: 1 }]);
  });

  it('finishes when the last group meets its threshold; several groups may pass in one step with zero soak', () => {
    const full = (n: number) => group(n, { ...started, committed: 50 });
    assert.deepEqual(scheduleRollout(input({ groups: [full(1), full(2), full(3), full(4)] })), [
      { kind: 'group-succeeded', group: 1 },
      { kind: 'group-succeeded', group: 2 },
      { kind: 'group-succeeded', group: 3 },
      { kind: 'group-succeeded', group: 4 },
      { kind: 'finish' },
    ]);
  });

  it('retries a failed instance after its back-off, doubling, and no more than the policy allows', () => {
    const p = plan({ retries: 2, backoffSeconds: 60 });
    const g = [group(1, started), group(2), group(3), group(4)];
    const at = (retriesUsed: number, failedAt: string) => scheduleRollout(input({ plan: p, groups: g, retryCandidates: [{ instanceId: 'i1', retriesUsed, failedAt, windows: [] }] }));
    assert.deepEqual(at(0, '2026-03-02T11:59:01Z'), []);
    assert.deepEqual(at(0, '2026-03-02T11:59:00Z'), [{ kind: 'retry', instanceId: 'i1', dueAt: '2026-03-02T12:00:00.000Z' }]);
    assert.deepEqual(at(1, '2026-03-02T11:58:01Z'), [], 'the second retry waits twice as long');
    assert.equal(at(1, '2026-03-02T11:58:00Z').length, 1);
    assert.deepEqual(at(2, '2026-03-02T00:00:00Z'), [], 'no retry left');
  });

  it("retries a failed instance only while its site's maintenance window is open (a retry is an install-now)", () => {
    const p = plan({ retries: 1, backoffSeconds: 60 });
    const g = [group(1, started), group(2), group(3), group(4)];
    const windows = [{ days: ['mon' as const], start: '22:00', end: '23:00', timeZone: 'UTC' }];
    const at = (now: string) => scheduleRollout(input({ plan: p, groups: g, now: new Date(now), retryCandidates: [{ instanceId: 'i1', retriesUsed: 0, failedAt: '2026-03-02T11:00:00Z', windows }] }));
    assert.deepEqual(at('2026-03-02T12:00:00Z'), [], 'due, but the site is outside its window (Monday 12:00)');
    assert.deepEqual(at('2026-03-02T21:59:59Z'), []);
    assert.deepEqual(at('2026-03-02T22:00:00Z'), [{ kind: 'retry', instanceId: 'i1', dueAt: '2026-03-02T11:01:00.000Z' }], 'the window opened');
    assert.deepEqual(at('2026-03-02T23:00:01Z'), [], 'closed again');
  });
});

describe('what a rollout tells an instance', () => {
  const channel = [
    { version: '1.0.0', digest: 'sha256:a', required: false },
    { version: '1.1.0', digest: 'sha256:b', required: false },
    { version: '2.0.0', digest: 'sha256:c', required: false },
  ];
  const base = { channel, current: '1.0.0', instancePin: null, sitePin: null };
  const release = channel[2]!;
  it('a started group gets the release, a waiting one keeps what it runs, a pin wins', () => {
    assert.equal(chooseRelease(base)?.version, '2.0.0', 'without a rollout: the channel');
    assert.equal(chooseRelease({ ...base, rollout: { release, started: true } })?.version, '2.0.0');
    assert.equal(chooseRelease({ ...base, rollout: { release, started: false } })?.version, '1.0.0', 'not through the channel ahead of its group');
    assert.equal(chooseRelease({ ...base, current: null, rollout: { release, started: false } })?.version, '1.1.0');
    assert.equal(chooseRelease({ ...base, sitePin: '1.1.0', rollout: { release, started: true } })?.version, '1.1.0');
  });
});
