/**
 * The constraint editor's operator names. Constraints in sentences are the domain's
 * (lib/domain/targeting/describe.ts), so the editor, the segments page, the approval form and the
 * audit log all word a constraint the same way.
 */
export { OPERATOR_LABELS } from "../domain/targeting/describe";
