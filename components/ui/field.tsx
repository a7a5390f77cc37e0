import { FormError } from "./form-message";
import type { InputHTMLAttributes, ReactNode, SelectHTMLAttributes, TextareaHTMLAttributes } from "react";

/**
 * The grey inset outline of every form control. Secondary buttons and the other outlined controls
 * share it, so they line up with the inputs next to them.
 */
export const controlOutline = "ring-1 ring-inset ring-slate-300";

interface ControlProps {
  /** Red outline, and `aria-invalid` for assistive technology. */
  invalid?: boolean;
  /** Tighter padding, for tables and dense forms. */
  compact?: boolean;
}

/**
 * A control's classes. A width or padding in `className` replaces the default instead of being added
 * next to it: Tailwind orders its utilities by value, not by their order in the attribute, so
 * `w-full w-20` is `w-full` whichever comes first.
 */
function controlClass({ invalid, compact, className = "" }: ControlProps & { className?: string }): string {
  const width = /(^|\s)w-/.test(className) ? "" : "w-full";
  const padding = /(^|\s)p[xylr]?-/.test(className) ? "" : compact ? "px-2 py-1.5" : "px-3 py-2";
  const outline = invalid ? "ring-1 ring-inset ring-red-400" : controlOutline;
  return `block ${width} ${padding} rounded-md border-0 text-sm text-slate-900 shadow-sm ${outline} placeholder:text-slate-400 focus:ring-2 focus:ring-inset focus:ring-indigo-600 ${className}`;
}

export function Field({ label, error, hint, children }: { label: string; error?: string; hint?: ReactNode; children: ReactNode }) {
  return (
    <label className="block text-sm">
      <span className="font-medium text-slate-700">{label}</span>
      <div className="mt-1">{children}</div>
      {error ? <FormError className="mt-1">{error}</FormError> : hint ? <p className="mt-1 text-xs text-slate-500">{hint}</p> : null}
    </label>
  );
}

export function TextInput({ invalid, compact, className, ...props }: InputHTMLAttributes<HTMLInputElement> & ControlProps) {
  return <input aria-invalid={invalid || undefined} {...props} className={controlClass({ invalid, compact, className })} />;
}

export function TextArea({ invalid, compact, className, ...props }: TextareaHTMLAttributes<HTMLTextAreaElement> & ControlProps) {
  return <textarea aria-invalid={invalid || undefined} {...props} className={controlClass({ invalid, compact, className })} />;
}

export function Select({ invalid, compact, className, ...props }: SelectHTMLAttributes<HTMLSelectElement> & ControlProps) {
  return <select aria-invalid={invalid || undefined} {...props} className={controlClass({ invalid, compact, className })} />;
}

/** A checkbox with its label beside it (the label is the click target too). */
export function Checkbox({ label, className = "", ...props }: Omit<InputHTMLAttributes<HTMLInputElement>, "type"> & { label: ReactNode }) {
  return (
    <label className={`inline-flex items-center gap-2 text-sm text-slate-700 ${className}`}>
      <input type="checkbox" {...props} className="h-4 w-4 rounded border-slate-300 text-indigo-600 focus:ring-indigo-600" />
      {label}
    </label>
  );
}
