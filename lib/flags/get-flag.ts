import type { Db } from "../db/client";
import { notFound } from "../errors";
import { listEnvironmentKeys } from "./environments";
import { toFlagDto, type FlagDto } from "./flag-dto";
import { FLAG_KEY_PATTERN } from "./flag-schemas";

export async function getFlag(db: Db, key: string): Promise<FlagDto> {
  // A string that cannot be a key names no flag; it never reaches the database.
  if (!FLAG_KEY_PATTERN.test(key)) throw notFound("Flag");
  const [environments, flag] = await Promise.all([
    listEnvironmentKeys(db),
    db.flag.findUnique({ where: { key }, include: { states: true } }),
  ]);
  if (!flag || flag.archivedAt) throw notFound(`Flag '${key}'`);
  return toFlagDto(flag, environments);
}
