"use client";

import { useEffect, useRef, useState, useTransition } from "react";
import { supabaseSignInAction } from "@/app/sign-in/supabase-actions";
import { Button } from "../ui/button";
import { Field, TextInput } from "../ui/field";

// supabase-js is imported on demand, so pages pay for it only when someone actually uses it (and a
// Rollgate without Supabase configured never renders this component at all).
async function supabaseClient(url: string, anonKey: string) {
  const { createClient } = await import("@supabase/supabase-js");
  // Rollgate keeps its own session; the Supabase one is only needed long enough to hand its token over.
  return createClient(url, anonKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false, flowType: "implicit" },
  });
}

/**
 * Where a magic link should come back to: the link opens in a new tab (from the mail), so the page to
 * return to waits in this browser's storage for as long as a link lasts (Supabase: an hour). The
 * server checks it again (lib/auth/return-to.ts); a link opened in another browser lands as usual.
 */
const LINK_NEXT_KEY = "rollgate.signInNext";
const LINK_LIFETIME_MS = 60 * 60 * 1000;

function rememberNextForLink(next: string | undefined) {
  try {
    if (next) localStorage.setItem(LINK_NEXT_KEY, JSON.stringify({ next, at: Date.now() }));
    else localStorage.removeItem(LINK_NEXT_KEY);
  } catch {
    // Storage off (a private window's settings): the link lands on the usual page.
  }
}

function nextForLink(): string | undefined {
  try {
    const saved = JSON.parse(localStorage.getItem(LINK_NEXT_KEY) ?? "null") as { next?: unknown; at?: unknown } | null;
    localStorage.removeItem(LINK_NEXT_KEY);
    const fresh = typeof saved?.at === "number" && Date.now() - saved.at < LINK_LIFETIME_MS;
    return fresh && typeof saved?.next === "string" ? saved.next : undefined;
  } catch {
    return undefined;
  }
}

export function SupabaseSignIn({ url, anonKey, next }: { url: string; anonKey: string; next?: string }) {
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [, startTransition] = useTransition();
  const form = useRef<HTMLFormElement>(null);

  if (!open) {
    return (
      <Button type="button" variant="secondary" className="w-full" onClick={() => setOpen(true)}>
        Continue with Supabase
      </Button>
    );
  }

  function values() {
    const data = new FormData(form.current ?? undefined);
    return { email: String(data.get("supabase-email") ?? "").trim(), password: String(data.get("supabase-password") ?? "") };
  }

  async function withPassword() {
    const { email, password } = values();
    if (!email || !password) return setError("Enter your Supabase email and password");
    setBusy(true);
    setError(null);
    try {
      const client = await supabaseClient(url, anonKey);
      const { data, error: failed } = await client.auth.signInWithPassword({ email, password });
      if (failed || !data.session) {
        setBusy(false);
        return setError(failed?.message ?? "Supabase did not sign you in");
      }
      const token = data.session.access_token;
      // The action redirects on success (to the dashboard, or to "ask an admin" for an unknown email).
      startTransition(async () => {
        const result = await supabaseSignInAction(token, next);
        if (result?.error) setError(result.error);
        setBusy(false);
      });
    } catch {
      setError("Supabase could not be reached: try again");
      setBusy(false);
    }
  }

  async function magicLink() {
    const { email } = values();
    if (!email) return setError("Enter your Supabase email");
    setBusy(true);
    setError(null);
    try {
      const client = await supabaseClient(url, anonKey);
      const { error: failed } = await client.auth.signInWithOtp({
        email,
        // Accounts are made by an admin in Rollgate; the sign-in page never creates Supabase users.
        options: { emailRedirectTo: `${window.location.origin}/sign-in/supabase`, shouldCreateUser: false },
      });
      if (failed) setError(failed.message);
      else {
        rememberNextForLink(next);
        setNotice(`Check ${email} for a sign-in link.`);
      }
    } catch {
      setError("Supabase could not be reached: try again");
    } finally {
      setBusy(false);
    }
  }

  return (
    <form ref={form} className="space-y-4" noValidate onSubmit={(e) => (e.preventDefault(), void withPassword())}>
      <p className="text-sm font-medium text-slate-700">Sign in with your Supabase account</p>
      {error ? (
        <p className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700" role="alert">
          {error}
        </p>
      ) : null}
      {notice ? (
        <p className="rounded-md bg-green-50 px-3 py-2 text-sm text-green-800" role="status">
          {notice}
        </p>
      ) : null}
      <Field label="Supabase email">
        <TextInput name="supabase-email" type="email" autoComplete="username" required />
      </Field>
      <Field label="Supabase password" hint="Leave empty to get a sign-in link by email.">
        <TextInput name="supabase-password" type="password" autoComplete="current-password" />
      </Field>
      <div className="flex gap-2">
        <Button type="submit" className="flex-1" disabled={busy}>
          {busy ? "Checking…" : "Continue with password"}
        </Button>
        <Button type="button" variant="secondary" className="flex-1" disabled={busy} onClick={() => void magicLink()}>
          Email me a link
        </Button>
      </div>
    </form>
  );
}

/** The magic link's landing page: reads the access token from the fragment and exchanges it. */
export function SupabaseLinkLanding() {
  const [error, setError] = useState<string | null>(null);
  const [, startTransition] = useTransition();
  const started = useRef(false);

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    const params = new URLSearchParams(window.location.hash.slice(1));
    // The fragment holds credentials: take it out of the address bar and history right away.
    window.history.replaceState(null, "", window.location.pathname);
    const token = params.get("access_token");
    const missing = params.get("error_description") ?? "This sign-in link is incomplete or has expired";
    // The action redirects on success; only a refusal comes back.
    startTransition(async () => {
      const result = token ? await supabaseSignInAction(token, nextForLink()) : { error: missing };
      if (result?.error) setError(result.error);
    });
  }, []);

  return error ? (
    <div className="space-y-4">
      <p className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700" role="alert">
        {error}
      </p>
      <a href="/sign-in" className="text-sm font-medium text-indigo-600 hover:text-indigo-800">
        Back to sign-in
      </a>
    </div>
  ) : (
    <p className="text-sm text-slate-600">Signing you in…</p>
  );
}
