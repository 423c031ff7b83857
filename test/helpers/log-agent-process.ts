// A log agent alone in its own process (collection, spool, shipping), so tests can kill it with SIGKILL.
// Usage: node --import tsx log-agent-process.ts <stateDir> <app> <instanceId> <hubUrl> <credential>
import { startLogAgent } from '../../src/agent/connected/logs/index.ts';
import { DockerEngine } from '../../src/engine/index.ts';

const [stateDir, app, instanceId, hub, token] = process.argv.slice(2);
if (!stateDir || !app || !instanceId || !hub || !token) throw new Error('usage: log-agent-process.ts <stateDir> <app> <instanceId> <hubUrl> <credential>');
const engine = await DockerEngine.connect();
const agent = await startLogAgent({
  stateDir, app, instanceId, engine, conn: { hub, token },
  scanEveryMs: 500, ship: { baseDelayMs: 200, maxDelayMs: 1000, idleMs: 200 },
  log: (l) => process.stderr.write(`${l}\n`),
});
process.stdout.write('log agent started\n');
process.once('SIGTERM', () => void agent.stop().then(() => engine.close()).then(() => process.exit(0)));
