const CONTROLS = [
  "a[href]",
  "button:not([disabled])",
  "input:not([disabled]):not([type=hidden])",
  "select:not([disabled])",
  "textarea:not([disabled])",
  "[tabindex]:not([tabindex='-1'])",
].join(",");

const FIELDS = "input:not([disabled]):not([type=hidden]), select:not([disabled]), textarea:not([disabled])";

/** Only what is laid out can take focus: `hidden` and `display: none` parts have no boxes. */
const shown = (el: HTMLElement) => el.getClientRects().length > 0;

/** The controls Tab reaches inside `root`, in document order. */
export function focusableIn(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(CONTROLS)].filter(shown);
}

/** Where focus goes when a dialog opens: its `data-autofocus` element, a field, a control, or itself. */
export function initialFocusIn(root: HTMLElement): HTMLElement {
  const marked = root.querySelector<HTMLElement>("[data-autofocus]");
  if (marked && shown(marked)) return marked;
  const field = [...root.querySelectorAll<HTMLElement>(FIELDS)].find(shown);
  return field ?? focusableIn(root)[0] ?? root;
}

let locks = 0;
let overflowBefore = "";

/** Stops the page behind a dialog from scrolling; the returned function undoes it (the last one does). */
export function lockPageScroll(): () => void {
  const root = document.documentElement;
  if (locks++ === 0) {
    overflowBefore = root.style.overflow;
    root.style.overflow = "hidden";
  }
  let undone = false;
  return () => {
    if (undone) return;
    undone = true;
    if (--locks === 0) root.style.overflow = overflowBefore;
  };
}
