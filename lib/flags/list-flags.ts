import type { Db } from "../db/client";
import { notFound } from "../errors";
import { listEnvironmentKeys } from "./environments";
import { toFlagDto, type FlagDto } from "./flag-dto";

export async function listFlags(db: Db): Promise<FlagDto[]> {
  const [environments, flags] = await Promise.all([
    listEnvironmentKeys(db),
    db.flag.findMany({ where: { archivedAt: null }, orderBy: { key: "asc" }, include: { states: true } }),
  ]);
  return flags.map((f) => toFlagDto(f, environments));
}

export async function getFlag(db: Db, key: string): Promise<FlagDto> {
  const [environments, flag] = await Promise.all([
    listEnvironmentKeys(db),
    db.flag.findUnique({ where: { key }, include: { states: true } }),
  ]);
  if (!flag || flag.archivedAt) throw notFound(`Flag '${key}'`);
  return toFlagDto(flag, environments);
}
