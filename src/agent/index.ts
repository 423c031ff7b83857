// The agent: installs and upgrades an app on the local Docker Engine, health-gated, with rollback and resume.
export { install, reconfigure, rollback, resume, type InstallOptions, type InstallResult, type AgentOptions, type SiteValuesInput } from './install.ts';
export { agentSnapshots, restoreSnapshot } from './snapshot-commands.ts';
export { DEFAULT_SNAPSHOTS, listSnapshots, type SnapshotMeta, type SnapshotSettings } from './snapshots.ts';
export { agentStatus, type AgentStatus, type ServiceStatus } from './status.ts';
export { StateDir, PHASES, type Phase } from './state.ts';
export { containerName, volumeName, networkName, imageRepo } from './containers.ts';
export { runConnected, parseEnrollToken, trustedChain, writeAirgapReport, requestOfflineEnrollment, completeOfflineEnrollment, type ConnectedOptions, type StatusReport } from './connected/index.ts';
export { createSupportBundle, redactExistingBundle, uploadOwnSupportBundle, answerSupportRequest } from './support/support-bundle.ts';
export type { SupportSpec } from './support/bundle-file.ts';
