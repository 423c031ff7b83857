// The agent's local commands (install, roll back, resume, status, snapshots) without the connected agent, enrollment or
// support bundles (the hub client and archive libraries they load): what a one-shot `skiff agent …` needs.
export { install, rollback, resume, type InstallOptions, type InstallResult, type AgentOptions } from './install.ts';
export { agentSnapshots, restoreSnapshot } from './snapshot-commands.ts';
export { DEFAULT_SNAPSHOTS, type SnapshotMeta, type SnapshotSettings } from './snapshots.ts';
export { agentStatus, type AgentStatus, type ServiceStatus } from './status.ts';
