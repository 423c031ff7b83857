// The hub's REST client alone, without release push, bundle fetch or the air-gap answers (the release, store and
// Compose modules they load): what most hub commands need before their first request.
export { connectionFrom, type HubConnection } from './connection.ts';
export { HubClient } from './client.ts';
export { RolloutsClient, type RolloutView, type RolloutGroupView, type RolloutCreateBody } from './rollouts.ts';
export { SUPPORT_BUNDLE_TYPE, uploadSupportBundle, type SupportBundleUpload } from './support-bundle.ts';
