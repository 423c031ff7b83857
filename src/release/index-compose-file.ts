// Reading a release's Compose file alone, without release creation (Compose, yaml, semver, the store, the engine):
// `skiff release create` reads its input before it loads them.
export { readComposeFile } from './compose-file.ts';
