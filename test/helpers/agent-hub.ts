// The set-up of tests that run an agent against a real hub: a vendor (real engine images), an in-process hub listening
// on a loopback socket, its app (root, and for connected agents the timestamp key), releases pushed through the API,
// customers, and enrolling a connected agent with a one-use token; close() removes all of it.
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { runConnected } from '../../src/agent/index.ts';
import { HubClient, pushRelease } from '../../src/hub-client/index.ts';
import type { StoredRelease } from '../../src/release/index.ts';
import { loadTrustDir } from '../../src/trust/index.ts';
import { startHub, type Hub } from '../hub/hub-fixture.ts';
import { FAST, cleanupApp, removeDir, tempDir } from './agent.ts';
import { makeVendor, type Vendor, type VersionOptions } from './vendor.ts';

export interface AgentHub {
  readonly vendor: Vendor;
  readonly hub: Hub;
  /** http://127.0.0.1:<port> of the hub. */
  readonly url: string;
  /** The hub's API as its first admin. */
  readonly admin: HubClient;
  /** A temp dir for the test's files; `state` (the agent's state dir) is in it. */
  readonly work: string;
  readonly state: string;
  /** Builds the version's images and release, and pushes it to the hub. */
  release(version: string, opts?: VersionOptions): Promise<StoredRelease>;
  /** A customer entitled to the app's `stable` channel. */
  customer(name: string, opts?: { airgapped?: boolean }): Promise<void>;
  /** Enrolls the connected agent (state dir `state`) for the customer with a one-use token, one pass; its instance id. */
  enrollConnected(customer: string, log: (line: string) => void): Promise<string>;
  close(): Promise<void>;
}

/** `prefix` names the vendor's images and app, `workPrefix` the temp dir; `connected` uploads the timestamp key (desired state). */
export async function startAgentHub(opts: { prefix: string; workPrefix: string; connected: boolean }): Promise<AgentHub> {
  const vendor = await makeVendor(opts.prefix);
  const work = await tempDir(opts.workPrefix);
  const state = path.join(work, 'state');
  const hub = await startHub();
  await hub.app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(hub.app.server.address() as AddressInfo).port}`;
  const admin = new HubClient({ hub: url, token: hub.admin.token });
  await admin.post('/apps', { name: vendor.app, root: await readFile(vendor.rootJson, 'utf8') });
  if (opts.connected) await admin.request('PUT', `/apps/${vendor.app}/keys/timestamp`, { key: await (await loadTrustDir(vendor.trustDir)).timestampKeyPem() });
  return {
    vendor,
    hub,
    url,
    admin,
    work,
    state,
    async release(version, vopts) {
      const made = await vendor.createVersion(version, vopts);
      await pushRelease({ conn: { hub: url, token: hub.admin.token }, store: vendor.store, app: vendor.app, version });
      return made;
    },
    async customer(name, copts = {}) {
      await admin.post('/customers', { name, ...(copts.airgapped ? { airgapped: true } : {}), entitlements: [{ app: vendor.app, channel: 'stable' }] });
    },
    async enrollConnected(customer, log) {
      const { token } = await admin.post<{ token: string }>(`/customers/${customer}/enroll-tokens`, { app: vendor.app, uses: 1 });
      await runConnected({ stateDir: state, hub: url, enrollToken: token, once: true, log, ...FAST });
      return (JSON.parse(await readFile(path.join(state, 'connected', 'identity.json'), 'utf8')) as { instanceId: string }).instanceId;
    },
    async close() {
      await cleanupApp(vendor.engine, vendor.app);
      await hub.close();
      await vendor.cleanup();
      await removeDir(work);
    },
  };
}
