import type { ReactNode } from "react";
import { buttonClass } from "./button";

/**
 * A form folded away on a phone so the page's list comes first, unfolded by `PhoneFoldLink`: a plain
 * fragment link (not the router's), so the section becomes the document's :target and shows without
 * script or a hydration race. On a desktop the section is always shown and the link is not.
 */
export function PhoneFoldedSection({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section
      id={id}
      aria-labelledby={`${id}-title`}
      className="scroll-mt-4 rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200 max-sm:[&:not(:target)]:hidden"
    >
      <h2 id={`${id}-title`} className="mb-3 text-sm font-semibold text-slate-700">
        {title}
      </h2>
      {children}
    </section>
  );
}

/** The phone's button that unfolds the `PhoneFoldedSection` with this id. */
export function PhoneFoldLink({ target, children }: { target: string; children: ReactNode }) {
  return (
    <a href={`#${target}`} className={buttonClass("primary", "sm:hidden")}>
      {children}
    </a>
  );
}
