import NextLink from "next/link";
import type { ComponentProps } from "react";

/**
 * Next's `<Link>` without prefetching: the dashboard's pages are rendered per request with no loading
 * boundary, so a prefetch only renders the layout (the user, the inbox and incident counts) that the
 * click then fetches again. A flag page prefetched its three links twice each as it loaded: six
 * server renders for a page view nobody asked for. The lint config sends every import here.
 */
export function Link(props: Omit<ComponentProps<typeof NextLink>, "prefetch">) {
  return <NextLink {...props} prefetch={false} />;
}
