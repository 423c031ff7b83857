// The fleet's pure logic (no I/O): maintenance windows, desired state, and later rollout scheduling.
export { WEEKDAYS, MaintenanceWindowSchema, parseWindows, parseWindowSpec, windowOpen, nextOpening, localTime, type MaintenanceWindow, type Weekday } from './windows.ts';
export { DesiredSignedSchema, signDesired, verifyDesired, type DesiredSigned, type DesiredEnvelope, type DesiredCheck } from './desired.ts';
export { chooseRelease, decideDesired, desiredOf, type ChannelRelease, type DesiredUnsigned, type SiteInputs } from './desired-state.ts';
export { checkNewValues, checkSiteValues, mergeValues, valuesDigest, type ValuesVerdict } from './values.ts';
export { outageOf, type Outage } from './outage.ts';
export { AirgapReportSchema, MAX_REPORT_BYTES, MAX_REPORT_LOG_BYTES, checkReport, claimedInstance, reportEnvelopeOf, signReport, type AirgapReport, type LastImport, type ReportDecision, type ReportEnvelope, type ReportTarget } from './airgap-report.ts';
export { EnrollAnswerFileSchema, EnrollRequestFileSchema, parseEnrollFile, type EnrollAnswerFile, type EnrollRequestFile } from './enroll-files.ts';
