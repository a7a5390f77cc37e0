"use client";

import { startTransition, useCallback, useEffect, useRef, type FormEvent, type FormHTMLAttributes, type Ref } from "react";

type Props = Omit<FormHTMLAttributes<HTMLFormElement>, "action" | "onSubmit"> & {
  /** The dispatch of `useActionState` (or any function taking the form's data). */
  action: (form: FormData) => void;
  /** When this changes to a truthy value, the form is cleared (e.g. after a user was created). */
  resetOn?: unknown;
  ref?: Ref<HTMLFormElement>;
};

/**
 * A form that keeps what the person typed. React resets a `<form action={fn}>` after every
 * submission, so a validation error used to arrive at a form whose fields were empty again. This
 * submits from `onSubmit` inside a transition instead, which React does not follow with a reset; the
 * `action` attribute stays for a browser without JavaScript. Clearing after success is deliberate,
 * through `resetOn`.
 */
export function ActionForm({ action, resetOn, ref, children, ...props }: Props) {
  const own = useRef<HTMLFormElement | null>(null);
  const setRef = useCallback(
    (node: HTMLFormElement | null) => {
      own.current = node;
      if (typeof ref === "function") ref(node);
      else if (ref) ref.current = node;
    },
    [ref],
  );
  useEffect(() => {
    if (resetOn) own.current?.reset();
  }, [resetOn]);
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const submitter = (e.nativeEvent as SubmitEvent).submitter;
    const data = new FormData(e.currentTarget, submitter);
    startTransition(() => action(data));
  };
  return (
    <form {...props} ref={setRef} action={action} onSubmit={onSubmit}>
      {children}
    </form>
  );
}
