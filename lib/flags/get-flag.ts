import type { Db } from "../db/client";
import { notFound } from "../errors";
import { listEnvironmentKeys } from "./environments";
import { toFlagDto, type FlagDto } from "./flag-dto";

export async function getFlag(db: Db, key: string): Promise<FlagDto> {
  const [environments, flag] = await Promise.all([
    listEnvironmentKeys(db),
    db.flag.findUnique({ where: { key }, include: { states: true } }),
  ]);
  if (!flag || flag.archivedAt) throw notFound(`Flag '${key}'`);
  return toFlagDto(flag, environments);
}
