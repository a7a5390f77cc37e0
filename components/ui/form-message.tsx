import type { HTMLAttributes, ReactNode } from "react";

/**
 * A form's or a control's error, read out when it appears (`role="alert"`). A `span` where it sits
 * inside a label or a line of text; `className` adds spacing (or `block`); `id` lets a control name
 * it with `aria-describedby`.
 */
export function FormError({
  children,
  as: Tag = "p",
  className = "",
  ...rest
}: { children: ReactNode; as?: "p" | "span"; className?: string } & Pick<HTMLAttributes<HTMLElement>, "id"> & { "data-testid"?: string }) {
  return (
    <Tag {...rest} className={`${className} text-sm text-red-600`.trim()} role="alert">
      {children}
    </Tag>
  );
}

/** What a form did, read out when it appears (`role="status"`, polite: it does not interrupt). */
export function FormSuccess({ children, className = "" }: { children: ReactNode; className?: string }) {
  return (
    <p className={`${className} text-sm text-emerald-700`.trim()} role="status">
      {children}
    </p>
  );
}
