#!/usr/bin/env node
// The skiff command: loads the TypeScript CLI through tsx, so the repo runs without a build step.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli/main.ts');
