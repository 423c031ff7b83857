// The fleet's pure logic (no I/O): maintenance windows, desired state, and later rollout scheduling.
export { WEEKDAYS, MaintenanceWindowSchema, parseWindows, parseWindowSpec, windowOpen, nextOpening, localTime, type MaintenanceWindow, type Weekday } from './windows.ts';
export { DesiredSignedSchema, signDesired, verifyDesired, type DesiredSigned, type DesiredEnvelope, type DesiredCheck } from './desired.ts';
export { chooseRelease, desiredOf, type ChannelRelease, type SiteInputs } from './desired-state.ts';
export { outageOf, type Outage } from './outage.ts';
