// The one client of the hub's API, shared by the CLI and the agent: REST calls, release push, bundle download.
export { connectionFrom, type HubConnection } from './connection.ts';
export { hubError, unreachable, isCertificateError } from './errors.ts';
export { hubRoute, proxyFor, noProxyMatches, type HubRoute } from './dispatcher.ts';
export { send, backoffDelay, DEFAULT_RETRY, type RetryPolicy, type Method } from './http.ts';
export { HubClient } from './client.ts';
export { pushRelease, type PushOptions, type PushResult } from './push.ts';
export { fetchBundle, bundleUrl, type FetchOptions, type FetchResult } from './fetch-bundle.ts';
export { RolloutsClient, type RolloutView, type RolloutGroupView, type RolloutCreateBody } from './rollouts.ts';
export { answerEnrollRequest, importReport, type ImportReportAnswer } from './airgap.ts';
export { SUPPORT_BUNDLE_TYPE, uploadSupportBundle, type SupportBundleUpload } from './support-bundle.ts';
