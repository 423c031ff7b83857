// The registry blob store against the shared contract, on Debian's CNCF distribution registry.
import { blobStoreContract } from './blob-store-contract.ts';
import { RegistryBlobStore } from '../../src/store/index.ts';
import { startRegistry } from '../helpers/registry.ts';

blobStoreContract('OCI registry (docker-registry)', async () => {
  const registry = await startRegistry();
  return { store: new RegistryBlobStore({ url: registry.url }), cleanup: () => registry.stop() };
});
