"use client";

import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { focusableIn, initialFocusIn, lockPageScroll } from "./modal-focus";

/** The panels of the dialogs open now, the newest last: only the newest answers keys. */
const openPanels: HTMLElement[] = [];

/** Whether any modal dialog is open (the command palette does not open over one). */
export function aDialogIsOpen(): boolean {
  return openPanels.length > 0;
}

type Name = { title: ReactNode; label?: never } | { label: string; title?: never };

/**
 * Every modal dialog of the dashboard: a dimmed page, a panel named by its title (or `label` when
 * it has none), focus moved in on open (the element marked `data-autofocus`, else the first field,
 * else the first control), Tab and Shift-Tab kept inside, Escape calling `onClose` unless
 * `closable` is false (a submit in flight), and focus given back on close to what had it when the
 * dialog opened, or to `returnFocusTo`. The page behind does not scroll while it is open.
 */
export function ModalDialog({
  title,
  label,
  onClose,
  closable = true,
  closeOnBackdrop = false,
  returnFocusTo,
  placement = "center",
  className = "max-w-md p-6",
  children,
}: Name & {
  onClose: () => void;
  closable?: boolean;
  /** A click on the dimmed page closes it too (the command palette). */
  closeOnBackdrop?: boolean;
  /**
   * Where focus goes on close when the element that had it on open is gone or was never focused
   * (a dialog that opened itself after a save, one that replaced the command palette).
   */
  returnFocusTo?: () => HTMLElement | null | undefined;
  placement?: "center" | "top";
  /** The panel's width and padding. */
  className?: string;
  children: ReactNode;
}) {
  const titleId = useId();
  const panel = useRef<HTMLDivElement>(null);
  // Read while rendering, before this dialog's effects move focus in.
  const [opener] = useState(() => (typeof document === "undefined" ? null : (document.activeElement as HTMLElement | null)));
  const latest = useRef({ onClose, closable, returnFocusTo });
  useEffect(() => {
    latest.current = { onClose, closable, returnFocusTo };
  });

  useEffect(() => {
    const own = panel.current;
    if (!own) return;
    openPanels.push(own);
    const unlockScroll = lockPageScroll();
    initialFocusIn(own).focus();
    const newest = () => openPanels.at(-1) === own;
    const onKeyDown = (e: KeyboardEvent) => {
      if (!newest()) return;
      if (e.key === "Escape") {
        e.preventDefault();
        if (latest.current.closable) latest.current.onClose();
      } else if (e.key === "Tab") {
        keepTabInside(own, e);
      }
    };
    // A click on the dimmed page or a script can move focus out; the next focus lands back inside.
    const onFocusIn = (e: FocusEvent) => {
      if (newest() && e.target instanceof Node && !own.contains(e.target)) initialFocusIn(own).focus();
    };
    document.addEventListener("keydown", onKeyDown);
    document.addEventListener("focusin", onFocusIn);
    return () => {
      document.removeEventListener("keydown", onKeyDown);
      document.removeEventListener("focusin", onFocusIn);
      openPanels.splice(openPanels.indexOf(own), 1);
      unlockScroll();
      // The opener may be gone or disabled (a save in flight): then the fallback, if it takes focus.
      for (const el of [opener, latest.current.returnFocusTo?.()]) {
        if (!el?.isConnected || el === document.body) continue;
        el.focus();
        if (document.activeElement === el) break;
      }
    };
  }, [opener]);

  return (
    <div
      className={`fixed inset-0 z-50 flex justify-center bg-slate-900/40 p-4 ${placement === "top" ? "items-start pt-24" : "items-center"}`}
      onClick={closeOnBackdrop ? (e) => e.target === e.currentTarget && onClose() : undefined}
    >
      <div
        ref={panel}
        role="dialog"
        aria-modal="true"
        aria-labelledby={title === undefined ? undefined : titleId}
        aria-label={label}
        tabIndex={-1}
        className={`max-h-full w-full overflow-y-auto rounded-xl bg-white shadow-xl focus:outline-none ${className}`}
      >
        {title === undefined ? null : (
          <h2 id={titleId} className="text-lg font-semibold">
            {title}
          </h2>
        )}
        {children}
      </div>
    </div>
  );
}

/** Tab from the last control goes to the first, Shift-Tab from the first to the last. */
function keepTabInside(panel: HTMLElement, e: KeyboardEvent) {
  const controls = focusableIn(panel);
  if (controls.length === 0) {
    e.preventDefault();
    return;
  }
  const first = controls[0]!;
  const last = controls.at(-1)!;
  const active = document.activeElement;
  const outside = !(active instanceof Node) || !panel.contains(active) || active === panel;
  if (e.shiftKey && (outside || active === first)) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && (outside || active === last)) {
    e.preventDefault();
    first.focus();
  }
}
