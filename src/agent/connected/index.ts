// The connected agent: enrollment, desired-state polling, downloads through the air-gap path, status reports.
export { runConnected, connect, cycle, type ConnectedOptions, type CycleMemo } from './run.ts';
export { parseEnrollToken, trustedChain } from './enroll.ts';
export { ConnectedDir, type Identity } from './identity.ts';
export { buildReport, type StatusReport } from './report.ts';
export { writeAirgapReport, type AirgapReportResult } from './airgap-report.ts';
export { completeOfflineEnrollment, requestOfflineEnrollment } from './offline-enroll.ts';
