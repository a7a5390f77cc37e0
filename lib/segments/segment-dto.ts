import type { Constraint } from "../domain/targeting/model";

/** A flag state that refers to a segment, and the live rollout on it if there is one. */
export interface SegmentUseDto {
  flagKey: string;
  environment: string;
  /** The flag is archived: it still refers to the segment, but serves nobody. */
  archived: boolean;
  /** An active or paused rollout of that flag in that environment. */
  rollout: { id: string; status: string } | null;
}

/** The shape of API.md's "Segment". */
export interface SegmentDto {
  id: number;
  name: string;
  description: string;
  constraints: Constraint[];
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface SegmentSummaryDto extends SegmentDto {
  /** How many flag states (flag × environment) refer to it. */
  usedBy: number;
  /** How many of them are under a live rollout. */
  liveRollouts: number;
  /** Live rollouts (drafts included) whose phases still to come serve it: their approvers signed it, so it cannot be deleted. */
  plannedBy: number;
}

export interface SegmentDetailDto extends SegmentDto {
  usage: SegmentUseDto[];
}

export interface SegmentRow {
  id: number;
  name: string;
  description: string;
  constraints: unknown;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export function toSegmentDto(row: SegmentRow): SegmentDto {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    constraints: row.constraints as Constraint[],
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
