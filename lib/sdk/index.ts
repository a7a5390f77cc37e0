export {
  RollgateClient,
  RollgateRefusedError,
  reportedAs,
  type RollgateClientOptions,
  type EvaluationDetails,
  type EvaluationSubject,
} from "./client";
export type { ReportedEvent } from "./event-reporter";
export { bucketOf } from "../domain/bucketing";
