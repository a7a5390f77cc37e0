import type { Dependency, PayloadType, VariantDefinition } from "@/lib/domain/targeting/model";

/**
 * The flag's variants and dependencies as the editor holds them: strings while someone types, what
 * this editor does not show (a variant's weight type, stickiness and overrides) kept as it was.
 */
export interface VariantDraft {
  id: number;
  name: string;
  weight: string;
  payloadType: PayloadType | "";
  payloadValue: string;
  rest: Omit<VariantDefinition, "name" | "weight" | "payload">;
}

export interface DependencyDraft {
  id: number;
  feature: string;
  /** The parent must be on (false: off). */
  enabled: boolean;
  /** The parent's variants, comma-separated; empty for any. */
  variants: string;
}

let nextId = 1;

export const emptyVariant = (): VariantDraft => ({ id: nextId++, name: "", weight: "500", payloadType: "", payloadValue: "", rest: {} });
export const emptyDependency = (): DependencyDraft => ({ id: nextId++, feature: "", enabled: true, variants: "" });

export function toVariantDraft({ name, weight, payload, ...rest }: VariantDefinition): VariantDraft {
  return { id: nextId++, name, weight: String(weight), payloadType: payload?.type ?? "", payloadValue: payload?.value ?? "", rest };
}

export function toDependencyDraft(d: Dependency): DependencyDraft {
  return { id: nextId++, feature: d.feature, enabled: d.enabled !== false, variants: (d.variants ?? []).join(", ") };
}

export function toVariantInput(d: VariantDraft): Record<string, unknown> {
  return {
    ...d.rest,
    name: d.name.trim(),
    weight: /^\s*\d+\s*$/.test(d.weight) ? Number(d.weight) : d.weight,
    ...(d.payloadType ? { payload: { type: d.payloadType, value: d.payloadValue } } : {}),
  };
}

export function toDependencyInput(d: DependencyDraft): Record<string, unknown> {
  const variants = d.variants
    .split(",")
    .map((v) => v.trim())
    .filter(Boolean);
  return { feature: d.feature.trim(), ...(d.enabled ? {} : { enabled: false }), ...(variants.length ? { variants } : {}) };
}
