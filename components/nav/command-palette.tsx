"use client";

import { useActionState, useEffect, useId, useMemo, useRef, useState } from "react";
import { useRouter } from "next/navigation";
import { killFlagAction, restoreFlagAction, type IncidentFormState } from "@/app/(dashboard)/incidents/actions";
import { KillReasonDialog } from "../incidents/kill-reason-dialog";
import { aDialogIsOpen, ModalDialog } from "../ui/modal-dialog";

interface FlagRow {
  key: string;
  environments: Record<string, { killed: boolean; enabled: boolean; rolloutPercent: number }>;
}

/** Words of "kill <flag> in <environment>" that are not the flag. */
const GRAMMAR_WORDS = new Set(["kill", "restore", "open", "in"]);
const FLAGS_PER_SEARCH = 20;
const SEARCH_PAUSE_MS = 80;

interface Command {
  id: string;
  label: string;
  hint: string;
  /** Lower first: production's kill switch is what on-call reaches for at 3 a.m. */
  rank: number;
  run: () => void;
}

/**
 * Ctrl/⌘-K from any page: type "kill messaging-v2 in production" (or part of it) and press Enter.
 * Kill and restore still ask for a reason; "open …" goes to the flag.
 */
export function CommandPalette({ canKill }: { canKill: boolean }) {
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const [query, setQuery] = useState("");
  const [selected, setSelected] = useState(0);
  const [confirm, setConfirm] = useState<{ flagKey: string; environment: string; restore: boolean } | null>(null);
  // What had focus before the palette: focus goes back there after a kill it opened, too.
  const [opener, setOpener] = useState<HTMLElement | null>(null);
  const openNow = useRef(false);
  useEffect(() => {
    openNow.current = open;
  }, [open]);

  useEffect(() => {
    const show = () => {
      setOpener(document.activeElement instanceof HTMLElement ? document.activeElement : null);
      setQuery("");
      setSelected(0);
      setOpen(true);
    };
    const onKey = (e: KeyboardEvent) => {
      if (!((e.metaKey || e.ctrlKey) && e.key.toLowerCase() === "k")) return;
      e.preventDefault();
      if (openNow.current) setOpen(false);
      // Not over another dialog: it would hide what that one is asking.
      else if (!aDialogIsOpen()) show();
    };
    // The header's button (palette-button.tsx), for phones without a keyboard: opens, never toggles.
    const onButton = (e: Event) => {
      e.preventDefault();
      if (!openNow.current && !aDialogIsOpen()) show();
    };
    window.addEventListener("keydown", onKey);
    window.addEventListener("rollgate:open-palette", onButton);
    return () => {
      window.removeEventListener("keydown", onKey);
      window.removeEventListener("rollgate:open-palette", onButton);
    };
  }, []);

  const flags = useFlagSearch(open, query);
  const listId = useId();
  const optionId = (i: number) => `${listId}-option-${i}`;

  const commands = useMemo<Command[]>(() => {
    const all: Command[] = [];
    for (const f of flags ?? []) {
      for (const [env, s] of Object.entries(f.environments)) {
        if (canKill) {
          all.push({
            id: `${s.killed ? "restore" : "kill"}:${f.key}:${env}`,
            label: `${s.killed ? "restore" : "kill"} ${f.key} in ${env}`,
            hint: s.killed ? "killed now" : s.enabled ? `on for ${s.rolloutPercent} %` : "off",
            rank: env === "production" ? 0 : 1,
            run: () => setConfirm({ flagKey: f.key, environment: env, restore: s.killed }),
          });
        }
      }
      all.push({ id: `open:${f.key}`, label: `open ${f.key}`, hint: "flag page", rank: 2, run: () => router.push(`/flags/${f.key}`) });
    }
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    return all
      .filter((c) => words.every((w) => c.label.toLowerCase().includes(w)))
      .sort((a, b) => a.rank - b.rank)
      .slice(0, 8);
  }, [flags, query, canKill, router]);

  // The arrow keys move through a list that scrolls: the chosen option stays in view.
  useEffect(() => {
    if (open) document.getElementById(optionId(selected))?.scrollIntoView({ block: "nearest" });
  });

  if (!open && !confirm) return null;
  return (
    <>
      {open && !confirm ? (
        <ModalDialog label="Command palette" onClose={() => setOpen(false)} closeOnBackdrop placement="top" className="max-w-lg">
          <input
            value={query}
            onChange={(e) => {
              setQuery(e.target.value);
              setSelected(0);
            }}
            onKeyDown={(e) => {
              if (e.key === "ArrowDown") setSelected((i) => Math.min(i + 1, commands.length - 1));
              if (e.key === "ArrowUp") setSelected((i) => Math.max(i - 1, 0));
              if (e.key === "Enter" && commands[selected]) {
                // Otherwise the key's newline lands in the reason field of the dialog it opens.
                e.preventDefault();
                commands[selected].run();
                setOpen(false);
              }
            }}
            placeholder={canKill ? "kill messaging-v2 in production…" : "open a flag…"}
            aria-label="Command"
            // A combobox (ARIA 1.2): focus stays here, and the arrow keys choose among the options,
            // which screen readers follow through aria-activedescendant.
            role="combobox"
            aria-expanded={commands.length > 0}
            aria-controls={listId}
            aria-autocomplete="list"
            aria-activedescendant={commands[selected] ? optionId(selected) : undefined}
            className="block w-full border-0 border-b border-slate-200 px-4 py-3 text-sm focus:ring-0"
          />
          {/* Messages sit outside the listbox: a listbox may only hold options. */}
          {flags === null ? (
            <p className="px-4 py-2 text-sm text-slate-600" role="status">
              Loading flags…
            </p>
          ) : null}
          {flags !== null && commands.length === 0 ? (
            <p className="px-4 py-2 text-sm text-slate-600" role="status">
              No command matches.
            </p>
          ) : null}
          {/* Focusable (not a tab stop) because it scrolls: the keyboard reaches it through the combobox. */}
          <ul
            id={listId}
            role="listbox"
            aria-label="Commands"
            tabIndex={-1}
            className="max-h-[min(20rem,50vh)] overflow-y-auto py-1 text-sm"
            hidden={commands.length === 0}
          >
            {commands.map((c, i) => (
              <li
                key={c.id}
                id={optionId(i)}
                role="option"
                aria-selected={i === selected}
                onMouseEnter={() => setSelected(i)}
                onClick={() => {
                  c.run();
                  setOpen(false);
                }}
                className={`flex cursor-pointer justify-between px-4 py-2 ${i === selected ? "bg-indigo-50 text-indigo-900" : ""}`}
              >
                <span className={c.label.startsWith("kill") ? "font-medium text-red-700" : ""}>{c.label}</span>
                <span className="text-xs text-slate-600">{c.hint}</span>
              </li>
            ))}
          </ul>
        </ModalDialog>
      ) : null}
      {confirm ? <PaletteKillDialog {...confirm} returnFocusTo={() => opener} onDone={() => setConfirm(null)} /> : null}
    </>
  );
}

/**
 * The flags come from the server's search, not one list of all of them (10,000 flags would be
 * megabytes): the first word that is not part of the command's grammar is taken as the flag's key
 * (or part of it), fetched after a pause in typing, and the commands are built from what matched.
 */
function useFlagSearch(open: boolean, query: string): FlagRow[] | null {
  const [flags, setFlags] = useState<FlagRow[] | null>(null);
  const term = useMemo(
    () =>
      query
        .toLowerCase()
        .split(/\s+/)
        .find((w) => w && !GRAMMAR_WORDS.has(w)) ?? "",
    [query],
  );
  useEffect(() => {
    if (!open) return;
    const request = new AbortController();
    const timer = setTimeout(() => {
      const params = new URLSearchParams({ limit: String(FLAGS_PER_SEARCH) });
      if (term) params.set("q", term);
      void fetch(`/api/v1/flags?${params}`, { signal: request.signal })
        .then((r) => (r.ok ? (r.json() as Promise<{ flags: FlagRow[] }>) : { flags: [] }))
        .then((b) => setFlags(b.flags))
        .catch(() => {
          if (!request.signal.aborted) setFlags([]);
        });
    }, SEARCH_PAUSE_MS);
    return () => {
      clearTimeout(timer);
      request.abort();
    };
  }, [open, term]);
  return flags;
}

function PaletteKillDialog({
  flagKey,
  environment,
  restore,
  returnFocusTo,
  onDone,
}: {
  flagKey: string;
  environment: string;
  restore: boolean;
  returnFocusTo: () => HTMLElement | null;
  onDone: () => void;
}) {
  const router = useRouter();
  const liveRollout = useLiveRollout(flagKey, environment, restore ? "paused" : "active");
  const [state, action, pending] = useActionState<IncidentFormState, FormData>(restore ? restoreFlagAction : killFlagAction, {
    status: "idle",
  });
  useEffect(() => {
    if (state.status !== "ok") return;
    router.refresh();
    if (state.incidentId) router.push(`/incidents/${state.incidentId}`);
    onDone();
  }, [state, router, onDone]);
  return (
    <KillReasonDialog
      flagKey={flagKey}
      environment={environment}
      restore={restore}
      liveRollout={liveRollout}
      pending={pending}
      error={state.status !== "ok" ? (state.fields?.reason ?? state.message) : undefined}
      onSubmit={action}
      onCancel={onDone}
      returnFocusTo={returnFocusTo}
    />
  );
}

/**
 * Whether the environment has a rollout in `status` (the kill dialog then says it is paused, the
 * restore dialog that it stays so): undefined until the answer arrives or when it does not, and the
 * dialog speaks in general meanwhile. The palette lists flags only, without their rollouts.
 */
function useLiveRollout(flagKey: string, environment: string, status: "active" | "paused"): boolean | undefined {
  // Kept with what it answers, so an answer about another flag or environment is never shown for this one.
  const asked = `${flagKey}\u0000${environment}\u0000${status}`;
  const [answer, setAnswer] = useState<{ asked: string; live: boolean } | null>(null);
  useEffect(() => {
    const request = new AbortController();
    void fetch(`/api/v1/rollouts?${new URLSearchParams({ flagKey })}`, { signal: request.signal })
      .then((res) => (res.ok ? (res.json() as Promise<{ rollouts: { environment: string; status: string }[] }>) : null))
      .then((body) => {
        if (body) setAnswer({ asked, live: body.rollouts.some((r) => r.environment === environment && r.status === status) });
      })
      .catch(() => {});
    return () => request.abort();
  }, [asked, flagKey, environment, status]);
  return answer?.asked === asked ? answer.live : undefined;
}
