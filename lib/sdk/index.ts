export { RollgateClient, RollgateRefusedError, type RollgateClientOptions, type EvaluationDetails } from "./client";
export type { ReportedEvent } from "./event-reporter";
export { bucketOf } from "../domain/bucketing";
