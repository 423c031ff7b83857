// The fleet's pure logic (no I/O): maintenance windows, desired state, rollout planning and scheduling.
export { WEEKDAYS, MaintenanceWindowSchema, parseWindows, parseWindowSpec, windowOpen, nextOpening, localTime, type MaintenanceWindow, type Weekday } from './windows.ts';
export { DesiredSignedSchema, signDesired, verifyDesired, type DesiredSigned, type DesiredEnvelope, type DesiredCheck } from './desired.ts';
export { chooseRelease, decideDesired, desiredOf, type ChannelRelease, type DesiredUnsigned, type SiteInputs } from './desired-state.ts';
export { checkNewValues, checkSiteValues, mergeValues, valuesDigest, type ValuesVerdict } from './values.ts';
export { outageOf, type Outage } from './outage.ts';
export { RolloutPlanSchema, GroupSpecSchema, orderKey, orderInstances, groupSizes, assignGroups, successCount, toleratedFailures, retryDelayMs, type RolloutPlan, type GroupSpec } from './rollout-plan.ts';
export { scheduleRollout, errorPause, ROLLOUT_STATES, type RolloutState, type GroupProgress, type RetryCandidate, type SchedulerInput, type RolloutAction } from './rollout-scheduler.ts';
export { underRollout, type RolloutView } from './rollout-desired.ts';
export { adoptionReport, adoptionCsv, type AdoptionInputs, type AdoptionReport } from './adoption.ts';
export { AirgapReportSchema, MAX_REPORT_BYTES, MAX_REPORT_LOG_BYTES, checkReport, claimedInstance, gapMessage, reportEnvelopeOf, signReport, type AirgapReport, type LastImport, type ReportDecision, type ReportEnvelope, type ReportGap, type ReportTarget } from './airgap-report.ts';
export { EnrollAnswerFileSchema, EnrollRequestFileSchema, parseEnrollFile, type EnrollAnswerFile, type EnrollRequestFile } from './enroll-files.ts';
export { TagsSchema, TAG_KEY, TAG_VALUE, MAX_TAGS, canonicalTags, checkTags, matchesTags, parseTag, type Tags } from './tags.ts';
