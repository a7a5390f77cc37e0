import { Field, TextArea } from "../ui/field";

export interface ImpactValues {
  riskLevel?: string;
  benefits?: string;
  risks?: string;
  links?: string[];
}

/** A refused `impact.links.3` is said under Links, like `impact.links`. */
function errorFor(fields: Record<string, string>, name: string): string | undefined {
  return fields[`impact.${name}`] ?? Object.entries(fields).find(([k]) => k.startsWith(`impact.${name}.`))?.[1];
}

/**
 * The impact assessment a product owner reviews (risk, benefits, risks, links), for a new plan and
 * for an edit of one, each field with its own refusal: a link that is not http(s), more than ten
 * links, or text over 2,000 characters is said where it was typed.
 */
export function ImpactFields({ legend, initial = {}, fields }: { legend: string; initial?: ImpactValues; fields: Record<string, string> }) {
  const benefits = errorFor(fields, "benefits");
  const risks = errorFor(fields, "risks");
  const links = errorFor(fields, "links");
  return (
    <fieldset className="space-y-3">
      <legend className="text-sm font-medium text-slate-700">{legend}</legend>
      <div className="flex gap-4 text-sm">
        {["low", "medium", "high"].map((r) => (
          <label key={r} className="flex items-center gap-1.5 capitalize">
            <input type="radio" name="riskLevel" value={r} defaultChecked={(initial.riskLevel ?? "medium") === r} /> {r}
          </label>
        ))}
      </div>
      <Field label="Benefits" error={benefits}>
        <TextArea compact name="benefits" rows={2} maxLength={2000} defaultValue={initial.benefits ?? ""} invalid={!!benefits} />
      </Field>
      <Field label="Risks and how they are mitigated" error={risks}>
        <TextArea compact name="risks" rows={2} maxLength={2000} defaultValue={initial.risks ?? ""} invalid={!!risks} />
      </Field>
      <Field label="Links (design doc, PR, dashboards; one per line)" error={links}>
        <TextArea compact name="links" rows={2} defaultValue={(initial.links ?? []).join("\n")} invalid={!!links} className="font-mono" />
      </Field>
    </fieldset>
  );
}
