import type { Gate } from "@/lib/domain/rollout";

/** Each gate as a green or red line with the sentence that explains it. */
export function GateList({ gates, title = "Gates for the next step" }: { gates: Gate[]; title?: string }) {
  const red = gates.filter((g) => !g.ok).length;
  return (
    <section aria-labelledby="gates-title" className="rounded-xl bg-white p-5 shadow-sm ring-1 ring-slate-200">
      <div className="flex items-center justify-between">
        <h2 id="gates-title" className="font-semibold">
          {title}
        </h2>
        <span className={`text-sm font-medium ${red ? "text-red-700" : "text-emerald-700"}`} data-testid="gate-summary">
          {red ? `${red} of ${gates.length} red` : `all ${gates.length} green`}
        </span>
      </div>
      <ul className="mt-3 space-y-2" data-testid="gates">
        {gates.map((g) => (
          <li key={g.name} className="flex items-start gap-3 text-sm" data-gate={g.name} data-ok={g.ok}>
            <span aria-hidden className={`mt-1 inline-block h-2.5 w-2.5 shrink-0 rounded-full ${g.ok ? "bg-emerald-500" : "bg-red-500"}`} />
            <span>
              <span className="sr-only">{g.ok ? "green: " : "red: "}</span>
              {g.reason.charAt(0).toUpperCase() + g.reason.slice(1)}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
