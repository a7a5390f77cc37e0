import { z } from "zod";
import { plainText } from "../validation/text";

export const MAX_WEBHOOKS_PER_ENVIRONMENT = 20;

/** An http(s) URL Rollgate can POST to: no credentials in it, no fragment, at most 2,000 characters. */
export const webhookUrl = plainText({ min: 1, max: 2_000, minMessage: "enter the receiver's URL" }).transform((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: "custom", message: "enter a full URL, e.g. https://hooks.slack.com/services/…" });
    return z.NEVER;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    ctx.addIssue({ code: "custom", message: "use an http:// or https:// URL" });
    return z.NEVER;
  }
  if (url.username || url.password) {
    ctx.addIssue({ code: "custom", message: "put credentials in the path or query, not before the host" });
    return z.NEVER;
  }
  url.hash = "";
  if (url.href.length > 2_000) {
    ctx.addIssue({ code: "custom", message: "at most 2000 characters" });
    return z.NEVER;
  }
  return url.href;
});

export const createWebhookSchema = z.strictObject({
  environment: plainText({ min: 1, max: 40, minMessage: "choose an environment" }),
  name: plainText({ min: 1, max: 80, minMessage: "enter a name, e.g. #releases channel" }),
  url: webhookUrl,
});
export type CreateWebhookInput = z.infer<typeof createWebhookSchema>;

export const webhookIdSchema = z.string().uuid("choose a webhook");

export const setWebhookEnabledSchema = z.strictObject({ webhookId: webhookIdSchema, enabled: z.boolean() });
export type SetWebhookEnabledInput = z.infer<typeof setWebhookEnabledSchema>;

/**
 * A webhook URL is a secret (anyone holding a Slack one can post to the channel): the page and the
 * audit log show only scheme, host and a hint of the path.
 */
export function maskWebhookUrl(value: string): string {
  try {
    const url = new URL(value);
    const rest = url.pathname + url.search;
    return rest.length > 1 ? `${url.origin}/…` : url.origin;
  } catch {
    return "(invalid URL)";
  }
}
