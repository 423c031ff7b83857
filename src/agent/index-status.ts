// The agent's status report alone, without install, upgrade or the engine client (they load once there is an app to
// report): what `skiff agent status` needs before it reads the state directory.
export { agentStatus, type AgentStatus, type ServiceStatus } from './status.ts';
