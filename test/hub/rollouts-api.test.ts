// /api/v1/rollouts and `skiff rollout`: bad input is a 4xx naming the field and changes nothing; vendor roles only;
// pause/resume/cancel move only from the states they name; every change is audited; the routes are in the OpenAPI
// document; the scheduler's lease admits one holder and a holder whose lease lapsed changes nothing.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { rolloutCommand } from '../../src/cli/rollout.ts';
import { stepRollout } from '../../src/hub/rollouts.ts';
import { rolloutLoopFromEnv } from '../../src/hub/server.ts';
import { putPlaceholderRelease } from '../helpers/checkin.ts';
import { bytes, makeRoot, runCommand, startHub, userToken, type Hub } from './hub-fixture.ts';

describe('rollout routes and CLI', () => {
  let hub: Hub;
  let url: string;
  let trustDir: string;
  const instances: string[] = [];
  const create = (body: Record<string, unknown>, token = hub.admin.token) => hub.call('POST', '/api/v1/rollouts', token, { app: 'roll', version: '2.0.0', groups: [{ count: 2 }, { percent: 100 }], ...body });

  before(async () => {
    hub = await startHub();
    const { dir, root } = await makeRoot();
    trustDir = dir;
    await hub.db.mutate(async (tx) => {
      await tx.createApp('roll', { version: 1, bytes: bytes(root) });
      for (const v of ['1.0.0', '2.0.0']) {
        await putPlaceholderRelease(tx, 'roll', v);
        await tx.promote('roll', 'stable', v, false);
      }
      const c = await tx.createCustomer({ name: 'acme', airgapped: false, entitlements: [{ app: 'roll', channel: 'stable', expiresAt: null }] });
      for (let i = 0; i < 10; i++) instances.push((await tx.createInstance({ customerId: c.id, app: 'roll', name: `site-${i}` })).id);
    }, { actor: 'test', action: 'test.seed', target: 'app:roll', address: 'local' });
    url = await hub.app.listen({ host: '127.0.0.1', port: 0 });
  });

  after(async () => {
    await hub?.close();
    await rm(trustDir, { recursive: true, force: true });
  });

  it('refuses bad input with a 4xx naming what is wrong, and writes nothing', async () => {
    const cases: [Record<string, unknown>, number, RegExp][] = [
      [{ groups: [] }, 400, /groups/],
      [{ successThreshold: 2 }, 400, /successThreshold/],
      [{ colour: 'blue' }, 400, /colour|unrecognized/i],
      [{ customers: ['nobody'] }, 400, /customer "nobody" not found/],
      [{ canary: ['not-an-instance'] }, 400, /canary instance not-an-instance/],
      [{ channel: 'beta' }, 400, /no instance of roll follows/],
      [{ version: '9.9.9' }, 404, /release roll@9\.9\.9 not found/],
    ];
    for (const [body, status, message] of cases) {
      const r = await create(body);
      assert.equal(r.status, status, JSON.stringify(r.json));
      assert.match((r.json.error as { message: string }).message, message);
    }
    assert.deepEqual((await hub.call('GET', '/api/v1/rollouts', hub.admin.token)).json.rollouts, []);
    assert.equal((await hub.call('GET', '/api/v1/rollouts/not-a-uuid', hub.admin.token)).status, 400);
  });

  it('is for vendor roles: a viewer reads but may not create', async () => {
    const viewer = await userToken(hub, 'vera', 'viewer');
    assert.equal((await create({}, viewer)).status, 403);
    assert.equal((await hub.call('GET', '/api/v1/rollouts', viewer)).status, 200);
    assert.equal((await hub.call('GET', '/api/v1/rollouts')).status, 401);
  });

  it('creates, pauses, resumes and cancels, each once and audited; one active rollout per app', async () => {
    const hook = await hub.call('POST', '/api/v1/webhooks', hub.admin.token, { url: 'http://127.0.0.1:9/hook', events: ['rollout.started', 'rollout.paused', 'rollout.finished'] });
    assert.equal(hook.status, 201, JSON.stringify(hook.json));
    const made = await create({ canary: [instances[3]] });
    assert.equal(made.status, 201, JSON.stringify(made.json));
    const id = String(made.json.id);
    assert.deepEqual((made.json.groups as { size: number }[]).map((g) => g.size), [1, 2, 7], 'the canary first, then 2, then the rest');
    assert.equal((await create({})).status, 409);
    assert.equal((await hub.call('POST', `/api/v1/rollouts/${id}/resume`, hub.admin.token, {})).status, 409, 'a running rollout cannot be resumed');
    const paused = await hub.call('POST', `/api/v1/rollouts/${id}/pause`, hub.admin.token, { reason: 'waiting for the canary' });
    assert.equal(paused.json.state, 'paused');
    assert.equal(paused.json.reason, 'waiting for the canary');
    assert.equal((await hub.call('POST', `/api/v1/rollouts/${id}/pause`, hub.admin.token, {})).status, 409);
    assert.equal((await hub.call('POST', `/api/v1/rollouts/${id}/resume`, hub.admin.token, {})).json.state, 'running');
    assert.equal((await hub.call('POST', `/api/v1/rollouts/${id}/cancel`, hub.admin.token, {})).json.state, 'cancelled');
    assert.equal((await hub.call('POST', `/api/v1/rollouts/${id}/retry`, hub.admin.token, {})).status, 409);
    const deliveries = (await hub.call('GET', `/api/v1/webhooks/${String(hook.json.id)}/deliveries`, hub.admin.token)).json.deliveries as { event: string }[];
    assert.deepEqual(deliveries.map((d) => d.event).sort(), ['rollout.paused', 'rollout.started'], 'the webhook is told of the start and the pause');
    const audit = (await hub.db.listAudit({ limit: 1000 })).filter((e) => e.target === `rollout:${id}`).map((e) => e.action);
    assert.deepEqual(audit, ['rollout.create', 'rollout.pause', 'rollout.resume', 'rollout.cancel']);
    const openapi = await hub.call('GET', '/api/openapi.json');
    const paths = Object.keys(openapi.json.paths as Record<string, unknown>);
    for (const p of ['/api/v1/rollouts', '/api/v1/rollouts/{id}', '/api/v1/rollouts/{id}/pause', '/api/v1/rollouts/{id}/retry']) assert.ok(paths.includes(p), p);
  });

  it('one lease holder at a time; a holder whose lease lapsed changes nothing', async () => {
    const made = await create({});
    const r = (await hub.db.rollouts.get(String(made.json.id)))!;
    const t = Date.now();
    assert.equal(await hub.db.rollouts.acquireLease('replica-a', t, 1000), true);
    assert.equal(await hub.db.rollouts.acquireLease('replica-b', t + 500, 1000), false, 'held by a');
    assert.equal(await hub.db.rollouts.acquireLease('replica-a', t + 900, 1000), true, 'a renews');
    assert.equal(await hub.db.rollouts.acquireLease('replica-b', Date.now() + 5000, 1000), true, 'b takes it once it lapsed');
    await assert.rejects(stepRollout(hub.db, r, 'replica-a', new Date()), /lease lapsed/);
    assert.equal((await hub.db.rollouts.progress(r.id, 0))[0]?.startedAt, null, 'a started nothing');
    await hub.db.rollouts.acquireLease('replica-a', Date.now() + 20_000, 1000);
    const step = await stepRollout(hub.db, r, 'replica-a', new Date());
    assert.deepEqual(step.applied, [{ kind: 'start-group', group: 1 }]);
    await hub.call('POST', `/api/v1/rollouts/${r.id}/cancel`, hub.admin.token, {});
  });

  it("hub serve's scheduler settings from the environment: a bad one is refused by name before listening", () => {
    assert.deepEqual(rolloutLoopFromEnv({ SKIFF_ROLLOUT_TICK_MS: '100', SKIFF_ROLLOUT_LEASE_MS: '1500' }), { tickMs: 100, leaseMs: 1500 });
    assert.deepEqual(rolloutLoopFromEnv({}), {});
    assert.throws(() => rolloutLoopFromEnv({ SKIFF_ROLLOUT_TICK_MS: '2s' }), /SKIFF_ROLLOUT_TICK_MS="2s" is not a number of milliseconds/);
  });

  it('skiff rollout: list and status (--json, --watch ends with the rollout), bad flags exit 2', async () => {
    const hubArgs = ['--hub', url, '--token', hub.admin.token];
    const list = await runCommand(rolloutCommand, ['list', '--app', 'roll', '--json', ...hubArgs]);
    assert.equal(list.code, 0);
    const [newest] = JSON.parse(list.out) as { id: string; state: string }[];
    assert.equal(newest?.state, 'cancelled');
    const watch = await runCommand(rolloutCommand, ['status', newest.id, '--watch', ...hubArgs]);
    assert.equal(watch.code, 0);
    assert.match(watch.out, /roll@2\.0\.0 {2}cancelled/);
    assert.match(watch.out, /group {2}1 \[#*\.*\] \d+\/2 committed, 0 failed/);
    const bad = await runCommand(rolloutCommand, ['create', 'roll@2.0.0', '--groups', '50%,x', ...hubArgs]);
    assert.equal(bad.code, 2);
    const refused = await runCommand(rolloutCommand, ['create', 'roll@2.0.0', '--groups', '5', '--success', '2', ...hubArgs]);
    assert.equal(refused.code, 2);
  });
});
