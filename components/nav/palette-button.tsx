"use client";

/**
 * The command palette for those without a keyboard (a phone at 3 a.m.): the same palette Ctrl/⌘-K
 * opens. It first asks through `rollgate:open-palette` (a palette that handles it calls
 * preventDefault); a palette that only knows the shortcut gets the shortcut.
 */
export const OPEN_PALETTE_EVENT = "rollgate:open-palette";

export function PaletteButton({ canKill }: { canKill: boolean }) {
  return (
    <button
      type="button"
      onClick={() => {
        const handled = !window.dispatchEvent(new CustomEvent(OPEN_PALETTE_EVENT, { cancelable: true }));
        if (!handled) window.dispatchEvent(new KeyboardEvent("keydown", { key: "k", ctrlKey: true, bubbles: true, cancelable: true }));
      }}
      className={`inline-flex shrink-0 items-center gap-1.5 rounded-md px-2.5 py-1.5 text-sm font-medium ring-1 ${
        canKill ? "text-red-700 ring-red-300 hover:bg-red-50" : "text-slate-700 ring-slate-300 hover:bg-slate-50"
      }`}
      aria-keyshortcuts="Control+K Meta+K"
      data-testid="palette-button"
    >
      <svg aria-hidden="true" viewBox="0 0 20 20" className="h-4 w-4" fill="none" stroke="currentColor" strokeWidth="2">
        <circle cx="8.5" cy="8.5" r="5.5" />
        <path d="m13 13 4 4" strokeLinecap="round" />
      </svg>
      {canKill ? "Kill switch…" : "Search…"}
      <kbd className="hidden rounded bg-slate-100 px-1 font-sans text-xs text-slate-700 md:inline">⌘K</kbd>
    </button>
  );
}
