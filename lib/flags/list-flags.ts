import type { Db } from "../db/client";
import { listEnvironmentKeys } from "./environments";
import { toFlagDto, type FlagDto } from "./flag-dto";

export async function listFlags(db: Db): Promise<FlagDto[]> {
  const [environments, flags] = await Promise.all([
    listEnvironmentKeys(db),
    db.flag.findMany({ where: { archivedAt: null }, orderBy: { key: "asc" }, include: { states: true } }),
  ]);
  return flags.map((f) => toFlagDto(f, environments));
}
