import type { Db } from "../db/client";
import { notFound } from "../errors";
import { toSegmentDto, type SegmentDetailDto } from "./segment-dto";
import { segmentIdParam } from "./segment-schemas";
import { segmentUsage } from "./segment-usage";

/** One segment with the flag states that use it; 404 for an id that names none. */
export async function getSegment(db: Db, rawId: string): Promise<SegmentDetailDto> {
  const id = segmentIdParam(rawId);
  if (id === null) throw notFound("Segment");
  const [row, usage] = await Promise.all([db.segment.findUnique({ where: { id } }), segmentUsage(db, id)]);
  if (!row) throw notFound(`Segment ${id}`);
  return { ...toSegmentDto(row), usage };
}
