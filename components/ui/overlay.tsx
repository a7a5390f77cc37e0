import type { HTMLAttributes } from "react";

/** The dimmed layer over the whole page that a modal dialog sits on, centred. */
export function Overlay(props: Omit<HTMLAttributes<HTMLDivElement>, "className">) {
  return <div {...props} className="fixed inset-0 z-50 flex items-center justify-center bg-slate-900/40 p-4" />;
}
