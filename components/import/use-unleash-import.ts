"use client";

import { useState, type FormEvent } from "react";
import { MAX_UNLEASH_EXPORT_BYTES, readUnleashExport, unleashEnvironments } from "@/lib/domain/unleash-import";
import type { ImportResult } from "@/lib/flags/import-unleash";

export type Unmappable = "disable" | "skip";

export interface Failure {
  /** Shown under the file input: the file is the problem. */
  file?: string;
  /** Shown above the actions: anything else (session ended, database down…). */
  general?: string;
}

/** Where an Unleash environment goes unless the admin says otherwise: its namesake, "default" → production, else nowhere. */
function defaultTarget(env: string, environments: string[]): string | null {
  if (environments.includes(env)) return env;
  if (env === "default" && environments.includes("production")) return "production";
  return null;
}

/**
 * The import form's state: the file read into memory, the environment mapping and the choice for
 * flags that cannot be reproduced, and the API's answers. Any change to the choices drops the dry
 * run, so what is imported is always what was previewed.
 */
export function useUnleashImport(environments: string[]) {
  const [doc, setDoc] = useState<{ name: string; value: unknown } | null>(null);
  // Unleash environment → Rollgate environment, or null to leave it out.
  const [mapping, setMapping] = useState<Record<string, string | null>>({});
  const [unmappable, setUnmappable] = useState<Unmappable>("disable");
  const [plan, setPlan] = useState<ImportResult | null>(null);
  const [imported, setImported] = useState<ImportResult | null>(null);
  const [failure, setFailure] = useState<Failure>({});
  const [busy, setBusy] = useState<"preview" | "import" | null>(null);

  const reset = () => {
    setPlan(null);
    setImported(null);
    setFailure({});
  };

  async function readFile(file: File | undefined): Promise<void> {
    reset();
    setDoc(null);
    if (!file) return;
    // The API refuses it too; saying so here spares uploading 10 MB to hear it.
    if (file.size > MAX_UNLEASH_EXPORT_BYTES) {
      setFailure({ file: `The file is larger than ${MAX_UNLEASH_EXPORT_BYTES / 1_000_000} MB.` });
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(await file.text());
    } catch {
      setFailure({ file: "The file is not valid JSON. Export it from Unleash again (Export → JSON)." });
      return;
    }
    // The same reading the API does, here only to list the file's environments for the mapping (and to
    // say at once when it is not an export); the API checks it again.
    let found: string[];
    try {
      found = unleashEnvironments(readUnleashExport(value));
    } catch (err) {
      setFailure({ file: `The file was refused: ${(err as Error).message}.` });
      return;
    }
    setMapping(Object.fromEntries(found.map((env) => [env, defaultTarget(env, environments)])));
    setDoc({ name: file.name, value });
  }

  async function send(dryRun: boolean): Promise<ImportResult | null> {
    if (!doc) {
      setFailure({ file: failure.file ?? "Choose an Unleash export file." });
      return null;
    }
    setBusy(dryRun ? "preview" : "import");
    setFailure({});
    try {
      const res = await fetch("/api/v1/import/unleash", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ export: doc.value, environments: mapping, unmappable, dryRun }),
      });
      const body = (await res.json().catch(() => null)) as
        (ImportResult & { error?: undefined }) | { error?: { message?: string; fields?: Record<string, string> } } | null;
      if (res.ok && body && !body.error) return body as ImportResult;
      const error = body?.error;
      if (res.status === 400) {
        const fields = error?.fields ?? {};
        setFailure({ file: `The file was refused: ${fields.export ?? fields.body ?? error?.message ?? "not an Unleash export"}.` });
      } else if (res.status === 401) {
        setFailure({ general: "Your session has ended. Sign in again and retry." });
      } else if (res.status === 403) {
        setFailure({ general: error?.message ?? "Only admins can import." });
      } else {
        setFailure({ general: error?.message ?? `The import failed (HTTP ${res.status}). Try again.` });
      }
      return null;
    } catch {
      setFailure({ general: "Rollgate could not be reached. Check the connection and try again." });
      return null;
    } finally {
      setBusy(null);
    }
  }

  return {
    doc,
    mapping,
    unmappable,
    plan,
    imported,
    failure,
    busy,
    readFile,
    mapTo: (env: string, target: string | null) => {
      setMapping({ ...mapping, [env]: target });
      reset();
    },
    chooseUnmappable: (value: Unmappable) => {
      setUnmappable(value);
      reset();
    },
    preview: async (e: FormEvent) => {
      e.preventDefault();
      setImported(null);
      setPlan(await send(true));
    },
    runImport: async () => {
      const result = await send(false);
      if (result) {
        setImported(result);
        setPlan(null);
      }
    },
  };
}
