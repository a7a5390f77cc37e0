import { Button } from "../ui/button";
import { FormError } from "@/components/ui/form-message";

/** A row's Remove button in the targeting lists (variants, dependencies), named for its row. */
export function RemoveRowButton({ label, onRemove }: { label: string; onRemove: () => void }) {
  return (
    <Button type="button" variant="secondary" className="px-2 py-1 text-xs" onClick={onRemove} aria-label={label}>
      Remove
    </Button>
  );
}

/** The server's message about a whole list (`targeting.variants`), under it; nothing when there is none. */
export function ListError({ message }: { message: string | undefined }) {
  if (!message) return null;
  return <FormError>{message}</FormError>;
}
