import type { ButtonHTMLAttributes, Ref } from "react";
import { controlOutline } from "./field";

const VARIANTS = {
  primary: "bg-indigo-600 text-white hover:bg-indigo-700 focus-visible:outline-indigo-600 disabled:bg-indigo-300",
  secondary: `bg-white text-slate-800 ${controlOutline} hover:bg-slate-50 disabled:text-slate-400`,
  danger: "bg-red-600 text-white hover:bg-red-700 focus-visible:outline-red-600 disabled:bg-red-300",
} as const;

/** A button's classes, for a link that looks and acts like one (a fragment link, a page link). */
export function buttonClass(variant: keyof typeof VARIANTS = "primary", className = ""): string {
  return `inline-flex items-center justify-center gap-2 rounded-md px-3 py-2 text-sm font-semibold shadow-sm focus-visible:outline-2 focus-visible:outline-offset-2 disabled:cursor-not-allowed ${VARIANTS[variant]} ${className}`;
}

export function Button({
  variant = "primary",
  className = "",
  ...props
}: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: keyof typeof VARIANTS; ref?: Ref<HTMLButtonElement> }) {
  return <button {...props} className={buttonClass(variant, className)} />;
}
