// Reading a bundle into the staging store, as an install does, without the writer or age's encrypter (age loads on the
// first encrypted blob): what `skiff agent install` needs of bundles.
export * from './index-verify.ts';
export { StagingSink } from './sinks.ts';
export { readIdentityFile } from './decryption.ts';
